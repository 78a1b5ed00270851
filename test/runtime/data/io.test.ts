import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetWriteFile } from "hyparquet-writer";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readDataset, scanDataset, writeDataset } from "../../../runtime/data/dataset.ts";
import type { RowResult } from "../../../runtime/data/rows.ts";
import { DataError } from "../../../runtime/data/errors.ts";
import { PARQUET_COLUMNS } from "../../../runtime/data/parquet.ts";
import { recordSchemas, type TaskRecord } from "../../../runtime/data/schema.ts";

const doc = (k: number) => ({ title: `Doc ${k}`, text: `Body ${k} — ünïcødé 😀` });

const oneOfEach: TaskRecord[] = [
  {
    task: "multiple_choice",
    id: "mc",
    question: "Which?",
    answer: "B",
    documents: [doc(1)],
    choices: ["x", "y", "z"],
  },
  {
    task: "multihop",
    id: "mh",
    question: "Who?",
    answer: "Ada",
    documents: [doc(1), doc(2)],
    evidence: [1],
    hops: 3,
    meta: { distractor: 0.8, padded: true, note: "n" },
  },
  {
    task: "reading",
    id: "rd",
    question: "What?",
    answer: "tea",
    aliases: ["green tea"],
    documents: [],
  },
  {
    task: "dialogue_memory",
    id: "dm",
    question: "Repeat the 2nd poem about owls",
    answer: "Owls at dusk",
    conversation: [
      { role: "user", content: "write a poem about owls" },
      { role: "assistant", content: "Owls at dusk" },
    ],
    prefix: "aB3x",
    needles: 2,
    target: 2,
  },
  {
    task: "corpus_numeric",
    id: "cn",
    question: "Sum?",
    answer: "12.5",
    documents: [doc(3)],
    value: 12.5,
    sql: "SELECT 12.5",
    unit: "%",
  },
];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "qlx-data-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(path: string): Promise<TaskRecord[]> {
  const out: TaskRecord[] = [];
  for await (const r of readDataset(path)) out.push(r);
  return out;
}

async function scanAll(path: string): Promise<RowResult[]> {
  const out: RowResult[] = [];
  for await (const row of scanDataset(path)) out.push(row);
  return out;
}

async function errorOf(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error("expected a DataError");
}

describe.each(["jsonl", "parquet"])("%s datasets", (ext) => {
  it("round-trip one record of each kind across several row groups", async () => {
    const path = join(dir, `set.${ext}`);
    const many = [...oneOfEach, ...oneOfEach.map((r) => ({ ...r, id: `${r.id}-2` }))];
    expect(await writeDataset(path, many, { rowGroupSize: 3 })).toBe(10);
    expect(await collect(path)).toEqual(many);
  });

  it("write nothing when a record in the middle is bad, and leave an existing file untouched", async () => {
    const path = join(dir, `set.${ext}`);
    await writeDataset(path, oneOfEach.slice(0, 2));
    const before = await readFile(path);
    async function* records() {
      yield oneOfEach[0]!;
      yield { ...oneOfEach[1]!, hops: 0 } as TaskRecord;
      yield oneOfEach[2]!;
    }
    const error = await errorOf(writeDataset(path, records(), { rowGroupSize: 1 }));
    expect(error.issue.field).toBe("hops");
    expect(error.message).toContain(
      ext === "jsonl" ? `set.${ext}:2: field \`hops\`` : "row group 1, row 1: field `hops`",
    );
    expect(await readFile(path)).toEqual(before);
    expect(await readdir(dir)).toEqual([`set.${ext}`]);
    const fresh = join(dir, `fresh.${ext}`);
    await errorOf(writeDataset(fresh, records()));
    expect(await readdir(dir)).toEqual([`set.${ext}`]);
  });

  it("reject duplicate ids", async () => {
    const error = await errorOf(
      writeDataset(join(dir, `d.${ext}`), [oneOfEach[2]!, oneOfEach[2]!]),
    );
    expect(error.message).toMatch(/field `id`: duplicate id "rd"/);
  });
});

