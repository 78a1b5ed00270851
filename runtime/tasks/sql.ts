// The in-memory DuckDB that corpus_numeric questions are answered with (paper §3.2: "by
// executing the SQL against the aggregated tables … deriving the Ground Truth Answers").
// One instance serves a whole dataset; each query loads its tables fresh and drops them after.

import { DuckDBInstance } from "@duckdb/node-api";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { SqlRunner, SqlTable } from "./types.ts";

export interface SqlSession {
  readonly run: SqlRunner;
  close(): Promise<void>;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function load(connection: DuckDBConnection, table: SqlTable): Promise<void> {
  const columns = table.columns.map(([name, type]) => `${quoteIdent(name)} ${type}`).join(", ");
  await connection.run(`CREATE OR REPLACE TABLE ${quoteIdent(table.name)} (${columns})`);
  const appender = await connection.createAppender(table.name);
  for (const row of table.rows) {
    table.columns.forEach(([name, type], i) => {
      const cell = row[i];
      if (type === "VARCHAR" && typeof cell === "string") appender.appendVarchar(cell);
      else if (type === "INTEGER" && typeof cell === "number") appender.appendInteger(cell);
      else if (type === "BIGINT" && typeof cell === "number") appender.appendBigInt(BigInt(cell));
      else
        throw new TypeError(
          `table ${table.name}: column ${name} (${type}) got ${JSON.stringify(cell)}`,
        );
    });
    appender.endRow();
  }
  appender.flushSync();
  appender.closeSync();
}

/** Integer results (BIGINT, HUGEINT: bigint in JS) as numbers; answers are far below 2^53. */
function plain(value: unknown): unknown {
  return typeof value === "bigint" ? Number(value) : value;
}

/** Opens an in-memory database lazily, on the first query. */
export function openSqlSession(): SqlSession {
  let opened: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;
  const connect = () =>
    (opened ??= (async () => {
      const instance = await DuckDBInstance.create(":memory:");
      return { instance, connection: await instance.connect() };
    })());
  return {
    async run(sql, tables) {
      const { connection } = await connect();
      for (const table of tables) await load(connection, table);
      try {
        const reader = await connection.runAndReadAll(sql);
        return reader
          .getRowObjectsJS()
          .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
      } finally {
        for (const table of tables) await connection.run(`DROP TABLE ${quoteIdent(table.name)}`);
      }
    },
    async close() {
      if (opened === undefined) return;
      const { instance, connection } = await opened;
      connection.closeSync();
      instance.closeSync();
    },
  };
}
