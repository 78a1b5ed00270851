// The contract every task generator implements, and the parameters (difficulty knobs) they
// share. A generator turns (params, a per-sample RNG) into one record of runtime/data/schema.ts
// whose rendered prompt (prompt.ts) is exactly `inputTokens` long where the tokenizer allows
// (padding.ts says when it cannot be).

import { z } from "zod";
import type { Rng, RngKey } from "../rng.ts";
import type { TaskKind, TaskRecord } from "../data/schema.ts";
import type { Tokenizer } from "../tokenizer/byte.ts";

export const styleSchema = z.enum(["tiny", "natural"]);
/** tiny: compact `K:37 ` syntax for a from-scratch model at 32-128 tokens; natural: prose. */
export type TaskStyle = z.infer<typeof styleSchema>;

/**
 * An inclusive integer range `min..max`; each sample draws its count uniformly from it. A
 * plain integer n means n..n (a recipe's `hops = 2`), a pair [a, b] means a..b (a recipe's
 * `facts = [1, 3]`).
 */
export const countRangeSchema = z.preprocess(
  (value) =>
    typeof value === "number"
      ? { min: value, max: value }
      : Array.isArray(value) && value.length === 2
        ? { min: value[0], max: value[1] }
        : value,
  z
    .strictObject({ min: z.int().nonnegative(), max: z.int().nonnegative() })
    .refine((r) => r.min <= r.max, { message: "min must not exceed max" }),
);
export type CountRange = z.infer<typeof countRangeSchema>;

/**
 * Where the evidence sits in the context, as a fraction of the padding before it: "uniform"
 * draws each piece independently; a number (0 = start, 1 = end) puts all evidence together
 * at that depth, the knob of needle-in-a-haystack depth sweeps.
 */
export const evidencePositionSchema = z.union([
  z.enum(["uniform", "start", "middle", "end"]),
  z.number().min(0).max(1),
]);
export type EvidencePosition = z.infer<typeof evidencePositionSchema>;

/**
 * Share of distractors that are near misses of the evidence, in [0, 1]. Unset, it is 0 in the
 * tiny style — the distinct-key setting notes/tiny-scale-rl.md measured as learnable — and 0.5
 * in the natural style.
 */
export const distractorSimilaritySchema = z.number().min(0).max(1).optional();

export function resolveSimilarity(style: TaskStyle, value: number | undefined): number {
  return value ?? (style === "tiny" ? 0 : 0.5);
}

/** Fields every kind's parameter schema has. */
export const commonParamFields = {
  style: styleSchema.default("natural"),
  /** Target prompt length in tokens of the generator's tokenizer. */
  inputTokens: z.int().positive(),
  evidencePosition: evidencePositionSchema.default("uniform"),
};

/** Token counting is all a generator needs from a tokenizer. */
export type TokenCounter = Pick<Tokenizer, "id" | "count">;

/** Runs one SQL query in the generator's in-memory DuckDB, returning plain JS rows. */
export type SqlRunner = (
  sql: string,
  tables: readonly SqlTable[],
) => Promise<Record<string, unknown>[]>;

export interface SqlTable {
  readonly name: string;
  /** Column name → DuckDB type, in order. */
  readonly columns: readonly (readonly [string, "VARCHAR" | "INTEGER" | "BIGINT"])[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export interface GeneratorEnv {
  readonly tokenizer: TokenCounter;
  readonly sql: SqlRunner;
}

/** What a generator gets for one sample: its id and its own named random streams. */
export interface SampleDraw {
  readonly id: string;
  /** An independent stream per purpose, so changing one draw never shifts another. */
  rng(...purpose: RngKey[]): Rng;
}

export interface TaskGenerator<P extends { style: TaskStyle; inputTokens: number }> {
  readonly kind: TaskKind;
  /** Validates user-facing params (CLI `--set`, the language's task `data` expression). */
  readonly params: z.ZodType<P, unknown>;
  generate(params: P, draw: SampleDraw, env: GeneratorEnv): TaskRecord | Promise<TaskRecord>;
}

/** A parameter combination no sample can satisfy (e.g. more evidence than the input holds). */
export class TaskParamError extends Error {
  constructor(kind: TaskKind, message: string) {
    super(`${kind}: ${message}`);
    this.name = "TaskParamError";
  }
}

/** Draws an integer uniformly from an inclusive range. */
export function drawCount(rng: Rng, range: CountRange): number {
  return range.min + rng.int(range.max - range.min + 1);
}