describe("parquet interoperability", () => {
  it("writes files another reader (DuckDB) reads with the documented column types", async () => {
    const path = join(dir, "set.parquet");
    await writeDataset(path, oneOfEach, { rowGroupSize: 2 });
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      const source = `read_parquet('${path.replace(/'/g, "''")}')`;
      const types = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`))
        .getRowObjectsJS()
        .map((row) => [row.column_name, row.column_type]);
      const expected = { STRING: "VARCHAR", JSON: "JSON", INT32: "INTEGER", DOUBLE: "DOUBLE" };
      expect(types).toEqual(PARQUET_COLUMNS.map((c) => [c.name, expected[c.type]]));
      const rows = (
        await connection.runAndReadAll(
          `SELECT id, hops, value, documents->>'$[0].text' AS text0 FROM ${source} ORDER BY id`,
        )
      ).getRowObjectsJS();
      expect(rows).toEqual([
        { id: "cn", hops: null, value: 12.5, text0: doc(3).text },
        { id: "dm", hops: null, value: null, text0: null },
        { id: "mc", hops: null, value: null, text0: doc(1).text },
        { id: "mh", hops: 3, value: null, text0: doc(1).text },
        { id: "rd", hops: null, value: null, text0: null },
      ]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});

describe("dataset readers", () => {
  it("name the file, line and field of a bad JSONL row, and report all of them in check", async () => {
    const path = join(dir, "bad.jsonl");
    const good = JSON.stringify(oneOfEach[2]);
    const badField = JSON.stringify({
      ...oneOfEach[1],
      id: "x",
      documents: [{ title: "t", text: 5 }],
    });
    await writeFile(
      path,
      `\uFEFF${good}\n\n${badField}\n{not json\n${JSON.stringify({ ...oneOfEach[4], id: "y" })}\n`,
    );
    const error = await errorOf(collect(path));
    expect(error.message).toBe(
      `${path}:3: field \`documents.0.text\`: Invalid input: expected string, received number`,
    );
    // Scanning goes on past bad rows, so a check can list them all.
    const rows = await scanAll(path);
    expect(rows.filter((r) => r.ok).map((r) => r.ok && [r.record.id, r.location.line])).toEqual([
      ["rd", 1],
      ["y", 5],
    ]);
    const issues = rows.flatMap((r) => (r.ok ? [] : r.issues));
    expect(issues.map((i) => [i.location.line, i.field])).toEqual([
      [3, "documents.0.text"],
      [4, undefined],
    ]);
    expect(issues[1]!.message).toMatch(/^invalid JSON/);
  });

  it("name the row group, row and field of a bad parquet row", async () => {
    const path = join(dir, "bad.parquet");
    // A file written by another tool: hops 0 in the second row group.
    parquetWriteFile({
      filename: path,
      rowGroupSize: 2,
      columnData: [
        { name: "id", data: ["a", "b", "c"], type: "STRING" },
        { name: "task", data: ["multihop", "multihop", "multihop"], type: "STRING" },
        { name: "question", data: ["q", "q", "q"], type: "STRING" },
        { name: "answer", data: ["x", "y", "z"], type: "STRING" },
        { name: "documents", data: [[], [], []], type: "JSON" },
        { name: "hops", data: [1n, 2n, 0n], type: "INT64" },
      ],
    });
    const error = await errorOf(collect(path));
    expect(error.issue.location).toEqual({ file: path, rowGroup: 1, row: 2 });
    expect(error.message).toContain("row group 1, row 2: field `hops`");
    expect((await scanAll(path)).filter((r) => r.ok)).toHaveLength(2);
  });

  it("stream a large JSONL file", async () => {
    const path = join(dir, "big.jsonl");
    const n = 20_000;
    function* records(): Generator<TaskRecord> {
      for (let k = 0; k < n; k++) yield { ...(oneOfEach[2] as TaskRecord), id: `r${k}` };
    }
    expect(await writeDataset(path, records())).toBe(n);
    let count = 0;
    let last = "";
    for await (const r of readDataset(path)) {
      count++;
      last = r.id;
    }
    expect([count, last]).toEqual([n, `r${n - 1}`]);
  });

  it("cover every schema field with a parquet column, and refuse unknown extensions", () => {
    const fields = new Set(Object.values(recordSchemas).flatMap((s) => Object.keys(s.shape)));
    expect(new Set(PARQUET_COLUMNS.map((c) => c.name))).toEqual(fields);
    expect(() => readDataset(join(dir, "x.csv"))).toThrow(/unknown dataset format/);
  });
});
