// Loss aggregation folded into per-token weights: the training graph computes Σ_t w_t · term_t,
// and these weights make that sum equal verl v0.4.0's agg_loss (core_algos.py) over the batch:
//   token_mean               L = Σ_{i,t} m·ℓ / Σ_{i,t} m                w = 1/N           (DAPO, Eq. 4, 8)
//   seq_mean_token_sum       L = (1/B) Σ_i Σ_t m·ℓ                     w = 1/B
//   seq_mean_token_mean      L = (1/B) Σ_i (Σ_t m·ℓ / Σ_t m)           w = 1/(B·n_i)
//   seq_mean_token_sum_norm  L = Σ_i Σ_t m·ℓ / L_norm                  w = 1/L_norm      (Dr. GRPO)
// where m is the token mask (valid and kept by clipping/AEPO), N the number of kept tokens of the
// batch, n_i those of response i, and B the number of responses with at least one kept token.
// verl divides seq_mean_token_sum_norm by the padded response length and notes it should be a
// constant; qlx takes the constant explicitly (the stage's maximum output length).
// Counting B over responses with kept tokens is verl's B when no response is wholly masked; when
// AEPO or sequence-level clipping masks whole responses it matches the authors' fragment, which
// removes those rows from the batch. Computing the weights over the whole batch, before it is
// split into micro-batches, keeps the loss independent of the micro-batch split (verl normalises
// per micro-batch). Masked tokens get weight 0.
//
// A consequence used as a test property: under token_mean the weights of the batch sum to 1, and
// the weights of each group sum to that group's share of the batch's kept tokens — so for a batch
// holding one group (the paper's Eq. 4 normalisation 1/Σ_j |y_j|) the group's weights sum to 1.

import type { NumberArray } from "./ragged.ts";

export type LossAggregation =
  "token_mean" | "seq_mean_token_sum" | "seq_mean_token_mean" | "seq_mean_token_sum_norm";

export interface AggregationOptions {
  readonly mode: LossAggregation;
  /** L_norm for seq_mean_token_sum_norm (a constant: the stage's maximum output length). */
  readonly normLength?: number;
}

/**
 * Per-token weights. `offsets` splits the batch's tokens into responses; `keep` (optional, one
 * entry per token, 0 = masked) is the product of the clipping and AEPO masks.
 */
export function lossWeights(
  offsets: NumberArray,
  keep: Uint8Array | undefined,
  opts: AggregationOptions,
): Float64Array {
  const responses = offsets.length - 1;
  const tokens = offsets[responses]!;
  if (keep && keep.length !== tokens) {
    throw new Error(
      `loss aggregation: keep mask has ${keep.length} entries but offsets cover ${tokens} tokens`,
    );
  }
  const kept = (t: number) => (keep ? keep[t]! : 1);
  const perResponse = new Int32Array(responses);
  let total = 0;
  let nonEmpty = 0;
  for (let i = 0; i < responses; i++) {
    let n = 0;
    for (let t = offsets[i]!; t < offsets[i + 1]!; t++) n += kept(t);
    perResponse[i] = n;
    total += n;
    if (n > 0) nonEmpty++;
  }
  const w = new Float64Array(tokens);
  if (total === 0) return w;
  let normLength = 0;
  if (opts.mode === "seq_mean_token_sum_norm") {
    normLength = opts.normLength ?? NaN;
    if (!(normLength > 0)) {
      throw new Error(
        `loss aggregation seq_mean_token_sum_norm: normLength must be a positive constant, got ${opts.normLength}`,
      );
    }
  }
  for (let i = 0; i < responses; i++) {
    const n = perResponse[i]!;
    if (n === 0) continue;
    let value: number;
    switch (opts.mode) {
      case "token_mean":
        value = 1 / total;
        break;
      case "seq_mean_token_sum":
        value = 1 / nonEmpty;
        break;
      case "seq_mean_token_mean":
        value = 1 / (nonEmpty * n);
        break;
      case "seq_mean_token_sum_norm":
        value = 1 / normLength;
        break;
    }
    for (let t = offsets[i]!; t < offsets[i + 1]!; t++) if (kept(t)) w[t] = value;
  }
  return w;
}
