// Evaluation sets named after the columns of the paper's tables (Tables 2-5, 7, 10: DocMath,
// LBV2, Frames, MRCR, CorpusQA, LBV1-QA), each built from our generators with a fixed seed in
// the "eval" seed space (registry.ts), so an ablation table gets the paper's columns and no
// evaluation prompt can be a training prompt. Each entry says which generator shape stands
// in for the benchmark and which reward scores it:
//
//   docmath   corpus_numeric over one company's filings (single-document numeric reasoning,
//             like DocMath's financial reports)                        numeric_match(1e-4)
//   lbv2      multiple_choice with near-miss distractors (LongBench-v2 is 4-way choice)
//                                                                      choice_accuracy
//   frames    multihop, 2-3 hops (Frames: multi-hop Wikipedia questions)          cem
//   mrcr      dialogue_memory, 2-4 similar requests (MRCR)                       mrcr_grade
//   corpusqa  corpus_numeric across many companies' filings (corpus-level aggregation)
//                                                                      numeric_match(1e-4)
//   lbv1_qa   60% multihop (HotpotQA, 2WikiMQA, Musique: 3 of its 5 subsets) and 40% reading
//             with distractors (NarrativeQA, Qasper)                             cem
//
// The paper scores multi-hop QA with max(CEM, LLM judge) (§5.1); our answers are short
// programmatic strings, so CEM alone is exact and needs no judge. A recipe can still override
// the metric with `max(cem, judge)`.
//
// Sizes: tiny sets default to 200 prompts at 32 tokens (notes/tiny-scale-rl.md: a 200-prompt
// eval has binomial sd ≈ 0.035; use ≥ 1000 to resolve ~0.03 differences); natural sets to 100
// prompts at lengths ordered like the paper's average input lengths (DocMath shortest,
// CorpusQA longest).

import type { TaskKind, TaskRecord } from "../data/schema.ts";
import type { RewardSpec } from "../rewards/registry.ts";
import { renderPrompt } from "./prompt.ts";
import { generateRecords } from "./registry.ts";
import type { TokenCounter, TaskStyle } from "./types.ts";

export const BENCHMARK_NAMES = [
  "docmath",
  "lbv2",
  "frames",
  "mrcr",
  "corpusqa",
  "lbv1_qa",
] as const;
export type BenchmarkName = (typeof BENCHMARK_NAMES)[number];

/** The seed of every evaluation set; the "eval" seed space keeps it apart from training. */
export const BENCHMARK_SEED = 20251;

interface BenchmarkPart {
  readonly kind: TaskKind;
  /** Share of the set's prompts (shares of a benchmark sum to 1). */
  readonly share: number;
  /** Generator params per style, without style and inputTokens. */
  readonly params: Readonly<Record<TaskStyle, Record<string, unknown>>>;
}

export interface BenchmarkSpec {
  readonly name: BenchmarkName;
  /** The column header in the paper's tables. */
  readonly column: string;
  readonly parts: readonly BenchmarkPart[];
  readonly metric: RewardSpec;
  readonly count: Readonly<Record<TaskStyle, number>>;
  readonly inputTokens: Readonly<Record<TaskStyle, number>>;
}

const TINY = { count: 200, inputTokens: 32 };
const numeric: RewardSpec = { name: "numeric_match", relTol: 1e-4 };

