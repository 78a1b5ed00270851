// Adaptive Entropy-controlled Policy Optimization (paper §4.4, Eq. 11), and the authors' code
// fragment as a separately named variant so that an ablation can compare the two.
//
// `aepo` (the paper's controller): the batch entropy is
//     H(π_θ, B) = (1/|B|) Σ_i (1/|y_i|) Σ_t H(t|i)                                   (Eq. 11)
// i.e. the mean over responses of each response's mean token entropy. With hysteresis:
//     H > H_high          → mask every negative-advantage response (update on positives only)
//     H < H_low           → bring the negative gradients back
//     H_low ≤ H ≤ H_high  → keep the previous state.
// The decision for a step uses that step's own batch entropy (the rollouts' entropies are those of
// π_θ, on-policy) and applies to that step's update. Responses with no tokens have no mean
// entropy and are left out of the batch mean; a batch with no tokens at all (empty, or every
// response empty) leaves the state unchanged and masks nothing, as there is nothing to update.
//
// `aepo_fragment` (001_…, "AEPO" snippet): while low < H < high (strict, no memory) keep only
// responses with A > 0 and reward > 0, otherwise keep all. Deviations, each forced by the
// fragment itself: it reads metrics["actor/entropy_loss"], which verl computes during the actor
// update as the token-mean entropy of the batch — here that is the token-mean of the current
// rollouts' entropies (the fragment's own step has not updated yet); it truncates the kept rows to
// a multiple of world_size through the undefined `final_kept_count`, read here as the number of
// kept rows (the only value that makes the truncation well defined); and it drops rows, which
// here is a keep mask over their tokens (the aggregation leaves masked tokens out of every
// denominator, which is what dropping the rows does).

import type { NumberArray } from "./ragged.ts";
import type { Metrics } from "./metrics.ts";
import { checkOffsets, responseMeans } from "./ragged.ts";
import { RL_METRICS } from "./metrics.ts";

export interface AepoOptions {
  /** H_low, nats. */
  readonly low: number;
  /** H_high, nats. */
  readonly high: number;
}

/** Checkpointed controller state. */
export interface AepoState {
  readonly negativesMasked: boolean;
  /** Steps seen so far (including steps with an empty batch). */
  readonly steps: number;
  /** Batch entropy of the last step that had tokens, or null. */
  readonly lastEntropy: number | null;
}

export const INITIAL_AEPO_STATE: AepoState = {
  negativesMasked: false,
  steps: 0,
  lastEntropy: null,
};

export interface AepoStepResult {
  /** Per-token keep mask for this step's update. */
  readonly keep: Uint8Array;
  /** Batch entropy (Eq. 11), or null for a batch with no tokens. */
  readonly entropy: number | null;
  readonly state: AepoState;
  /** Whether this step changed negativesMasked. */
  readonly switched: boolean;
  readonly maskedResponses: number;
  readonly metrics: Metrics;
}

function checkBounds(what: string, opts: AepoOptions): void {
  if (!Number.isFinite(opts.low) || !Number.isFinite(opts.high) || opts.low > opts.high) {
    throw new Error(`${what}: need finite low ≤ high, got low = ${opts.low}, high = ${opts.high}`);
  }
}

/** Eq. 11: mean over responses (with tokens) of their mean token entropy; null when none has tokens. */
export function batchEntropy(entropies: NumberArray, offsets: NumberArray): number | null {
  let s = 0;
  let n = 0;
  for (const m of responseMeans(entropies, offsets)) {
    if (m === undefined) continue;
    s += m;
    n++;
  }
  return n > 0 ? s / n : null;
}

/** The hysteresis rule alone: the next masked state from the previous one and the batch entropy. */
export function aepoNextMasked(
  previous: boolean,
  entropy: number | null,
  opts: AepoOptions,
): boolean {
  if (entropy === null) return previous;
  if (entropy > opts.high) return true;
  if (entropy < opts.low) return false;
  return previous;
}

export class AepoController {
  private current: AepoState;

  constructor(
    readonly opts: AepoOptions,
    state: AepoState = INITIAL_AEPO_STATE,
  ) {
    checkBounds("aepo", opts);
    this.current = { ...state };
  }

