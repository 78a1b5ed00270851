// `qlx data gen` and `qlx data check`: write task datasets from the seeded generators or the
// evaluation sets, and validate a dataset file (schema, then cross-field consistency), naming
// file, line (or parquet row) and field of every problem.

import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { scanDataset, writeDataset } from "../../runtime/data/dataset.ts";
import { DataError, formatIssue } from "../../runtime/data/errors.ts";
import type { DataIssue } from "../../runtime/data/errors.ts";
import { TASK_KINDS } from "../../runtime/data/schema.ts";
import type { TaskKind } from "../../runtime/data/schema.ts";
import {
  BENCHMARK_NAMES,
  benchmarkPrompts,
  buildBenchmark,
} from "../../runtime/tasks/benchmarks.ts";
import { checkConsistency } from "../../runtime/tasks/consistency.ts";
import { renderPrompt } from "../../runtime/tasks/prompt.ts";
import { generateRecords } from "../../runtime/tasks/registry.ts";
import { TaskParamError } from "../../runtime/tasks/types.ts";
import { loadQwen3Tokenizer, QWEN3_TOKENIZER_ID } from "../../runtime/data/qwen3.ts";
import type { TokenCounter } from "../../runtime/tasks/types.ts";
import { byteTokenizer } from "../../runtime/tokenizer/byte.ts";
import { experimentDatasets, taskStyle } from "../../runtime/executor/examples.ts";
import { loadIr } from "../load-ir.ts";

export const help = `qlx data — write and validate task datasets

Usage:
  qlx data gen FILE [--profile P] [--name N] [--out DIR]
  qlx data gen --kind KIND --count N --seed S --input-tokens T [--style tiny|natural]
               [--set NAME=VALUE]... [--tokenizer byte|qwen3] [--decontaminate] --out FILE
  qlx data gen --benchmarks [--style tiny|natural] [--input-tokens T] [--count N]
               [--tokenizer byte|qwen3] [--format jsonl|parquet] [--out DIR]
  qlx data check FILE

gen FILE writes every dataset \`qlx run FILE\` would generate for the experiment (with the
profile applied): DIR/STAGE/TASK.jsonl for each stage's built-in task data, at the stage's
input length, and DIR/benchmarks/NAME.jsonl for its evaluation sets (default DIR: data).

gen --kind writes N records of KIND (${TASK_KINDS.join(", ")}) from seed S, each prompt padded
to T tokens: exactly, with the built-in byte tokenizer (default); with qwen3 (the real
model's tokens) at most T and rarely a few short. FILE ends in .jsonl or .parquet. --set gives a
generator parameter: a number, a range "1..3", a list "sum,max", or text; e.g.
  --set hops=2..3 --set distractorSimilarity=0.8 --set evidencePosition=end
--decontaminate drops any sample whose prompt is an evaluation prompt of the same style
and length (drawing a replacement).

gen --benchmarks writes the evaluation sets ${BENCHMARK_NAMES.join(", ")} as DIR/NAME.jsonl
(default DIR: benchmarks), at each set's own length unless --input-tokens is given.

check validates every record against the schema of its task kind and its fields against each
other (meta.input_tokens against the prompt measured with meta.tokenizer, among others),
prints each problem as FILE:LINE: field \`F\`: message, and exits 1 if there is any.
`;

/** A --set value: number, inclusive range "a..b", comma list, or text. */
export function parseSetValue(text: string): unknown {
  const range = /^(\d+)\.\.(\d+)$/.exec(text);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (text !== "" && Number.isFinite(Number(text))) return Number(text);
  if (text.includes(",")) return text.split(",").map((s) => parseSetValue(s.trim()));
  if (text === "true" || text === "false") return text === "true";
  return text;
}

class UsageError extends Error {}

/** Problems printed by `check`; the rest are counted. */
const MAX_PRINTED = 50;

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`missing ${flag}`);
  return value;
}

