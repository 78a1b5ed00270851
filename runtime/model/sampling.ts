// Token selection from one row of logits: temperature, nucleus (top-p) truncation, greedy
// decoding, and the two per-token quantities RL needs from a rollout.
//
// Which distribution the numbers refer to (fixed here, relied on by the loss and by AEPO):
// - `logp` is the log-probability of the chosen token under softmax(logits / T), the
//   temperature-scaled distribution WITHOUT top-p renormalisation. This is what verl and
//   vLLM report and what verl's actor recomputes (logits.div_(temperature) then
//   log_softmax), so the importance ratio exp(logp − oldLogp) is 1 for on-policy data. Top-p
//   only decides which token is drawn; it never changes the reported probabilities.
// - `entropy` is the full-vocabulary entropy of the same temperature-scaled distribution,
//   before top-p: H = −Σ_v p_v log p_v (QwenLong-L1.5 Eq. 9-11 define H this way; DESIGN.md
//   "Rollout").
// - Greedy decoding has no temperature; its logp and entropy refer to softmax(logits), the
//   model's own distribution (T = 1).
// All arithmetic is float64 so that the kept-mass test and the sampled index do not depend on
// float32 rounding of cumulative sums.

import type { Rng } from "../rng.ts";

export interface SamplingParams {
  /** Softmax temperature T > 0. Ignored when `greedy`. */
  readonly temperature: number;
  /** Nucleus mass in (0, 1]; 1 disables truncation. Ignored when `greedy`. */
  readonly topP: number;
  /** Take the argmax (lowest index among ties) instead of sampling. */
  readonly greedy: boolean;
}

export interface TokenChoice {
  readonly token: number;
  /** log p(token) under softmax(logits / T) — no top-p renormalisation. */
  readonly logp: number;
  /** Full-vocabulary entropy of softmax(logits / T), before top-p (nats). */
  readonly entropy: number;
}

/** Rows [N, V] of a sampling distribution, plus the raw logits (greedy takes their argmax). */
export interface SamplingDistribution {
  readonly logits: Float32Array;
  readonly probs: Float32Array;
  readonly logprobs: Float32Array;
  /** [N] */
  readonly entropy: Float32Array;
}

/** The temperature a sampler's distribution is computed at (1 for greedy decoding). */
export function distributionTemperature(params: SamplingParams): number {
  return params.greedy ? 1 : params.temperature;
}

/** Throws (at the API edge) on parameters no sampler can honour. */
export function checkSamplingParams(params: SamplingParams): void {
  if (params.greedy) return;
  if (!(params.temperature > 0) || !Number.isFinite(params.temperature)) {
    throw new RangeError(`sampling: temperature must be finite and > 0, got ${params.temperature}`);
  }
  if (!(params.topP > 0 && params.topP <= 1)) {
    throw new RangeError(`sampling: topP must be in (0, 1], got ${params.topP}`);
  }
}

/**
 * Fills `probs` with softmax(logits[offset .. offset+vocab) / temperature) and returns the
 * log-partition log Σ exp(z_v / T) together with the entropy of that distribution.
 */
export function temperatureSoftmax(
  logits: Float32Array,
  offset: number,
  vocab: number,
  temperature: number,
  probs: Float64Array,
): { logZ: number; entropy: number } {
  const invT = 1 / temperature;
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) {
    const z = logits[offset + v]! * invT;
    if (z > max) max = z;
  }
  if (!Number.isFinite(max)) {
    throw new RangeError(`sampling: logits row at offset ${offset} has no finite maximum (${max})`);
  }
  let sum = 0;
  for (let v = 0; v < vocab; v++) {
    const e = Math.exp(logits[offset + v]! * invT - max);
    probs[v] = e;
    sum += e;
  }
  const logZ = max + Math.log(sum);
  // H = logZ − Σ p_v z_v / T; a masked (−Inf) logit has p = 0 and contributes nothing.
  let expectedZ = 0;
  const inv = 1 / sum;
  for (let v = 0; v < vocab; v++) {
    const p = probs[v]! * inv;
    probs[v] = p;
    if (p > 0) expectedZ += p * logits[offset + v]! * invT;
  }
  return { logZ, entropy: Math.max(0, logZ - expectedZ) };
}

