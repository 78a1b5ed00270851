// Corpus-level numeric questions (paper §3.2, "Corpus-level Numerical Reasoning QA": a table
// engine aggregates numbers across documents, an SQL query computes the ground truth). We draw
// a table of (entity, year, value) rows, render every row into its own document, and run the
// question's SQL in DuckDB over the same table; the answer is whatever the query returns.
//
// natural: "In 2019, Kelmar reported revenue of 4213 thousand dollars." filings; questions
//          sum / avg / max / min / count-above / year-over-year diff / corpus-wide year total.
// tiny:    rows `A3;` (one-digit values, notes/tiny-scale-rl.md), questions `?A=` (sum),
//          `?A>` (max), `?A<` (min), `?A#` (number of A's rows).

import { z } from "zod";
import type { CorpusNumericRecord, Document } from "../data/schema.ts";
import type { Rng } from "../rng.ts";
import { buildDocumentContext, joinQuery } from "./documents.ts";
import type { Query } from "./documents.ts";
import { commonParamFields, countRangeSchema, drawCount, TaskParamError } from "./types.ts";
import type { SqlTable, TaskGenerator, TaskStyle } from "./types.ts";
import { distinctNames, METRICS, pick } from "./vocab.ts";

export const NUMERIC_OPS = ["sum", "avg", "max", "min", "count", "diff", "year_total"] as const;
export type NumericOp = (typeof NUMERIC_OPS)[number];
const TINY_OPS: Partial<Record<NumericOp, string>> = { sum: "=", max: ">", min: "<", count: "#" };

export const corpusNumericParams = z.strictObject({
  ...commonParamFields,
  /** Table rows, one document each (default: tiny 1..4, natural 6..16). */
  facts: countRangeSchema.optional(),
  /** Distinct entities (tiny: key letters) the rows belong to (default: tiny 1..2, natural 2..4). */
  groups: countRangeSchema.optional(),
  /** Question kinds to draw from (default: tiny ["sum"], natural all). */
  ops: z.array(z.enum(NUMERIC_OPS)).min(1).optional(),
});
export type CorpusNumericParams = z.infer<typeof corpusNumericParams>;

export interface TableRow {
  readonly entity: string;
  readonly year: number;
  readonly value: number;
}

/** One question over table `t`: the op and the operands it may use. */
export interface NumericQuestion {
  readonly op: NumericOp;
  readonly entity: string;
  readonly year: number;
  readonly years: readonly [number, number];
  /** count: rows above it; null counts all the entity's rows (the tiny `?A#`). */
  readonly threshold: number | null;
}

const FIRST_YEAR = 2015;
const YEARS = 10;

