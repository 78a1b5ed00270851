// Neural-network building blocks as compositions of the primitives in `ops.ts`. Nothing here
// has gradient code: autodiff differentiates the primitives they expand to (STYLE.md §4).

import type { Tensor } from "./ir.ts";
import {
  add,
  cast,
  concat,
  cos,
  div,
  equal,
  exp,
  greater,
  less,
  logSoftmax,
  matmul,
  mean,
  mul,
  neg,
  reshape,
  sigmoid,
  sin,
  slice,
  softmax,
  sqrt,
  sub,
  sum,
  transposeLast2,
  where,
} from "./ops.ts";
import type { Operand } from "./ops.ts";

/** Elementwise max/min/clip as selections, so the gradient flows to the chosen branch. */
export const maximum = (a: Tensor, b: Tensor): Tensor => where(less(a, b), b, a);
export const minimum = (a: Tensor, b: Tensor): Tensor => where(greater(a, b), b, a);
export function clip(x: Tensor, lo: Operand, hi: Operand): Tensor {
  const low = typeof lo === "number" ? x.graph.scalar(lo, x.dtype) : lo;
  const high = typeof hi === "number" ? x.graph.scalar(hi, x.dtype) : hi;
  return minimum(maximum(x, low), high);
}

/** RMSNorm(x)·weight = x / sqrt(mean(x²) + eps) · weight over the last axis. */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const ms = mean(mul(x, x), [-1], true);
  return mul(div(x, sqrt(add(ms, eps))), weight);
}

export const silu = (x: Tensor): Tensor => mul(x, sigmoid(x));

/** SwiGLU feed-forward: W2(silu(x W1) ⊙ (x W3)). */
export function swiglu(x: Tensor, w1: Tensor, w3: Tensor, w2: Tensor): Tensor {
  return matmul(mul(silu(matmul(x, w1)), matmul(x, w3)), w2);
}

/**
 * Rotary tables for int64 `positions` [B, T]: cos and sin of pos·θ^(−2j/headDim),
 * j ∈ [0, headDim/2), shaped [B, 1, T, headDim/2] to broadcast over heads.
 */
export function ropeTables(
  positions: Tensor,
  headDim: number,
  theta: number,
): { cos: Tensor; sin: Tensor } {
  const half = headDim / 2;
  // Computed in float64 then rounded, as torch does for inv_freq in float32 from a float64 pow.
  const invFreq = Float32Array.from({ length: half }, (_, j) =>
    Math.pow(theta, (-2 * j) / headDim),
  );
  const [b, t] = positions.shape as [number, number];
  const pos = reshape(cast(positions, "float32"), [b, 1, t, 1]);
  const angles = mul(pos, positions.graph.constant(invFreq, [half]));
  return { cos: cos(angles), sin: sin(angles) };
}

/** Rotate-half RoPE on x [B, H, T, headDim]: [x1·cos − x2·sin, x2·cos + x1·sin]. */
export function applyRope(x: Tensor, tables: { cos: Tensor; sin: Tensor }): Tensor {
  const d = x.shape[x.rank - 1]!;
  const axis = x.rank - 1;
  const x1 = slice(x, [0], [d / 2], [axis]);
  const x2 = slice(x, [d / 2], [d], [axis]);
  return concat(
    [sub(mul(x1, tables.cos), mul(x2, tables.sin)), add(mul(x2, tables.cos), mul(x1, tables.sin))],
    axis,
  );
}

/** A large negative (not −∞) so a fully masked row gives a uniform, finite softmax. */
export const MASKED = -1e9;

/** Additive causal bias [T, S] where query t sees keys s ≤ t + (S − T) (cache of S−T). */
export function causalBias(like: Tensor, queries: number, keys: number): Tensor {
  const data = new Float32Array(queries * keys);
  const offset = keys - queries;
  for (let i = 0; i < queries; i++)
    for (let j = i + offset + 1; j < keys; j++) data[i * keys + j] = MASKED;
  return like.graph.constant(data, [queries, keys]);
}

/** Additive bias [B, 1, 1, S] from a key mask [B, S] (1 = real token, 0 = padding). */
export function keyPaddingBias(keyMask: Tensor): Tensor {
  const [b, s] = keyMask.shape as [number, number];
  return reshape(mul(sub(1, cast(keyMask, "float32")), MASKED), [b, 1, 1, s]);
}

