// The in-memory DuckDB that corpus_numeric questions are answered with (paper §3.2: "by
// executing the SQL against the aggregated tables … deriving the Ground Truth Answers").
// One instance serves a whole dataset. A question's tables are bound as common table
// expressions in front of its query, so each answer is one statement and no table outlives
// its question.

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

function literal(cell: string | number, column: string, table: string): string {
  if (typeof cell === "string") return `'${cell.replaceAll("'", "''")}'`;
  if (Number.isSafeInteger(cell)) return String(cell);
  throw new TypeError(`table ${table}: column ${column} holds ${cell}, not a safe integer`);
}

/** `name AS (SELECT typed columns FROM (VALUES …))`, or an empty typed table. */
export function tableExpression(table: SqlTable): string {
  const typed = table.columns
    .map(([name, type]) => `CAST(${quoteIdent(name)} AS ${type}) AS ${quoteIdent(name)}`)
    .join(", ");
  const names = table.columns.map(([name]) => quoteIdent(name)).join(", ");
  const rows = table.rows.map(
    (row) => `(${table.columns.map(([name], i) => literal(row[i]!, name, table.name)).join(", ")})`,
  );
  const source =
    rows.length > 0
      ? `(VALUES ${rows.join(", ")}) AS v(${names})`
      : `(SELECT ${table.columns.map(([name]) => `NULL AS ${quoteIdent(name)}`).join(", ")} WHERE false)`;
  return `${quoteIdent(table.name)} AS (SELECT ${typed} FROM ${source})`;
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
      const bound =
        tables.length === 0 ? sql : `WITH ${tables.map(tableExpression).join(", ")} ${sql}`;
      const reader = await connection.runAndReadAll(bound);
      return reader
        .getRowObjectsJS()
        .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
    },
    async close() {
      if (opened === undefined) return;
      const { instance, connection } = await opened;
      connection.closeSync();
      instance.closeSync();
    },
  };
}
