// Datasets by file name: `.jsonl`/`.ndjson` or `.parquet`. This is what the executor reads,
// `qlx data gen` writes and `qlx data check FILE` validates (checkDataset lists every issue
// instead of stopping at the first).

import { DataError, type DataIssue } from "./errors.ts";
import { readJsonl, scanJsonl, writeJsonl } from "./jsonl.ts";
import { readParquet, scanParquet, writeParquet, type ParquetWriteOptions } from "./parquet.ts";
import type { RowResult } from "./rows.ts";
import { TASK_KINDS, type TaskKind, type TaskRecord } from "./schema.ts";

export type DatasetFormat = "jsonl" | "parquet";

/** The format a path's extension names; a DataError for any other extension. */
export function datasetFormat(path: string): DatasetFormat {
  if (/\.(jsonl|ndjson)$/i.test(path)) return "jsonl";
  if (/\.parquet$/i.test(path)) return "parquet";
  throw new DataError({
    location: { file: path },
    message: "unknown dataset format: use a .jsonl, .ndjson or .parquet file",
  });
}

export function readDataset(path: string): AsyncGenerator<TaskRecord> {
  return datasetFormat(path) === "jsonl" ? readJsonl(path) : readParquet(path);
}

export function scanDataset(path: string): AsyncGenerator<RowResult> {
  return datasetFormat(path) === "jsonl" ? scanJsonl(path) : scanParquet(path);
}

/** Writes a dataset atomically in the format of its extension; returns the record count. */
export function writeDataset(
  path: string,
  records: Iterable<TaskRecord> | AsyncIterable<TaskRecord>,
  options: ParquetWriteOptions = {},
): Promise<number> {
  return datasetFormat(path) === "jsonl"
    ? writeJsonl(path, records)
    : writeParquet(path, records, options);
}

export interface DatasetReport {
  /** Valid records. */
  readonly records: number;
  readonly byTask: Readonly<Record<TaskKind, number>>;
  /** Rows that failed validation (each may have several issues). */
  readonly badRows: number;
  /** Issues in file order, at most `maxIssues`. */
  readonly issues: readonly DataIssue[];
}

/** Reads the whole file and reports counts and issues (`qlx data check`). */
export async function checkDataset(
  path: string,
  options: { readonly maxIssues?: number } = {},
): Promise<DatasetReport> {
  const maxIssues = options.maxIssues ?? 50;
  const byTask = Object.fromEntries(TASK_KINDS.map((k) => [k, 0])) as Record<TaskKind, number>;
  const issues: DataIssue[] = [];
  let records = 0;
  let badRows = 0;
  for await (const row of scanDataset(path)) {
    if (row.ok) {
      records++;
      byTask[row.record.task]++;
    } else {
      badRows++;
      for (const issue of row.issues) if (issues.length < maxIssues) issues.push(issue);
    }
  }
  return { records, byTask, badRows, issues };
}
