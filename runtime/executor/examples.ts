// Turns a task's `data` (a file or a built-in generator) and the evaluation benchmarks into
// tokenized examples for the policy. A prompt is [BOS] + the rendered prompt, middle-truncated
// to the stage's input limit (DESIGN.md "Rollout"); a reference response (for the supervised
// warm-up) is the ground truth followed by EOS.
import { resolve } from "node:path";
import type { ExperimentIr } from "../../compiler/ir/schema.ts";
import type { TaskKind, TaskRecord } from "../data/schema.ts";
import { readDataset } from "../data/dataset.ts";
import { middleTruncate } from "../data/truncate.ts";
import {
  BENCHMARKS,
  benchmarkPrompts,
  buildBenchmark,
  type BenchmarkName,
} from "../tasks/benchmarks.ts";
import { referenceResponse, renderPrompt } from "../tasks/prompt.ts";
import { generateDataset } from "../tasks/registry.ts";
import type { TaskStyle } from "../tasks/types.ts";
import { byteTokenizer } from "../tokenizer/byte.ts";

export interface Example {
  /** Index within its dataset (stable: the sampler and pass-rate bookkeeping key on it). */
  readonly index: number;
  /** The experiment's task name (or the benchmark name). */
  readonly task: string;
  readonly record: TaskRecord;
  readonly prompt: readonly number[];
  /** The ground-truth response text the rewards give full marks. */
  readonly reference: string;
}

type IrTask = ExperimentIr["tasks"][number];

/** [BOS] + prompt tokens, middle-truncated so the whole prompt fits in `maxInput` tokens. */
export function encodePrompt(text: string, maxInput: number): number[] {
  const kept = middleTruncate(text, maxInput - 1, byteTokenizer).text;
  return [byteTokenizer.special.bos, ...byteTokenizer.encode(kept)];
}

export function encodeResponse(text: string): number[] {
  return [...byteTokenizer.encode(text), byteTokenizer.special.eos];
}

/**
 * The built-in generators render prompts in a compact form for tiny from-scratch models and in
 * prose for real ones; the experiment's policy decides which.
 */
export function taskStyle(ir: ExperimentIr): TaskStyle {
  return ir.models[0]?.init.kind === "tiny" ? "tiny" : "natural";
}

/** Generator parameters the IR's `generate(...)` sets, in the generator's own names. */
function generatorParams(
  data: Extract<IrTask["data"], { kind: "generate" }>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (data.facts && data.generator !== "multihop" && data.generator !== "dialogue_memory") {
    out["facts"] = { min: data.facts[0], max: data.facts[1] };
  }
  if (data.hops !== null && data.generator === "multihop")
    out["hops"] = { min: data.hops, max: data.hops };
  if (data.choices !== null && data.generator === "multiple_choice") out["choices"] = data.choices;
  return out;
}

export interface ExampleSource {
  readonly projectDir: string;
  readonly seed: number;
  readonly style: TaskStyle;
}

/** One task's examples at `maxInput` tokens. Generated data never contains an eval prompt. */
export async function taskExamples(
  task: IrTask,
  maxInput: number,
  src: ExampleSource,
): Promise<Example[]> {
  let records: TaskRecord[];
  if (task.data.kind === "path") {
    records = [];
    for await (const r of readDataset(resolve(src.projectDir, task.data.path))) records.push(r);
  } else {
    const inputTokens = maxInput - 1;
    records = await generateDataset(
      task.data.generator as TaskKind,
      { style: task.data.style, inputTokens, ...generatorParams(task.data) },
      task.data.count,
      src.seed * 1_000_003 + task.data.seed,
      {
        space: "train",
        stream: task.name,
        exclude: await benchmarkPrompts({ style: src.style, inputTokens }),
      },
    );
  }
  return records.map((record, index) => ({
    index,
    task: task.name,
    record,
    prompt: encodePrompt(renderPrompt(record), maxInput),
    reference: referenceResponse(record),
  }));
}

/** All tasks of a stage in one indexable list (task-balanced sampling keys on `task`). */
export async function stageExamples(
  tasks: readonly IrTask[],
  maxInput: number,
  src: ExampleSource,
): Promise<Example[]> {
  const all: Example[] = [];
  for (const t of tasks) {
    for (const e of await taskExamples(t, maxInput, src)) all.push({ ...e, index: all.length });
  }
  return all;
}

/** A benchmark's evaluation set, `limit` items (0 = all), prompts truncated to `maxInput`. */
export async function benchmarkExamples(
  name: string,
  opts: { style: TaskStyle; maxInput: number; limit: number },
): Promise<Example[]> {
  if (!(name in BENCHMARKS)) throw new Error(`unknown benchmark "${name}"`);
  const records = await buildBenchmark(name as BenchmarkName, {
    style: opts.style,
    inputTokens: opts.maxInput - 1,
    ...(opts.limit > 0 ? { count: opts.limit } : {}),
  });
  return records.map((record, index) => ({
    index,
    task: name,
    record,
    prompt: encodePrompt(renderPrompt(record), opts.maxInput),
    reference: referenceResponse(record),
  }));
}

/**
 * Every generated dataset `qlx run` trains and evaluates this experiment on, as files relative
 * to an output directory: `STAGE/TASK.jsonl` for each stage's built-in task data (at the stage's
 * input length) and `benchmarks/NAME.jsonl` for the evaluation sets. Tasks that read a user's
 * file are not generated.
 */
export async function* experimentDatasets(
  ir: ExperimentIr,
  src: ExampleSource,
): AsyncGenerator<{ file: string; records: TaskRecord[] }> {
  for (const node of ir.schedule) {
    if (node.kind !== "stage") continue;
    const dataset = node.nodes.find((n) => n.kind === "dataset");
    for (const task of ir.tasks) {
      if (task.data.kind !== "generate" || (dataset && !dataset.tasks.includes(task.name)))
        continue;
      const examples = await taskExamples(task, node.input, src);
      yield { file: `${node.name}/${task.name}.jsonl`, records: examples.map((e) => e.record) };
    }
  }
  const ev = ir.evaluate;
  for (const name of ev?.benchmarks ?? []) {
    const examples = await benchmarkExamples(name, {
      style: src.style,
      maxInput: ev!.input,
      limit: ev!.limit,
    });
    yield { file: `benchmarks/${name}.jsonl`, records: examples.map((e) => e.record) };
  }
}
