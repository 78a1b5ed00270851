import { describe, expect, it } from "vitest";
import { openSqlSession } from "../../../runtime/tasks/sql.ts";
import type { SqlTable } from "../../../runtime/tasks/types.ts";

const table = (rows: SqlTable["rows"]): SqlTable => ({
  name: "t",
  columns: [
    ["entity", "VARCHAR"],
    ["value", "BIGINT"],
  ],
  rows,
});

describe("openSqlSession", () => {
  it("binds tables per query: quoting, typed columns, integers back as numbers, empty tables", async () => {
    const session = openSqlSession();
    try {
      const rows = table([
        ["O'Brien", 5],
        ["Lee", 7],
        ["O'Brien", 2 ** 40],
      ]);
      expect(
        await session.run(
          "SELECT sum(value) AS s, count(*) AS n FROM t WHERE entity = 'O''Brien'",
          [rows],
        ),
      ).toEqual([{ s: 2 ** 40 + 5, n: 2 }]);
      expect(await session.run("SELECT typeof(value) AS ty FROM t LIMIT 1", [rows])).toEqual([
        { ty: "BIGINT" },
      ]);
      expect(
        await session.run("SELECT count(*) AS n, sum(value) AS s FROM t", [table([])]),
      ).toEqual([{ n: 0, s: null }]);
    } finally {
      await session.close();
    }
  });

  it("rejects a non-integer cell, naming table and column", async () => {
    const session = openSqlSession();
    try {
      await expect(session.run("SELECT 1", [table([["x", 1.5]])])).rejects.toThrow(
        /table t: column value holds 1.5/,
      );
    } finally {
      await session.close();
    }
  });
});
