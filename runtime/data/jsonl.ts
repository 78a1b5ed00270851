// JSONL datasets: one task record per line (blank lines are skipped). Reading streams the
// file line by line (readline over a read stream), so a file larger than memory is fine;
// writing validates every record and goes through a temporary file (runtime/io/atomic.ts), so a bad
// record midway leaves no output and an existing file untouched.

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { writeAtomically } from "../io/atomic.ts";
import { DataError } from "./errors.ts";
import { RowValidator, type RowResult } from "./rows.ts";
import type { TaskRecord } from "./schema.ts";

/** Every row of a JSONL file, validated; bad rows come back as issues, reading goes on. */
export async function* scanJsonl(path: string): AsyncGenerator<RowResult> {
  const lines = createInterface({
    input: createReadStream(path, { encoding: "utf8" }),
    crlfDelay: Infinity,
  });
  const validator = new RowValidator();
  let line = 0;
  for await (let text of lines) {
    line++;
    // A byte-order mark (editors on Windows add one) is not part of the first record.
    if (line === 1 && text.startsWith("\uFEFF")) text = text.slice(1);
    if (text.trim() === "") continue;
    const location = { file: path, line };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield {
        ok: false,
        issues: [{ location, message: `invalid JSON: ${(error as Error).message}` }],
      };
      continue;
    }
    yield validator.check(value, location);
  }
}

/** Streams the records of a JSONL file; throws a DataError at the first bad row. */
export async function* readJsonl(path: string): AsyncGenerator<TaskRecord> {
  for await (const row of scanJsonl(path)) {
    if (!row.ok) throw new DataError(row.issues[0]!);
    yield row.record;
  }
}

const FLUSH_BYTES = 1 << 20;

/**
 * Writes records as JSONL, all or nothing: each record is validated first, and any bad one
 * (named by the line it would have had) aborts the write. Returns the number of records.
 */
export async function writeJsonl(
  path: string,
  records: Iterable<TaskRecord> | AsyncIterable<TaskRecord>,
): Promise<number> {
  let count = 0;
  await writeAtomically(path, async (file) => {
    const validator = new RowValidator();
    let buffer = "";
    for await (const record of records) {
      count++;
      const row = validator.check(record, { file: path, line: count });
      if (!row.ok) throw new DataError(row.issues[0]!);
      buffer += `${JSON.stringify(row.record)}\n`;
      if (buffer.length >= FLUSH_BYTES) {
        await file.write(buffer);
        buffer = "";
      }
    }
    await file.write(buffer);
  });
  return count;
}
