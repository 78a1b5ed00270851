// Datasets by file name: `.jsonl`/`.ndjson` or `.parquet`. This is what the executor reads,
// `qlx data gen` writes and `qlx data check FILE` validates (scanDataset yields every row's
// result, so a check lists every issue instead of stopping at the first).

import { DataError } from "./errors.ts";
import { readJsonl, scanJsonl, writeJsonl } from "./jsonl.ts";
import { readParquet, scanParquet, writeParquet, type ParquetWriteOptions } from "./parquet.ts";
import type { RowResult } from "./rows.ts";
import type { TaskRecord } from "./schema.ts";

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