function integer(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

async function tokenizerNamed(value: string | undefined): Promise<TokenCounter> {
  if (value === undefined || value === "byte") return byteTokenizer;
  if (value === "qwen3") return loadQwen3Tokenizer();
  throw new UsageError(`--tokenizer must be byte or qwen3, got "${value}"`);
}

function style(value: string | undefined): "tiny" | "natural" {
  if (value === undefined || value === "natural" || value === "tiny") return value ?? "natural";
  throw new UsageError(`--style must be tiny or natural, got "${value}"`);
}

async function gen(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      profile: { type: "string" },
      name: { type: "string" },
      kind: { type: "string" },
      count: { type: "string" },
      seed: { type: "string" },
      "input-tokens": { type: "string" },
      style: { type: "string" },
      set: { type: "string", multiple: true },
      decontaminate: { type: "boolean" },
      tokenizer: { type: "string" },
      benchmarks: { type: "boolean" },
      format: { type: "string" },
      out: { type: "string" },
    },
    strict: true,
  });
  if (positionals.length > 1) throw new UsageError("data gen takes at most one FILE");
  if (positionals.length === 1) return genExperiment(positionals[0]!, values);
  const chosenStyle = style(values.style);
  const tokenizer = await tokenizerNamed(values.tokenizer);
  const inputTokens =
    values["input-tokens"] === undefined
      ? undefined
      : integer(values["input-tokens"], "--input-tokens", 1);
  if (values.benchmarks) {
    const format = values.format ?? "jsonl";
    if (format !== "jsonl" && format !== "parquet")
      throw new UsageError(`--format must be jsonl or parquet`);
    const dir = values.out ?? "benchmarks";
    const count = values.count === undefined ? undefined : integer(values.count, "--count", 1);
    await mkdir(dir, { recursive: true });
    for (const name of BENCHMARK_NAMES) {
      const records = await buildBenchmark(name, {
        style: chosenStyle,
        ...(inputTokens === undefined ? {} : { inputTokens }),
        ...(count === undefined ? {} : { count }),
        tokenizer,
      });
      const path = join(dir, `${name}.${format}`);
      await writeDataset(path, records);
      console.log(`wrote ${records.length} ${name} records to ${path}`);
    }
    return 0;
  }
  const kind = required(values.kind, "--kind");
  if (!(TASK_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`--kind must be one of ${TASK_KINDS.join(", ")}, got "${kind}"`);
  }
  const count = integer(required(values.count, "--count"), "--count", 1);
  const seed = integer(required(values.seed, "--seed"), "--seed", 0);
  const out = required(values.out, "--out");
  const params: Record<string, unknown> = {
    style: chosenStyle,
    inputTokens:
      inputTokens ??
      integer(required(values["input-tokens"], "--input-tokens"), "--input-tokens", 1),
  };
  for (const assignment of values.set ?? []) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set expects NAME=VALUE, got "${assignment}"`);
    params[assignment.slice(0, eq)] = parseSetValue(assignment.slice(eq + 1));
  }
  const exclude = values.decontaminate
    ? await benchmarkPrompts({
        style: chosenStyle,
        inputTokens: params["inputTokens"] as number,
        tokenizer,
      })
    : undefined;
  const written = await writeDataset(
    out,
    generateRecords(kind as TaskKind, params, count, seed, {
      tokenizer,
      ...(exclude ? { exclude } : {}),
    }),
  );
  console.log(`wrote ${written} ${kind} records to ${out}`);
  return 0;
}

/** `data gen FILE`: the datasets of an experiment, exactly as `qlx run` generates them. */
async function genExperiment(
  file: string,
  values: { profile?: string; name?: string; out?: string },
): Promise<number> {
  const loaded = loadIr(file, values, "experiment");
  if ("exit" in loaded) {
    if (loaded.message) throw new UsageError(loaded.message);
    return loaded.exit;
  }
  if (loaded.ir.kind !== "experiment") throw new UsageError(`${file} compiles to an ablation`);
  const ir = loaded.ir;
  const dir = values.out ?? "data";
  const src = { projectDir: loaded.projectDir, seed: ir.seed, style: taskStyle(ir) };
  for await (const { file: rel, records } of experimentDatasets(ir, src)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeDataset(path, records);
    console.log(`wrote ${records.length} records to ${path}`);
  }
  return 0;
}

async function check(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError("data check takes exactly one FILE");
  const file = positionals[0]!;
  const byTask = new Map<TaskKind, number>();
  let problems = 0;
  let badRows = 0;
  let tokens = { min: Infinity, max: 0 };
  const tokenizers = new Map<string, TokenCounter>([[byteTokenizer.id, byteTokenizer]]);
  for await (const row of scanDataset(file)) {
    if (row.ok && row.record.meta?.["tokenizer"] === QWEN3_TOKENIZER_ID) {
      // Loaded only for files that use it: it takes most of a second.
      if (!tokenizers.has(QWEN3_TOKENIZER_ID))
        tokenizers.set(QWEN3_TOKENIZER_ID, await loadQwen3Tokenizer());
    }
    const issues: DataIssue[] = row.ok
      ? checkConsistency(row.record, tokenizers).map((i) => ({ location: row.location, ...i }))
      : [...row.issues];
    if (issues.length > 0) badRows++;
    for (const issue of issues) {
      if (problems++ < MAX_PRINTED) console.error(formatIssue(issue));
    }
    if (row.ok && issues.length === 0) {
      byTask.set(row.record.task, (byTask.get(row.record.task) ?? 0) + 1);
      const n = byteTokenizer.count(renderPrompt(row.record));
      tokens = { min: Math.min(tokens.min, n), max: Math.max(tokens.max, n) };
    }
  }
  if (problems > MAX_PRINTED) console.error(`… and ${problems - MAX_PRINTED} more problems`);
  const valid = [...byTask.values()].reduce((a, b) => a + b, 0);
  const kinds = TASK_KINDS.filter((k) => byTask.has(k)).map((k) => `${k} ${byTask.get(k)}`);
  const range = valid > 0 ? `, prompts ${tokens.min}..${tokens.max} bytes` : "";
  console.log(
    `${file}: ${valid} valid records (${kinds.join(", ") || "none"})${range}; ${badRows} bad rows`,
  );
  if (valid === 0 && badRows === 0) {
    console.error(`${file}: no records`);
    return 1;
  }
  return badRows > 0 ? 1 : 0;
}

/** Runs `qlx data ARGS`; returns the exit code (2: usage error, 1: failure or invalid data). */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub === "gen") return await gen(rest);
    if (sub === "check") return await check(rest);
    if (sub === undefined || sub === "help" || sub === "--help") {
      console.log(help);
      return sub === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown data command "${sub}"`);
  } catch (error) {
    // node:util parseArgs reports unknown or malformed flags as ERR_PARSE_ARGS_* TypeErrors.
    const argsError =
      error instanceof TypeError &&
      String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
    if (error instanceof UsageError || argsError) {
      console.error(`qlx data: ${error.message}\n\n${help}`);
      return 2;
    }
    if (
      error instanceof TaskParamError ||
      error instanceof DataError ||
      error instanceof RangeError
    ) {
      console.error(`qlx data: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
