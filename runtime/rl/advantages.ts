// Outcome advantages: one scalar reward per response, one advantage per response that the loss
// broadcasts to every token of that response (paper Eq. 3-4; memory-agent trajectories too, §2.3).
//
// Definitions (one implementation each; the verl backend must reproduce them):
//   μ_g  = mean of the rewards of the response's group (the G responses to one prompt)
//   σ(S) = sample standard deviation with Bessel's correction (n − 1), as torch.std in verl and in
//          the authors' compute_grpo_task_norm_outcome_advantage; σ of a single value is 0
//   grpo(std = group)       A = (r − μ_g) / (σ(group) + ε)                         Eq. 3
//   grpo(std = batch)       A = (r − μ_g) / (σ(all rewards of the batch) + ε)
//   grpo(std = task_batch)  A = (r − μ_g) / (σ(rewards of the same task in the batch) + ε)   Eq. 7
//   grpo(std = none)        A = r − μ_g                                            (Dr. GRPO)
//   rloo                    A = r − mean of the other G − 1 rewards = G/(G−1)·(r − μ_g)
//   reinforce_plus_plus     batch whitening of the returns (verl's REINFORCE++ with γ = 1 and an
//                           outcome reward, so every token's return is r): mean and variance
//                           (Bessel) over all valid tokens of the batch, A = (r − m)/sqrt(v + 1e-8)
// ε defaults to 1e-6 (verl's and the authors' value).
// Degenerate cases, never NaN:
//   - a group with one response: its baseline is its own reward, so A = 0. (verl and the authors'
//     fragment use baseline 0 there, i.e. A = r/(σ+ε): a reward leaks in as an advantage with no
//     comparison behind it; qlx treats a lone response as carrying no relative signal.)
//   - all rewards of a group equal: r − μ_g = 0 exactly, so A = 0 whatever the std.
//   - a task with one response in the batch (task_batch): σ = 0 and A = 0 (its group has one response).
//   - one task only: task_batch equals batch.
//   - reinforce_plus_plus with fewer than two valid tokens: variance 0 and A = 0.

import type { NumberArray } from "./ragged.ts";
import type { Metrics } from "./metrics.ts";
import { RL_METRICS, perTaskMetric } from "./metrics.ts";

export type GrpoStd = "group" | "batch" | "task_batch" | "none";

export type AdvantageOptions =
  | { readonly kind: "grpo"; readonly std: GrpoStd; readonly eps?: number }
  | { readonly kind: "rloo" }
  | { readonly kind: "reinforce_plus_plus" };

export const DEFAULT_ADVANTAGE_EPS = 1e-6;
/** Added to the variance before the square root in REINFORCE++ whitening (verl's masked_whiten). */
export const WHITEN_EPS = 1e-8;

/** What the library needs to know about each response: its prompt group and its task. */
export interface ResponseInfo {
  readonly groupIndex: number;
  readonly task: string;
  /** Dataset sample id, for error messages. */
  readonly sampleId?: string;
}

export interface TaskAdvantageStats {
  readonly count: number;
  readonly rewardMean: number;
  readonly advMean: number;
  readonly advStd: number;
}

export interface AdvantageResult {
  readonly advantages: Float64Array;
  readonly byTask: ReadonlyMap<string, TaskAdvantageStats>;
  readonly metrics: Metrics;
}

/**
 * Per-response advantages. `rewards[i]` belongs to `responses[i]`; `tokenCounts[i]` (the number of
 * valid tokens of response i) is needed by reinforce_plus_plus only, whose whitening is token-weighted.
 */
