// The two inference graphs of KV-cache generation, built from the engine's ops (ONNX):
//
// prefill  — the whole left-padded prompt batch [N, P] in one pass of the engine's forward
//            (transformer.ts). Returns the logits of the
//            last slot (left padding puts every prompt's last token there) and each layer's
//            rotated keys and values, which the generator copies into its cache once.
// decode   — one new token per sequence. The cache is a graph INPUT, not an output: ORT feeds
//            host arrays zero-copy but copies every output (notes/onnxruntime-node.md), so a
//            cache returned each step would be copied (and grown) every step. The graph
//            returns only the new token's k and v, which the generator writes into the slot.
//
// Cache layout, per layer: keys and values [N, H, S, hd]; scores are K·qᵀ, so no Transpose
// node ever copies the cache. S is fixed per graph (prompt + max new tokens); slots not yet
// written are masked by `keyBias`.
//
// Decode attention over [cache ; new token] (the new token attends to itself, as in a full
// causal forward): scores = [q·Kᵀ·scale + keyBias, q·k_new·scale], softmax in float32, then
// out = p[:S]·V + p[S]·v_new. Equal to the full forward's attention for that position up to
// float rounding (tested against the engine's forward and PyTorch).

import { Graph } from "../tensor/ir.ts";
import type { Tensor } from "../tensor/ir.ts";
import {
  add,
  concat,
  gather,
  matmul,
  mul,
  reshape,
  slice,
  softmax,
  sum,
  transpose,
} from "../tensor/ops.ts";
import { applyRope, rmsNorm, ropeTables, swiglu } from "../tensor/nn.ts";
import { headDim, type ModelConfig } from "./config.ts";
import { declareWeights, forward, type ModelWeights } from "./transformer.ts";

export const cacheKeyName = (layer: number): string => `cache.${layer}.k`;
export const cacheValueName = (layer: number): string => `cache.${layer}.v`;
export const newKeyName = (layer: number): string => `new.${layer}.k`;
export const newValueName = (layer: number): string => `new.${layer}.v`;

interface Projected {
  readonly q: Tensor;
  readonly k: Tensor;
  readonly v: Tensor;
}

/** RMSNorm, q/k/v projections to [N, H, T, hd], RoPE on q and k. */
function projectQkv(
  x: Tensor,
  w: ModelWeights,
  layer: number,
  config: ModelConfig,
  rope: { cos: Tensor; sin: Tensor },
): Projected {
  const [n, t] = x.shape as [number, number, number];
  const hd = headDim(config);
  const l = w.layers[layer]!;
  const h = rmsNorm(x, l.attentionNorm, config.normEps);
  const heads = (y: Tensor) => transpose(reshape(y, [n, t, config.heads, hd]), [0, 2, 1, 3]);
  return {
    q: applyRope(heads(matmul(h, l.wq)), rope),
    k: applyRope(heads(matmul(h, l.wk)), rope),
    v: heads(matmul(h, l.wv)),
  };
}

/** Residual output projection and SwiGLU feed-forward after attention `att` [N, H, T, hd]. */
function finishBlock(
  x: Tensor,
  att: Tensor,
  w: ModelWeights,
  layer: number,
  config: ModelConfig,
): Tensor {
  const [n, t] = x.shape as [number, number, number];
  const l = w.layers[layer]!;
  const merged = reshape(transpose(att, [0, 2, 1, 3]), [n, t, config.dim]);
  const h = add(x, matmul(merged, l.wo));
  return add(h, swiglu(rmsNorm(h, l.ffnNorm, config.normEps), l.w1, l.w3, l.w2));
}

/**
 * Prefill over tokens/positions int64 [N, P] and keyMask bool [N, P] (false = left padding):
 * the engine's full forward. Outputs: logits [N, V] at slot P−1; per layer, keys and values
 * [N, H, P, hd].
 */
export function buildPrefill(
  config: ModelConfig,
  sequences: number,
  promptSlots: number,
): Record<string, Tensor> {
  const g = new Graph();
  const w = declareWeights(g, config);
  const tokens = g.input("tokens", "int64", [sequences, promptSlots]);
  const positions = g.input("positions", "int64", [sequences, promptSlots]);
  const keyMask = g.input("keyMask", "bool", [sequences, promptSlots]);
  const { logits, present } = forward(w, config, tokens, positions, { keyMask });
  const outputs: Record<string, Tensor> = {
    logits: reshape(slice(logits, [promptSlots - 1], [promptSlots], [1]), [
      sequences,
      config.vocab,
    ]),
  };
  present.forEach(({ k, v }, i) => {
    outputs[newKeyName(i)] = k;
    outputs[newValueName(i)] = v;
  });
  return outputs;
}

/**
 * One decode step for tokens/positions int64 [N, 1] against caches of `slots` slots and
 * keyBias float32 [N, 1, 1, slots] (0 = a filled slot of this sequence, MASKED otherwise).
 * Outputs: logits [N, V]; per layer the new token's rotated key and value [N, H, 1, hd].
 */
export function buildDecode(
  config: ModelConfig,
  sequences: number,
  slots: number,
): Record<string, Tensor> {
  const g = new Graph();
  const w = declareWeights(g, config);
  const hd = headDim(config);
  const tokens = g.input("tokens", "int64", [sequences, 1]);
  const positions = g.input("positions", "int64", [sequences, 1]);
  const keyBias = g.input("keyBias", "float32", [sequences, 1, 1, slots]);
  const rope = ropeTables(positions, hd, config.ropeTheta);
  const scale = 1 / Math.sqrt(hd);
  let x = gather(w.tokEmbeddings, tokens);
  const outputs: Record<string, Tensor> = {};
  for (let i = 0; i < config.layers; i++) {
    const keys = g.input(cacheKeyName(i), "float32", [sequences, config.heads, slots, hd]);
    const values = g.input(cacheValueName(i), "float32", [sequences, config.heads, slots, hd]);
    const { q, k, v } = projectQkv(x, w, i, config, rope);
    outputs[newKeyName(i)] = k;
    outputs[newValueName(i)] = v;
    // K·qᵀ ([S, hd]·[hd, 1] per head) rather than q·Kᵀ ([1, hd]·[hd, S]): same numbers, but
    // ORT's batched MatMul runs the tall-skinny form about 2× faster here (measured), and
    // moving a unit dimension is a free reshape.
    const qColumn = reshape(mul(q, scale), [sequences, config.heads, hd, 1]);
    const cached = add(
      reshape(matmul(keys, qColumn), [sequences, config.heads, 1, slots]),
      keyBias,
    );
    const self = mul(sum(mul(q, k), [-1], true), scale);
    const p = softmax(concat([cached, self], -1), -1);
    const fromCache = matmul(slice(p, [0], [slots], [3]), values);
    const att = add(fromCache, mul(slice(p, [slots], [slots + 1], [3]), v));
    x = finishBlock(x, att, w, i, config);
  }
  const last = reshape(x, [sequences, config.dim]);
  outputs["logits"] = matmul(rmsNorm(last, w.norm, config.normEps), w.output);
  return outputs;
}
