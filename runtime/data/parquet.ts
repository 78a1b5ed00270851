// Parquet datasets (hyparquet reads, hyparquet-writer writes). One column per record field,
// the union over task kinds, in the fixed order of PARQUET_COLUMNS; a field a kind lacks is
// null. Scalars are native columns (UTF8 strings, INT32 counts, DOUBLE value); nested fields
// (documents, conversation, choices, evidence, aliases, meta) are JSON columns (BYTE_ARRAY
// with the JSON converted type), which pandas/pyarrow read as strings and hyparquet parses.
//
// Reading goes one row group at a time, so memory holds one group, not the file. Writing
// validates every record, cuts row groups of `rowGroupSize` records, and goes through a
// temporary file renamed into place at the end: a bad record leaves no output.

import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import { fileWriter, ParquetWriter, schemaFromColumnData } from "hyparquet-writer";
import { AtomicFile } from "../io/atomic.ts";
import { DataError } from "./errors.ts";
import { RowValidator, type RowResult } from "./rows.ts";
import type { TaskRecord } from "./schema.ts";

type ColumnType = "STRING" | "JSON" | "INT32" | "DOUBLE";

/** Every field of every task kind, with its parquet column type. */
export const PARQUET_COLUMNS: readonly { readonly name: string; readonly type: ColumnType }[] = [
  { name: "id", type: "STRING" },
  { name: "task", type: "STRING" },
  { name: "question", type: "STRING" },
  { name: "answer", type: "STRING" },
  { name: "aliases", type: "JSON" },
  { name: "meta", type: "JSON" },
  { name: "documents", type: "JSON" },
  { name: "evidence", type: "JSON" },
  { name: "choices", type: "JSON" },
  { name: "hops", type: "INT32" },
  { name: "conversation", type: "JSON" },
  { name: "prefix", type: "STRING" },
  { name: "needles", type: "INT32" },
  { name: "target", type: "INT32" },
  { name: "value", type: "DOUBLE" },
  { name: "sql", type: "STRING" },
  { name: "unit", type: "STRING" },
];

const DEFAULT_ROW_GROUP_SIZE = 1000;

/** A parquet row as a record candidate: nulls dropped, safe INT64s (bigint) made numbers. */
function rowToValue(row: Record<string, unknown>): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [key, cell] of Object.entries(row)) {
    if (cell === null || cell === undefined) continue;
    value[key] =
      typeof cell === "bigint" &&
      cell <= BigInt(Number.MAX_SAFE_INTEGER) &&
      cell >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(cell)
        : cell;
  }
  return value;
}

/** Every row of a parquet file, validated, one row group in memory at a time. */
export async function* scanParquet(path: string): AsyncGenerator<RowResult> {
  const file = await asyncBufferFromFile(path);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    yield {
      ok: false,
      issues: [
        { location: { file: path }, message: `not a parquet file: ${(error as Error).message}` },
      ],
    };
    return;
  }
  const validator = new RowValidator();
  let rowStart = 0;
  for (let rowGroup = 0; rowGroup < metadata.row_groups.length; rowGroup++) {
    const rowEnd = rowStart + Number(metadata.row_groups[rowGroup]!.num_rows);
    const rows = await parquetReadObjects({ file, metadata, rowStart, rowEnd });
    for (let k = 0; k < rows.length; k++) {
      yield validator.check(rowToValue(rows[k]!), { file: path, rowGroup, row: rowStart + k });
    }
    rowStart = rowEnd;
  }
}

/** Streams the records of a parquet file; throws a DataError at the first bad row. */
export async function* readParquet(path: string): AsyncGenerator<TaskRecord> {
  for await (const row of scanParquet(path)) {
    if (!row.ok) throw new DataError(row.issues[0]!);
    yield row.record;
  }
}

export interface ParquetWriteOptions {
  /** Records per row group; default 1000. */
  readonly rowGroupSize?: number;
}

function columnsOf(records: readonly TaskRecord[]) {
  return PARQUET_COLUMNS.map(({ name, type }) => ({
    name,
    type,
    data: records.map((r) => (r as unknown as Record<string, unknown>)[name] ?? null),
  }));
}

/**
 * Writes records as parquet, all or nothing (see the top of the file). Returns the number of
 * records. An empty input writes a file with the schema and no rows.
 */
export async function writeParquet(
  path: string,
  records: Iterable<TaskRecord> | AsyncIterable<TaskRecord>,
  options: ParquetWriteOptions = {},
): Promise<number> {
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP_SIZE;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new RangeError(`writeParquet: rowGroupSize must be an integer ≥ 1, got ${rowGroupSize}`);
  }
  // hyparquet-writer writes synchronously to a path; the AtomicFile reserves the temporary
  // name and handles the rename (or removal on failure).
  const target = await AtomicFile.open(path);
  try {
    const writer = new ParquetWriter({
      writer: fileWriter(target.tempPath),
      schema: schemaFromColumnData({ columnData: columnsOf([]) }),
    });
    const validator = new RowValidator();
    let batch: TaskRecord[] = [];
    let count = 0;
    const flush = () => {
      if (batch.length > 0)
        writer.write({ columnData: columnsOf(batch), rowGroupSize: batch.length });
      batch = [];
    };
    for await (const record of records) {
      const row = validator.check(record, {
        file: path,
        rowGroup: Math.floor(count / rowGroupSize),
        row: count,
      });
      if (!row.ok) throw new DataError(row.issues[0]!);
      count++;
      batch.push(row.record);
      if (batch.length === rowGroupSize) flush();
    }
    flush();
    writer.finish();
    await target.commit();
    return count;
  } catch (error) {
    await target.abort();
    throw error;
  }
}
