// Negative-gradient clipping, paper Eq. 8-9: for a response with A_i < 0, the indicator I(i, t)
// zeroes the loss of
//   - token level:    each token whose entropy H(t|i) is above (or below) τ_token,
//   - sequence level: every token of a response whose mean token entropy H̄(i) is above (or
//                     below) τ_sequence.
// Eq. 9 states the "above" form with strict >; Table 4 also ablates "below", taken strictly (<).
// Responses with A_i ≥ 0 are never touched. A masked token is removed from the loss and from the
// aggregation denominators (the keep mask multiplies the response mask before aggregation.ts).

import type { NumberArray } from "./ragged.ts";
import type { Metrics } from "./metrics.ts";
import { checkOffsets } from "./ragged.ts";
import { RL_METRICS } from "./metrics.ts";

export interface NegativeGradientClipOptions {
  readonly level: "token" | "sequence";
  readonly when: "above" | "below";
  /** τ_token or τ_sequence, in nats. */
  readonly threshold: number;
}

export interface KeepMaskResult {
  /** 1 = token kept in the loss, 0 = masked; one entry per token. */
  readonly keep: Uint8Array;
  readonly maskedTokens: number;
  readonly maskedResponses: number;
  readonly metrics: Metrics;
}

/**
 * The keep mask of Eq. 9. `advantages` has one entry per response; `entropies` one per token,
 * response i owning entropies[offsets[i] .. offsets[i+1]).
 */
export function negativeGradientClip(
  advantages: NumberArray,
  entropies: NumberArray,
  offsets: NumberArray,
  opts: NegativeGradientClipOptions,
): KeepMaskResult {
  checkOffsets(
    offsets,
    advantages.length,
    entropies.length,
    "negative-gradient clip (advantages vs entropies)",
  );
  if (!Number.isFinite(opts.threshold))
    throw new Error(`negative-gradient clip: threshold must be finite, got ${opts.threshold}`);
  const beyond =
    opts.when === "above" ? (h: number) => h > opts.threshold : (h: number) => h < opts.threshold;
  const keep = new Uint8Array(entropies.length).fill(1);
  for (let i = 0; i < advantages.length; i++) {
    if (!(advantages[i]! < 0)) continue;
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    if (b === a) continue;
    if (opts.level === "token") {
      for (let t = a; t < b; t++) if (beyond(entropies[t]!)) keep[t] = 0;
    } else {
      let s = 0;
      for (let t = a; t < b; t++) s += entropies[t]!;
      if (beyond(s / (b - a))) keep.fill(0, a, b);
    }
  }
  return summarizeKeep(keep, offsets, RL_METRICS.clipMaskedTokenFrac, RL_METRICS.clipMaskedSeqFrac);
}

/** Counts masked tokens and responses with at least one masked token, as metrics under the given names. */
export function summarizeKeep(
  keep: Uint8Array,
  offsets: NumberArray,
  tokenFracName: string | undefined,
  seqFracName: string,
): KeepMaskResult {
  let maskedTokens = 0;
  let maskedResponses = 0;
  const responses = offsets.length - 1;
  for (let i = 0; i < responses; i++) {
    let m = 0;
    for (let t = offsets[i]!; t < offsets[i + 1]!; t++) m += 1 - keep[t]!;
    maskedTokens += m;
    if (m > 0) maskedResponses++;
  }
  const metrics: Metrics = { [seqFracName]: responses > 0 ? maskedResponses / responses : 0 };
  if (tokenFracName !== undefined)
    metrics[tokenFracName] = keep.length > 0 ? maskedTokens / keep.length : 0;
  return { keep, maskedTokens, maskedResponses, metrics };
}
