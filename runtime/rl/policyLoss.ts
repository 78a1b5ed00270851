// CPU reference of the per-token policy loss (the shared model/loss spec) and of KL-in-reward.
// The engine's training graph computes Σ_t w_t · term_t and must equal `policyLoss` here.
//
//   ratio = exp(logp − oldLogp)
//   pg    = max(−A·ratio, −A·clip(ratio, 1 − ε_low, 1 + ε_high))            PPO / DAPO clip-higher
//   if A < 0 and c > 0: pg = min(pg, −A·c)                                  dual clip (c > 1)
//   term  = pg + β·KL_est(logp, ref) − entropyCoef·H
//   KL_est: k1 = logp − ref;  k2 = ½(logp − ref)²;  k3 = exp(ref − logp) − (ref − logp) − 1
// With one update per batch (the paper's on-policy setting, Eq. 4) ratio = 1 and the clips are
// inactive. k3 is not clamped here (verl clamps it to [−10, 10]); the shared spec fixes the
// unclamped form for the engine, so the reference follows the spec.
// KL in the reward (verl's apply_kl_penalty): every token's reward is reduced by β·KL_est(old, ref)
// and outcome estimators sum the token rewards, so a response's shaped reward is
// r − β Σ_t KL_est(oldLogp_t, refLogp_t). The compiler rejects KL in both the loss and the reward.

import type { NumberArray } from "./ragged.ts";
import type { Metrics } from "./metrics.ts";
import { checkOffsets } from "./ragged.ts";
import { RL_METRICS } from "./metrics.ts";

export type KlEstimator = "k1" | "k2" | "k3";

export function klEstimate(logp: number, refLogp: number, estimator: KlEstimator): number {
  const d = logp - refLogp;
  switch (estimator) {
    case "k1":
      return d;
    case "k2":
      return 0.5 * d * d;
    case "k3":
      return Math.exp(-d) + d - 1;
  }
}

export interface PolicyLossOptions {
  /** ε_low of the importance-ratio clip. */
  readonly clipLow: number;
  /** ε_high (DAPO's clip-higher; equal to clipLow for symmetric PPO). */
  readonly clipHigh: number;
  /** Dual-clip bound c (> 1), or 0 for no dual clip. */
  readonly dualClip: number;
  /** β of the KL term in the loss (0 = none). */
  readonly klCoef: number;
  readonly klEstimator: KlEstimator;
  readonly entropyCoef: number;
}

export function checkPolicyLossOptions(opts: PolicyLossOptions): void {
  if (!(opts.clipLow >= 0 && opts.clipLow < 1))
    throw new Error(`policy loss: clipLow must be in [0, 1), got ${opts.clipLow}`);
  if (!(opts.clipHigh >= 0))
    throw new Error(`policy loss: clipHigh must be ≥ 0, got ${opts.clipHigh}`);
  if (!(opts.dualClip === 0 || opts.dualClip > 1)) {
    throw new Error(`policy loss: dualClip must be 0 (off) or > 1, got ${opts.dualClip}`);
  }
}

export interface TokenTerm {
  readonly term: number;
  readonly pg: number;
  readonly kl: number;
  /** The PPO clip bound the objective (verl: pg_losses2 > pg_losses1). */
  readonly clipped: boolean;
  /** The dual clip bound the objective (A < 0 and −A·c below the clipped loss). */
  readonly dualClipped: boolean;
}

export function policyTokenTerm(
  logp: number,
  oldLogp: number,
  advantage: number,
  refLogp: number | undefined,
  entropy: number,
  opts: PolicyLossOptions,
): TokenTerm {
  const ratio = Math.exp(logp - oldLogp);
  const unclipped = -advantage * ratio;
  const clippedLoss = -advantage * Math.min(Math.max(ratio, 1 - opts.clipLow), 1 + opts.clipHigh);
  let pg = Math.max(unclipped, clippedLoss);
  let dualClipped = false;
  if (advantage < 0 && opts.dualClip > 0) {
    const bound = -advantage * opts.dualClip;
    dualClipped = pg > bound;
    pg = Math.min(pg, bound);
  }
  const kl =
    opts.klCoef !== 0 && refLogp !== undefined ? klEstimate(logp, refLogp, opts.klEstimator) : 0;
  return {
    term: pg + opts.klCoef * kl - opts.entropyCoef * entropy,
    pg,
    kl,
    clipped: clippedLoss > unclipped,
    dualClipped,
  };
}

