// Generators by task kind, and dataset generation: `count` records of one kind from one seed.
//
// Seeds and disjointness: sample i of a training dataset draws from the RNG streams
// (seed, "train", kind, i, purpose…); evaluation sets (benchmarks.ts) draw from
// (seed, "eval", benchmark, i, purpose…). The "train"/"eval" key keeps the two seed spaces
// apart for every seed, and `exclude` drops any training record whose prompt equals an
// evaluation prompt (the paper's test-set decontamination, §3), drawing a replacement.

import type { TaskKind, TaskRecord } from "../data/schema.ts";
import { Rng } from "../rng.ts";
import type { RngKey } from "../rng.ts";
import { byteTokenizer } from "../tokenizer/byte.ts";
import { corpusNumericGenerator } from "./corpus-numeric.ts";
import { dialogueMemoryGenerator } from "./dialogue-memory.ts";
import { multihopGenerator } from "./multihop.ts";
import { multipleChoiceGenerator } from "./multiple-choice.ts";
import { renderPrompt } from "./prompt.ts";
import { readingGenerator } from "./reading.ts";
import { openSqlSession } from "./sql.ts";
import type { GeneratorEnv, SampleDraw, TaskGenerator, TaskStyle, TokenCounter } from "./types.ts";

type AnyGenerator = TaskGenerator<{ style: TaskStyle; inputTokens: number }>;

export const GENERATORS: Record<TaskKind, AnyGenerator> = {
  multiple_choice: multipleChoiceGenerator as AnyGenerator,
  multihop: multihopGenerator as AnyGenerator,
  reading: readingGenerator as AnyGenerator,
  dialogue_memory: dialogueMemoryGenerator as AnyGenerator,
  corpus_numeric: corpusNumericGenerator as AnyGenerator,
};

export type ParamIssue = { readonly field: string; readonly message: string };

/** Validates raw params for `kind`; issues name the parameter. */
export function parseTaskParams(
  kind: TaskKind,
  raw: unknown,
):
  | { ok: true; params: { style: TaskStyle; inputTokens: number } }
  | { ok: false; issues: ParamIssue[] } {
  const parsed = GENERATORS[kind].params.safeParse(raw);
  if (parsed.success) return { ok: true, params: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((i) => ({
      field: [...i.path.map(String), ...(i.code === "unrecognized_keys" ? i.keys : [])].join("."),
      message: i.message,
    })),
  };
}

export interface GenerateOptions {
  /** Default: the built-in byte tokenizer (token = byte). */
  readonly tokenizer?: TokenCounter;
  /** Prompts that must not be generated (evaluation prompts, for decontamination). */
  readonly exclude?: ReadonlySet<string>;
  /** The seed-space name; "train" for training data, "eval" for benchmarks. */
  readonly space?: "train" | "eval";
  /** Name inside the seed space (default: the kind); benchmarks pass their own name. */
  readonly stream?: string;
  /** Record id prefix (default `${kind}-${seed}`). */
  readonly idPrefix?: string;
}

function sampleDraw(seed: number, keys: readonly RngKey[], id: string): SampleDraw {
  return { id, rng: (...purpose) => Rng.stream(seed, ...keys, ...purpose) };
}

/**
 * Streams `count` records of `kind`. Throws TaskParamError (bad params, target too short) or
 * a zod error message naming the parameter.
 */
export async function* generateRecords(
  kind: TaskKind,
  rawParams: unknown,
  count: number,
  seed: number,
  options: GenerateOptions = {},
): AsyncGenerator<TaskRecord> {
  const parsed = parseTaskParams(kind, rawParams);
  if (!parsed.ok) {
    const detail = parsed.issues.map((i) => `${i.field || "(params)"}: ${i.message}`).join("; ");
    throw new RangeError(`${kind} params: ${detail}`);
  }
  const session = openSqlSession();
  const env: GeneratorEnv = { tokenizer: options.tokenizer ?? byteTokenizer, sql: session.run };
  const space = options.space ?? "train";
  const stream = options.stream ?? kind;
  const idPrefix = options.idPrefix ?? `${kind}-${seed}`;
  try {
    let drawn = 0;
    for (let produced = 0; produced < count; drawn++) {
      if (drawn - produced > 100 + count) {
        throw new RangeError(
          `${kind}: too many samples collide with excluded prompts; change the seed`,
        );
      }
      const id = `${idPrefix}-${produced}`;
      const record = await GENERATORS[kind].generate(
        parsed.params,
        sampleDraw(seed, [space, stream, drawn], id),
        env,
      );
      if (options.exclude?.has(renderPrompt(record))) continue;
      produced++;
      yield { ...record, meta: { ...record.meta, seed, sample: drawn } };
    }
  } finally {
    await session.close();
  }
}

/** `count` records of `kind` from `seed`, in memory. */
export async function generateDataset(
  kind: TaskKind,
  params: unknown,
  count: number,
  seed: number,
  options: GenerateOptions = {},
): Promise<TaskRecord[]> {
  const records: TaskRecord[] = [];
  for await (const record of generateRecords(kind, params, count, seed, options))
    records.push(record);
  return records;
}