/**
 * Where the nucleus ends: the smallest set of most probable tokens whose mass is ≥ topP,
 * always at least one token. It is every token with p > threshold plus the first `ties`
 * tokens (in index order) with p === threshold — lower indices win ties. `mass` is the kept
 * total. Found by a native sort of the probabilities, not of token indices: a comparator
 * sort per decoded token costs more than the model's decode step at vocab 512.
 */
export interface NucleusCut {
  readonly threshold: number;
  readonly ties: number;
  readonly mass: number;
}

export function nucleus(
  probs: Float64Array,
  vocab: number,
  topP: number,
  scratch: Float64Array,
): NucleusCut {
  if (topP >= 1) {
    let mass = 0;
    for (let v = 0; v < vocab; v++) mass += probs[v]!;
    // threshold −1 keeps everything, zero-probability tokens included.
    return { threshold: -1, ties: 0, mass };
  }
  const sorted = scratch.subarray(0, vocab);
  sorted.set(probs.subarray(0, vocab));
  sorted.sort();
  let mass = 0;
  let k = vocab - 1;
  for (; k > 0; k--) {
    mass += sorted[k]!;
    if (mass >= topP) break;
  }
  if (k === 0) mass += sorted[0]!;
  const threshold = sorted[k]!;
  let ties = 1;
  while (k + ties < vocab && sorted[k + ties] === threshold) ties++;
  return { threshold, ties, mass };
}

/** Index of the largest logit in the row; the lowest index wins a tie. */
export function argmax(logits: Float32Array, offset: number, vocab: number): number {
  let best = 0;
  let bestValue = logits[offset]!;
  for (let v = 1; v < vocab; v++) {
    const z = logits[offset + v]!;
    if (z > bestValue) {
      bestValue = z;
      best = v;
    }
  }
  return best;
}

/**
 * Chooses tokens for rows of a [rows, vocab] logits buffer. Scratch buffers are allocated
 * once per sampler, so a decode loop reuses them for every step.
 */
export class TokenSampler {
  private readonly probs: Float64Array;
  private readonly scratch: Float64Array;

  constructor(
    readonly vocab: number,
    readonly params: SamplingParams,
  ) {
    checkSamplingParams(params);
    this.probs = new Float64Array(vocab);
    this.scratch = new Float64Array(vocab);
  }

  /** Picks a token from logits[row·vocab ..]; `rng` is only drawn from when sampling. */
  choose(logits: Float32Array, row: number, rng: Rng): TokenChoice {
    const offset = row * this.vocab;
    const { greedy, topP } = this.params;
    const temperature = distributionTemperature(this.params);
    const { logZ, entropy } = temperatureSoftmax(
      logits,
      offset,
      this.vocab,
      temperature,
      this.probs,
    );
    const token = greedy ? argmax(logits, offset, this.vocab) : this.draw(topP, rng);
    const logp = logits[offset + token]! / temperature - logZ;
    return { token, logp, entropy };
  }

  /**
   * The same choice from a distribution computed elsewhere (the decode graph computes it on
   * ORT's threads): rows of probs and logprobs of softmax(logits / T) — T = 1 when greedy —
   * and their entropy. `choose` is the reference this must agree with (tested).
   */
  chooseFrom(dist: SamplingDistribution, row: number, rng: Rng): TokenChoice {
    const offset = row * this.vocab;
    const { greedy, topP } = this.params;
    let token: number;
    if (greedy) token = argmax(dist.logits, offset, this.vocab);
    else {
      for (let v = 0; v < this.vocab; v++) this.probs[v] = dist.probs[offset + v]!;
      token = this.draw(topP, rng);
    }
    return { token, logp: dist.logprobs[offset + token]!, entropy: dist.entropy[row]! };
  }

  private draw(topP: number, rng: Rng): number {
    const { threshold, ties, mass } = nucleus(this.probs, this.vocab, topP, this.scratch);
    // Inverse-CDF draw from the renormalised nucleus, walking tokens in index order.
    const target = rng.next() * mass;
    let cumulative = 0;
    let tiesLeft = ties;
    let last = 0;
    for (let v = 0; v < this.vocab; v++) {
      const p = this.probs[v]!;
      if (p < threshold || (p === threshold && tiesLeft-- <= 0)) continue;
      cumulative += p;
      last = v;
      if (target < cumulative) return v;
    }
    // The walk's float sum fell just short of `mass`: the last kept token takes the rest.
    return last;
  }
}