/** Per-token inputs, flat over the batch's tokens (advantages already broadcast to tokens). */
export interface PolicyLossInputs {
  readonly logp: NumberArray;
  readonly oldLogp: NumberArray;
  readonly advantages: NumberArray;
  readonly refLogp?: NumberArray;
  readonly entropy: NumberArray;
  /** Aggregation weights from lossWeights (0 = masked). */
  readonly weights: NumberArray;
}

export interface PolicyLossResult {
  readonly loss: number;
  readonly metrics: Metrics;
}

/** Σ_t w_t · term_t with the pg/KL/entropy parts and clip fractions over tokens with w > 0. */
export function policyLoss(inputs: PolicyLossInputs, opts: PolicyLossOptions): PolicyLossResult {
  checkPolicyLossOptions(opts);
  const n = inputs.weights.length;
  for (const [name, arr] of [
    ["logp", inputs.logp],
    ["oldLogp", inputs.oldLogp],
    ["advantages", inputs.advantages],
    ["entropy", inputs.entropy],
    ...(inputs.refLogp ? [["refLogp", inputs.refLogp] as const] : []),
  ] as const) {
    if (arr.length !== n)
      throw new Error(`policy loss: ${name} has ${arr.length} tokens but weights has ${n}`);
  }
  if (opts.klCoef !== 0 && !inputs.refLogp)
    throw new Error(`policy loss: klCoef is ${opts.klCoef} but no refLogp was given`);
  let loss = 0;
  let pg = 0;
  let kl = 0;
  let ent = 0;
  let active = 0;
  let clipped = 0;
  let dual = 0;
  let ppoKl = 0;
  for (let t = 0; t < n; t++) {
    const w = inputs.weights[t]!;
    if (w === 0) continue;
    const term = policyTokenTerm(
      inputs.logp[t]!,
      inputs.oldLogp[t]!,
      inputs.advantages[t]!,
      inputs.refLogp?.[t],
      inputs.entropy[t]!,
      opts,
    );
    loss += w * term.term;
    pg += w * term.pg;
    kl += w * term.kl;
    ent += w * inputs.entropy[t]!;
    active++;
    if (term.clipped) clipped++;
    if (term.dualClipped) dual++;
    ppoKl += inputs.oldLogp[t]! - inputs.logp[t]!;
  }
  const frac = (x: number) => (active > 0 ? x / active : 0);
  return {
    loss,
    metrics: {
      [RL_METRICS.loss]: loss,
      [RL_METRICS.lossPg]: pg,
      [RL_METRICS.lossKl]: kl,
      [RL_METRICS.lossEntropy]: ent,
      [RL_METRICS.lossClipFrac]: frac(clipped),
      [RL_METRICS.lossDualClipFrac]: frac(dual),
      [RL_METRICS.lossPpoKl]: frac(ppoKl),
    },
  };
}

/** Broadcasts one advantage per response to its tokens. */
export function broadcastToTokens(perResponse: NumberArray, offsets: NumberArray): Float64Array {
  const tokens = offsets[offsets.length - 1]!;
  checkOffsets(offsets, perResponse.length, tokens, "broadcast advantages to tokens");
  const out = new Float64Array(tokens);
  for (let i = 0; i < perResponse.length; i++)
    out.fill(perResponse[i]!, offsets[i]!, offsets[i + 1]!);
  return out;
}

export interface KlRewardResult {
  readonly rewards: Float64Array;
  readonly metrics: Metrics;
}

/**
 * KL in the reward: r_i − β Σ_t KL_est(oldLogp, refLogp) over response i's tokens. The metric is
 * verl's actor/reward_kl_penalty: the mean over responses of each response's mean token KL.
 */
export function klShapedRewards(
  rewards: NumberArray,
  oldLogp: NumberArray,
  refLogp: NumberArray,
  offsets: NumberArray,
  beta: number,
  estimator: KlEstimator,
): KlRewardResult {
  if (oldLogp.length !== refLogp.length) {
    throw new Error(
      `KL in reward: oldLogp has ${oldLogp.length} tokens but refLogp has ${refLogp.length}`,
    );
  }
  checkOffsets(offsets, rewards.length, oldLogp.length, "KL in reward (rewards vs log-probs)");
  const out = new Float64Array(rewards.length);
  let meanKl = 0;
  let counted = 0;
  for (let i = 0; i < rewards.length; i++) {
    let s = 0;
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    for (let t = a; t < b; t++) s += klEstimate(oldLogp[t]!, refLogp[t]!, estimator);
    out[i] = rewards[i]! - beta * s;
    if (b > a) {
      meanKl += s / (b - a);
      counted++;
    }
  }
  return { rewards: out, metrics: { [RL_METRICS.rewardKl]: counted > 0 ? meanKl / counted : 0 } };
}