function drawTable(
  rng: Rng,
  style: TaskStyle,
  rows: number,
  groups: number,
  minOfFirst: number,
): TableRow[] {
  const entities =
    style === "tiny"
      ? rng.shuffle([..."ABCDEFGHIJKLMNOPQRSTUVWXYZ"]).slice(0, groups)
      : distinctNames(rng, groups, new Set());
  const years = new Map(
    entities.map((e) => [e, rng.shuffle(Array.from({ length: YEARS }, (_, i) => FIRST_YEAR + i))]),
  );
  const table: TableRow[] = [];
  for (let i = 0; i < rows; i++) {
    // The first `minOfFirst` rows go to the asked entity (entities[0]) so every op has data.
    const entity = i < minOfFirst ? entities[0]! : entities[rng.int(entities.length)]!;
    const free = years.get(entity)!;
    if (free.length === 0) continue; // this entity already has a row for every year
    const value = style === "tiny" ? 1 + rng.int(9) : 100 + rng.int(9900);
    table.push({ entity, year: free.pop()!, value });
  }
  return table;
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export function questionSql(q: NumericQuestion): string {
  const e = sqlString(q.entity);
  switch (q.op) {
    case "sum":
      return `SELECT sum(value) AS answer FROM t WHERE entity = ${e}`;
    case "avg":
      return `SELECT round(avg(value), 2) AS answer FROM t WHERE entity = ${e}`;
    case "max":
      return `SELECT max(value) AS answer FROM t WHERE entity = ${e}`;
    case "min":
      return `SELECT min(value) AS answer FROM t WHERE entity = ${e}`;
    case "count":
      return q.threshold === null
        ? `SELECT count(*) AS answer FROM t WHERE entity = ${e}`
        : `SELECT count(*) AS answer FROM t WHERE entity = ${e} AND value > ${q.threshold}`;
    case "diff":
      return (
        `SELECT (SELECT value FROM t WHERE entity = ${e} AND year = ${q.years[1]}) - ` +
        `(SELECT value FROM t WHERE entity = ${e} AND year = ${q.years[0]}) AS answer`
      );
    case "year_total":
      return `SELECT sum(value) AS answer FROM t WHERE year = ${q.year}`;
  }
}

/** Whether row `r` is read by the question (its document is evidence). */
function reads(q: NumericQuestion, r: TableRow): boolean {
  if (q.op === "year_total") return r.year === q.year;
  if (q.op === "diff") return r.entity === q.entity && q.years.includes(r.year);
  return r.entity === q.entity;
}

function drawQuestion(
  rng: Rng,
  style: TaskStyle,
  op: NumericOp,
  table: readonly TableRow[],
): NumericQuestion {
  const entity = table[0]!.entity;
  const own = table.filter((r) => r.entity === entity);
  const pair = rng
    .shuffle(own.map((r) => r.year))
    .slice(0, 2)
    .sort((a, b) => a - b);
  const values = own.map((r) => r.value).sort((a, b) => a - b);
  return {
    op,
    entity,
    year: table[rng.int(table.length)]!.year,
    years: [pair[0]!, pair[1] ?? pair[0]!],
    // A threshold between the asked entity's values, so the count is informative.
    threshold: style === "tiny" ? null : values[Math.floor(values.length / 2)]! - 1,
  };
}

function questionText(
  style: TaskStyle,
  q: NumericQuestion,
  metric: (typeof METRICS)[number],
): Query {
  if (style === "tiny") return { core: `?${q.entity}${TINY_OPS[q.op]}`, inst: "" };
  const m = metric.name;
  const inst = "Answer with a single number.";
  const core = {
    sum: `What is the total ${m} that ${q.entity} reported across all years in the documents?`,
    avg: `What is the average yearly ${m} that ${q.entity} reported, rounded to two decimals?`,
    max: `What is the highest yearly ${m} that ${q.entity} reported?`,
    min: `What is the lowest yearly ${m} that ${q.entity} reported?`,
    count: `In how many years did ${q.entity} report ${m} above ${q.threshold} ${metric.unit}?`,
    diff: `By how much did the ${m} of ${q.entity} change from ${q.years[0]} to ${q.years[1]}?`,
    year_total: `What is the total ${m} reported by all companies for ${q.year}?`,
  }[q.op];
  return { core, inst };
}

function rowDocument(style: TaskStyle, row: TableRow, metric: (typeof METRICS)[number]): Document {
  if (style === "tiny") return { title: "", text: `${row.entity}${row.value};` };
  return {
    title: `Annual filing of ${row.entity}`,
    text: `In ${row.year}, ${row.entity} reported ${metric.name} of ${row.value} ${metric.unit}.`,
  };
}

export function tableOf(rows: readonly TableRow[]): SqlTable {
  return {
    name: "t",
    columns: [
      ["entity", "VARCHAR"],
      ["year", "INTEGER"],
      ["value", "BIGINT"],
    ],
    rows: rows.map((r) => [r.entity, r.year, r.value]),
  };
}

export const corpusNumericGenerator: TaskGenerator<CorpusNumericParams> = {
  kind: "corpus_numeric",
  params: corpusNumericParams,
  async generate(params, draw, env) {
    const rng = draw.rng("table");
    const tiny = params.style === "tiny";
    const ops = params.ops ?? (tiny ? ["sum"] : [...NUMERIC_OPS]);
    const unsupported = tiny ? ops.filter((op) => TINY_OPS[op] === undefined) : [];
    if (unsupported.length > 0) {
      throw new TaskParamError(
        "corpus_numeric",
        `ops ${unsupported.join(", ")} have no tiny rendering`,
      );
    }
    const op = pick(rng, ops);
    const rowCount = Math.max(
      op === "diff" ? 2 : 1,
      drawCount(rng, params.facts ?? (tiny ? { min: 1, max: 4 } : { min: 6, max: 16 })),
    );
    const groups = Math.max(
      1,
      drawCount(rng, params.groups ?? (tiny ? { min: 1, max: 2 } : { min: 2, max: 4 })),
    );
    const table = drawTable(rng, params.style, rowCount, groups, op === "diff" ? 2 : 1);
    const metric = pick(rng, METRICS);
    const question = drawQuestion(rng, params.style, op, table);
    const sql = questionSql(question);
    const [row] = await env.sql(sql, [tableOf(table)]);
    const value = Number(row?.["answer"]);
    if (!Number.isFinite(value)) {
      throw new TaskParamError("corpus_numeric", `query returned no number: ${sql}`);
    }
    const query = questionText(params.style, question, metric);
    const evidence = table.filter((r) => reads(question, r));
    const { record } = buildDocumentContext({
      kind: "corpus_numeric",
      style: params.style,
      target: params.inputTokens,
      draw,
      env,
      evidence: evidence.map((r) => rowDocument(params.style, r, metric)),
      distractors: table
        .filter((r) => !reads(question, r))
        .map((r) => rowDocument(params.style, r, metric)),
      evidencePosition: params.evidencePosition,
      query,
      meta: {
        facts: table.length,
        op,
        table: JSON.stringify(table.map((r) => [r.entity, r.year, r.value])),
      },
      build: (documents, evidenceIndices): CorpusNumericRecord => ({
        id: draw.id,
        task: "corpus_numeric",
        question: joinQuery(query),
        answer: String(value),
        value,
        sql,
        ...(tiny || op === "count" ? {} : { unit: metric.unit }),
        documents,
        evidence: evidenceIndices,
      }),
    });
    return record;
  },
};