export const BENCHMARKS: Readonly<Record<BenchmarkName, BenchmarkSpec>> = {
  docmath: {
    name: "docmath",
    column: "DocMath",
    parts: [
      {
        kind: "corpus_numeric",
        share: 1,
        params: {
          tiny: {
            groups: { min: 1, max: 1 },
            facts: { min: 1, max: 3 },
            ops: ["sum", "max", "min"],
          },
          natural: {
            groups: { min: 1, max: 1 },
            facts: { min: 4, max: 8 },
            ops: ["sum", "avg", "max", "min", "diff"],
          },
        },
      },
    ],
    metric: numeric,
    count: { tiny: TINY.count, natural: 100 },
    inputTokens: { tiny: TINY.inputTokens, natural: 2048 },
  },
  lbv2: {
    name: "lbv2",
    column: "LBV2",
    parts: [
      {
        kind: "multiple_choice",
        share: 1,
        params: {
          tiny: { choices: 2, facts: { min: 1, max: 3 }, distractorSimilarity: 0.7 },
          natural: { choices: 4, facts: { min: 6, max: 16 }, distractorSimilarity: 0.7 },
        },
      },
    ],
    metric: { name: "choice_accuracy" },
    count: { tiny: TINY.count, natural: 100 },
    inputTokens: { tiny: TINY.inputTokens, natural: 8192 },
  },
  frames: {
    name: "frames",
    column: "Frames",
    parts: [
      {
        kind: "multihop",
        share: 1,
        params: {
          tiny: { hops: { min: 1, max: 2 } },
          natural: { hops: { min: 2, max: 3 }, facts: { min: 6, max: 12 } },
        },
      },
    ],
    metric: { name: "cem" },
    count: { tiny: TINY.count, natural: 100 },
    inputTokens: { tiny: TINY.inputTokens, natural: 4096 },
  },
  mrcr: {
    name: "mrcr",
    column: "MRCR",
    parts: [
      {
        kind: "dialogue_memory",
        share: 1,
        params: {
          tiny: { needles: { min: 1, max: 2 }, distractors: { min: 0, max: 2 } },
          natural: { needles: { min: 2, max: 4 }, distractors: { min: 4, max: 10 } },
        },
      },
    ],
    metric: { name: "mrcr_grade" },
    count: { tiny: TINY.count, natural: 100 },
    inputTokens: { tiny: TINY.inputTokens, natural: 8192 },
  },
  corpusqa: {
    name: "corpusqa",
    column: "CorpusQA",
    parts: [
      {
        kind: "corpus_numeric",
        share: 1,
        params: {
          tiny: { groups: { min: 2, max: 3 }, facts: { min: 2, max: 4 }, ops: ["sum", "count"] },
          natural: {
            groups: { min: 3, max: 6 },
            facts: { min: 12, max: 30 },
            ops: ["sum", "avg", "count", "year_total"],
          },
        },
      },
    ],
    metric: numeric,
    count: { tiny: TINY.count, natural: 100 },
    inputTokens: { tiny: TINY.inputTokens, natural: 16384 },
  },
  lbv1_qa: {
    name: "lbv1_qa",
    column: "LBV1-QA",
    parts: [
      {
        kind: "multihop",
        share: 0.6,
        params: { tiny: { hops: { min: 1, max: 2 } }, natural: { hops: { min: 2, max: 4 } } },
      },
      {
        kind: "reading",
        share: 0.4,
        params: {
          tiny: { facts: { min: 1, max: 3 }, distractorSimilarity: 0.5 },
          natural: { facts: { min: 6, max: 16 }, distractorSimilarity: 0.8 },
        },
      },
    ],
    metric: { name: "cem" },
    count: { tiny: TINY.count, natural: 100 },
    inputTokens: { tiny: TINY.inputTokens, natural: 4096 },
  },
};

export interface BenchmarkOptions {
  readonly style?: TaskStyle;
  /** Default: the benchmark's length for the style. */
  readonly inputTokens?: number;
  /** Default: the benchmark's size for the style. */
  readonly count?: number;
  readonly tokenizer?: TokenCounter;
}

/** Prompts per part: shares rounded down, the remainder to the parts in order. */
function partCounts(parts: readonly BenchmarkPart[], total: number): number[] {
  const counts = parts.map((p) => Math.floor(p.share * total));
  let left = total - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0; i = (i + 1) % counts.length, left--) counts[i]!++;
  return counts;
}

/** The evaluation set `name`: deterministic, from BENCHMARK_SEED in the "eval" seed space. */
export async function buildBenchmark(
  name: BenchmarkName,
  options: BenchmarkOptions = {},
): Promise<TaskRecord[]> {
  const spec = BENCHMARKS[name];
  const style = options.style ?? "natural";
  const inputTokens = options.inputTokens ?? spec.inputTokens[style];
  const counts = partCounts(spec.parts, options.count ?? spec.count[style]);
  const records: TaskRecord[] = [];
  for (const [i, part] of spec.parts.entries()) {
    const params = { ...part.params[style], style, inputTokens };
    const stream = `${name}/${part.kind}`;
    const generated = generateRecords(part.kind, params, counts[i]!, BENCHMARK_SEED, {
      space: "eval",
      stream,
      idPrefix: `${name}-${part.kind}`,
      ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}),
    });
    for await (const record of generated) {
      records.push({ ...record, meta: { ...record.meta, benchmark: name } });
    }
  }
  return records;
}

/** Every benchmark prompt for a style and length: the `exclude` set for training data. */
export async function benchmarkPrompts(options: BenchmarkOptions = {}): Promise<Set<string>> {
  const prompts = new Set<string>();
  for (const name of BENCHMARK_NAMES) {
    for (const record of await buildBenchmark(name, options)) prompts.add(renderPrompt(record));
  }
  return prompts;
}