  state(): AepoState {
    return { ...this.current };
  }

  /** Updates the state from this batch and returns the keep mask for this batch's update. */
  step(advantages: NumberArray, entropies: NumberArray, offsets: NumberArray): AepoStepResult {
    checkOffsets(offsets, advantages.length, entropies.length, "aepo (advantages vs entropies)");
    const entropy = batchEntropy(entropies, offsets);
    const masked = aepoNextMasked(this.current.negativesMasked, entropy, this.opts);
    const switched = masked !== this.current.negativesMasked;
    this.current = {
      negativesMasked: masked,
      steps: this.current.steps + 1,
      lastEntropy: entropy ?? this.current.lastEntropy,
    };
    const keep = new Uint8Array(entropies.length).fill(1);
    let maskedResponses = 0;
    if (masked) {
      for (let i = 0; i < advantages.length; i++) {
        if (advantages[i]! < 0) {
          keep.fill(0, offsets[i]!, offsets[i + 1]!);
          maskedResponses++;
        }
      }
    }
    const metrics: Metrics = {
      [RL_METRICS.aepoState]: masked ? 1 : 0,
      [RL_METRICS.aepoMaskedSeqFrac]:
        advantages.length > 0 ? maskedResponses / advantages.length : 0,
    };
    if (entropy !== null) metrics[RL_METRICS.aepoEntropy] = entropy;
    return { keep, entropy, state: this.state(), switched, maskedResponses, metrics };
  }
}

export interface AepoFragmentOptions extends AepoOptions {
  /** Data-parallel world size the kept rows are truncated to a multiple of (1 = no truncation). */
  readonly worldSize?: number;
}

export interface AepoFragmentResult {
  readonly keep: Uint8Array;
  /** Token-mean entropy of the batch (verl's actor/entropy_loss), or null with no tokens. */
  readonly entropy: number | null;
  /** Whether the filter was active (low < H < high). */
  readonly active: boolean;
  readonly keptResponses: number;
  readonly metrics: Metrics;
}

/** The authors' fragment, stateless: see the header comment for its exact reading. */
export function aepoFragment(
  advantages: NumberArray,
  rewards: NumberArray,
  entropies: NumberArray,
  offsets: NumberArray,
  opts: AepoFragmentOptions,
): AepoFragmentResult {
  checkBounds("aepo_fragment", opts);
  if (rewards.length !== advantages.length) {
    throw new Error(
      `aepo_fragment: rewards has ${rewards.length} entries but advantages has ${advantages.length}`,
    );
  }
  checkOffsets(
    offsets,
    advantages.length,
    entropies.length,
    "aepo_fragment (advantages vs entropies)",
  );
  const worldSize = opts.worldSize ?? 1;
  if (!Number.isInteger(worldSize) || worldSize < 1)
    throw new Error(`aepo_fragment: worldSize must be a positive integer, got ${worldSize}`);
  let s = 0;
  for (let t = 0; t < entropies.length; t++) s += entropies[t]!;
  const entropy = entropies.length > 0 ? s / entropies.length : null;
  const active = entropy !== null && opts.low < entropy && entropy < opts.high;
  const keep = new Uint8Array(entropies.length).fill(1);
  let keptResponses = advantages.length;
  if (active) {
    const kept: number[] = [];
    for (let i = 0; i < advantages.length; i++)
      if (advantages[i]! > 0 && rewards[i]! > 0) kept.push(i);
    const truncated = kept.slice(0, Math.floor(kept.length / worldSize) * worldSize);
    keep.fill(0);
    for (const i of truncated) keep.fill(1, offsets[i]!, offsets[i + 1]!);
    keptResponses = truncated.length;
  }
  const metrics: Metrics = {
    [RL_METRICS.aepoState]: active ? 1 : 0,
    [RL_METRICS.aepoMaskedSeqFrac]:
      advantages.length > 0 ? 1 - keptResponses / advantages.length : 0,
  };
  if (entropy !== null) metrics[RL_METRICS.aepoEntropy] = entropy;
  return { keep, entropy, active, keptResponses, metrics };
}