/** softmax(q kᵀ / √d + bias) v, q [B,H,T,d], k/v [B,H,S,d], bias broadcastable to [B,H,T,S]. */
export function attention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor): Tensor {
  const d = q.shape[q.rank - 1]!;
  // Scaling q ([.., T, d]) rather than the scores ([.., T, S]) keeps the backward pass from
  // spending a full pass over the T×S gradient on the scale.
  const scores = add(matmul(mul(q, 1 / Math.sqrt(d)), transposeLast2(k)), bias);
  return matmul(softmax(scores, -1), v);
}

/** One-hot float rows for int64 `indices`: shape [...indices, depth]. */
export function oneHot(
  indices: Tensor,
  depth: number,
  dtype: "float32" | "float64" = "float32",
): Tensor {
  const ids = indices.graph.constant(
    BigInt64Array.from({ length: depth }, (_, i) => BigInt(i)),
    [depth],
  );
  return cast(equal(reshape(indices, [...indices.shape, 1]), ids), dtype);
}

/**
 * Per-token log-probability of `targets` and full-vocabulary entropy from logits [..., V]
 * (the quantities of the paper's Eq. 9-11): logp = log softmax(logits)[target],
 * H = −Σ p log p.
 */
export function tokenLogProbs(logits: Tensor, targets: Tensor): { logp: Tensor; entropy: Tensor } {
  const vocab = logits.shape[logits.rank - 1]!;
  const ls = logSoftmax(logits, -1);
  const logp = sum(
    mul(ls, oneHot(targets, vocab, logits.dtype === "float64" ? "float64" : "float32")),
    [-1],
  );
  const entropy = neg(sum(mul(exp(ls), ls), [-1]));
  return { logp, entropy };
}

export type KlEstimator = "k1" | "k2" | "k3";

export interface PolicyLossTerms {
  readonly logp: Tensor;
  readonly entropy: Tensor;
  /** Per-token weights; aggregation (token-mean, sequence-mean…) is folded in by the caller. */
  readonly weights: Tensor;
  readonly advantages: Tensor;
  readonly oldLogp: Tensor;
  /** With `klEstimator`: the reference policy's log-probabilities. */
  readonly refLogp?: Tensor;
  readonly klEstimator?: KlEstimator;
  /** Scalar tensors (graph inputs, so changing them does not recompile). */
  readonly clipLow: Tensor;
  readonly clipHigh: Tensor;
  /** Dual-clip constant c (0 = off). */
  readonly dualClip: Tensor;
  readonly klCoef: Tensor;
  readonly entropyCoef: Tensor;
}

/**
 * The token-level PPO/DAPO objective: Σ weights · (pg + β·KL − entropyCoef·H) with
 * ratio = exp(logp − oldLogp), pg = max(−A·ratio, −A·clip(ratio, 1−ε_low, 1+ε_high)),
 * and for A < 0 with c > 0, pg = min(pg, −A·c) (dual clip).
 * KL estimators (Schulman): k1 = logp − ref, k2 = ½(logp − ref)², k3 = e^(ref−logp) − (ref−logp) − 1.
 */
export function policyLoss(t: PolicyLossTerms): { loss: Tensor; perToken: Tensor } {
  const ratio = exp(sub(t.logp, t.oldLogp));
  const negA = neg(t.advantages);
  const clipped = clip(ratio, sub(1, t.clipLow), add(t.clipHigh, 1));
  let pg = maximum(mul(negA, ratio), mul(negA, clipped));
  const dual = minimum(pg, mul(negA, t.dualClip));
  pg = where(less(t.advantages, 0), where(greater(t.dualClip, 0), dual, pg), pg);
  let perToken = sub(pg, mul(t.entropyCoef, t.entropy));
  if (t.klEstimator) {
    if (!t.refLogp) throw new Error(`policyLoss: klEstimator ${t.klEstimator} needs refLogp`);
    const diff = sub(t.logp, t.refLogp);
    const kl =
      t.klEstimator === "k1"
        ? diff
        : t.klEstimator === "k2"
          ? mul(mul(diff, diff), 0.5)
          : sub(add(exp(neg(diff)), diff), 1);
    perToken = add(perToken, mul(t.klCoef, kl));
  }
  return { loss: sum(mul(t.weights, perToken)), perToken };
}
