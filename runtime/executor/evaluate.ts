// Evaluation on held-out sets: decode every prompt (the evaluation block's temperature, top-p
// and samples per prompt), score each response with the benchmark's metric, report the mean
// and its standard error.
import type { ExperimentIr } from "../../compiler/ir/schema.ts";
import { summarize } from "../rewards/metrics.ts";
import { buildReward, type RewardOutcome } from "../rewards/registry.ts";
import { BENCHMARKS, type BenchmarkName } from "../tasks/benchmarks.ts";
import { byteTokenizer } from "../tokenizer/byte.ts";
import type { Example } from "./examples.ts";
import type { Policy } from "./policy.ts";

/** Prompts decoded in one generate call (bounds the KV cache's memory). */
const EVAL_CHUNK = 256;

export interface BenchmarkScore {
  readonly benchmark: string;
  readonly metric: string;
  readonly score: number;
  /** Samples scored, and samples whose metric failed (left out of the mean). */
  readonly n: number;
  readonly failed: number;
  readonly stderr: number;
}

export interface DecodeSettings {
  readonly maxNewTokens: number;
  readonly temperature: number;
  readonly topP: number;
  readonly greedy: boolean;
  readonly samples: number;
  readonly seed: number;
  readonly streamKeys: readonly (string | number)[];
}

/** The responses to `examples`, `samples` per example, in order (example-major). */
export async function decodeAll(
  policy: Policy,
  examples: readonly Example[],
  s: DecodeSettings,
): Promise<string[]> {
  const prompts = examples.flatMap((e) => Array.from({ length: s.samples }, () => e.prompt));
  const out: string[] = [];
  for (let start = 0; start < prompts.length; start += EVAL_CHUNK) {
    const chunk = prompts.slice(start, start + EVAL_CHUNK);
    const seqs = await policy.generate(chunk, {
      maxNewTokens: s.maxNewTokens,
      stopTokens: [byteTokenizer.special.eos],
      sampling: { temperature: s.temperature, topP: s.topP, greedy: s.greedy },
      seed: s.seed,
      streamKeys: [...s.streamKeys, start],
      padToken: byteTokenizer.special.pad,
    });
    for (const q of seqs) out.push(byteTokenizer.decode(q.tokens));
  }
  return out;
}

export async function evaluateBenchmark(
  policy: Policy,
  name: string,
  examples: readonly Example[],
  s: DecodeSettings,
): Promise<BenchmarkScore> {
  const spec = BENCHMARKS[name as BenchmarkName].metric;
  const reward = buildReward(spec);
  const responses = await decodeAll(policy, examples, s);
  const outcomes: RewardOutcome[] = [];
  for (let i = 0; i < responses.length; i++) {
    outcomes.push(await reward.score(responses[i]!, examples[Math.floor(i / s.samples)]!.record));
  }
  // A sample whose metric failed (a judge that could not answer) is counted, not scored 0.
  const sum = summarize(outcomes);
  return {
    benchmark: name,
    metric: spec.name,
    score: sum.mean ?? 0,
    n: sum.scored,
    failed: sum.failed,
    stderr: sum.stderr ?? 0,
  };
}

export function evalDecodeSettings(
  ev: NonNullable<ExperimentIr["evaluate"]>,
  seed: number,
  point: string,
): Omit<DecodeSettings, "maxNewTokens"> & { maxNewTokens: number } {
  return {
    maxNewTokens: ev.output,
    temperature: ev.temperature,
    topP: ev.top_p,
    greedy: false,
    samples: ev.samples,
    seed,
    streamKeys: ["eval", point],
  };
}