export function computeAdvantages(
  rewards: NumberArray | readonly (number | undefined | null)[],
  responses: readonly ResponseInfo[],
  opts: AdvantageOptions,
  tokenCounts?: NumberArray,
): AdvantageResult {
  const r = checkedRewards(rewards, responses);
  const n = r.length;
  const groups = indexBy(responses, (x) => x.groupIndex);
  const groupMean = new Float64Array(n);
  const groupSize = new Int32Array(n);
  for (const members of groups.values()) {
    const m = mean(members.map((i) => r[i]!));
    for (const i of members) {
      groupMean[i] = m;
      groupSize[i] = members.length;
    }
  }

  const adv = new Float64Array(n);
  switch (opts.kind) {
    case "grpo": {
      const eps = opts.eps ?? DEFAULT_ADVANTAGE_EPS;
      if (!(eps >= 0)) throw new Error(`advantage grpo: eps must be ≥ 0, got ${eps}`);
      const denom = grpoDenominators(r, responses, groups, opts.std);
      for (let i = 0; i < n; i++) {
        const centred = groupSize[i]! > 1 ? r[i]! - groupMean[i]! : 0;
        // centred = 0 covers σ + ε = 0 (eps 0 with equal rewards) without a 0/0.
        adv[i] = opts.std === "none" || centred === 0 ? centred : centred / (denom[i]! + eps);
      }
      break;
    }
    case "rloo":
      for (let i = 0; i < n; i++) {
        const g = groupSize[i]!;
        adv[i] = g > 1 ? (g / (g - 1)) * (r[i]! - groupMean[i]!) : 0;
      }
      break;
    case "reinforce_plus_plus": {
      if (!tokenCounts || tokenCounts.length !== n) {
        throw new Error(
          `advantage reinforce_plus_plus: needs token counts for each of the ${n} responses, got ${tokenCounts ? tokenCounts.length : "none"}`,
        );
      }
      let tokens = 0;
      let s = 0;
      for (let i = 0; i < n; i++) {
        tokens += tokenCounts[i]!;
        s += tokenCounts[i]! * r[i]!;
      }
      const m = tokens > 0 ? s / tokens : 0;
      let ss = 0;
      for (let i = 0; i < n; i++) ss += tokenCounts[i]! * (r[i]! - m) ** 2;
      const variance = tokens > 1 ? ss / (tokens - 1) : 0;
      const scale = 1 / Math.sqrt(variance + WHITEN_EPS);
      for (let i = 0; i < n; i++) adv[i] = tokens > 1 ? (r[i]! - m) * scale : 0;
      break;
    }
  }

  const byTask = new Map<string, TaskAdvantageStats>();
  const metrics: Metrics = {};
  for (const [task, members] of [...indexBy(responses, (x) => x.task)].sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  )) {
    const a = members.map((i) => adv[i]!);
    const stats = {
      count: members.length,
      rewardMean: mean(members.map((i) => r[i]!)),
      advMean: mean(a),
      advStd: sampleStd(a),
    };
    byTask.set(task, stats);
    metrics[perTaskMetric(RL_METRICS.advMean, task)] = stats.advMean;
    metrics[perTaskMetric(RL_METRICS.advStd, task)] = stats.advStd;
    metrics[perTaskMetric(RL_METRICS.rewardMean, task)] = stats.rewardMean;
  }
  return { advantages: adv, byTask, metrics };
}

function grpoDenominators(
  r: Float64Array,
  responses: readonly ResponseInfo[],
  groups: Map<number, number[]>,
  std: GrpoStd,
): Float64Array {
  const out = new Float64Array(r.length);
  switch (std) {
    case "none":
      return out;
    case "batch":
      return out.fill(sampleStd(Array.from(r)));
    case "group":
      for (const members of groups.values()) {
        const s = sampleStd(members.map((i) => r[i]!));
        for (const i of members) out[i] = s;
      }
      return out;
    case "task_batch":
      for (const members of indexBy(responses, (x) => x.task).values()) {
        const s = sampleStd(members.map((i) => r[i]!));
        for (const i of members) out[i] = s;
      }
      return out;
  }
}

function checkedRewards(
  rewards: NumberArray | readonly (number | undefined | null)[],
  responses: readonly ResponseInfo[],
): Float64Array {
  if (rewards.length !== responses.length) {
    throw new Error(
      `advantages: rewards has ${rewards.length} entries but the rollouts have ${responses.length} responses`,
    );
  }
  const out = new Float64Array(rewards.length);
  for (let i = 0; i < rewards.length; i++) {
    const v = rewards[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      const who = responses[i]!;
      const sample = who.sampleId !== undefined ? `sample "${who.sampleId}"` : `response ${i}`;
      throw new Error(
        `advantages: reward of ${sample} (task "${who.task}", group ${who.groupIndex}) is ${v === undefined || v === null ? "missing" : String(v)}`,
      );
    }
    out[i] = v;
  }
  return out;
}

function indexBy<K>(
  responses: readonly ResponseInfo[],
  key: (r: ResponseInfo) => K,
): Map<K, number[]> {
  const out = new Map<K, number[]>();
  responses.forEach((r, i) => {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(i);
    else out.set(k, [i]);
  });
  return out;
}

/** Mean, shifted by the first value so that equal values give exactly that value (so r − μ = 0). */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const x0 = xs[0]!;
  let s = 0;
  for (const x of xs) s += x - x0;
  return x0 + s / xs.length;
}

/** Standard deviation with Bessel's correction; 0 for fewer than two values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}
