// The two inference graphs of KV-cache generation, built from the engine's ops (ONNX):
//
// prefill  — the whole left-padded prompt batch [N, P] in one pass of the engine's forward
//            (transformer.ts). Returns the sampling distribution at the last slot (left
//            padding puts every prompt's last token there) and each layer's rotated keys and
//            values, which the generator copies into its cache once.
// decode   — one new token per sequence. The cache is a graph INPUT, not an output: ORT feeds
//            host arrays zero-copy but copies every output (notes/onnxruntime-node.md), so a
//            cache returned each step would be copied (and grown) every step. The graph
//            returns only the new token's k and v, which the generator writes into the slot.
//
// Cache layout, per layer: keys and values [N, H, S, hd]; scores are K·qᵀ, so no Transpose
// node ever copies the cache. S is fixed per graph (prompt + max new tokens); slots not yet
// written are masked by `keyBias`.
//
// The decode graph spells the block out for one token (fused projections, reshapes instead of
// transposes) rather than reusing transformer.ts `forward`, whose attention concatenates the
// past into a new tensor; the logits parity test holds the two to the same function.
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
  exp,
  gather,
  logSoftmax,
  matmul,
  mul,
  neg,
  reshape,
  slice,
  softmax,
  sum,
} from "../tensor/ops.ts";
import { applyRope, rmsNorm, ropeTables, silu } from "../tensor/nn.ts";
import { headDim, type ModelConfig } from "./config.ts";
import { declareWeights, forward } from "./transformer.ts";

/**
 * The sampling distribution next to the logits (sampling.ts semantics): probs and logprobs of
 * softmax(logits · invTemperature) and its full-vocabulary entropy −Σ p·log p, computed on
 * ORT's threads instead of per row in JS. invTemperature is a scalar input, so one compiled
 * graph serves every temperature.
 */
function withDistribution(logits: Tensor, invTemperature: Tensor): Record<string, Tensor> {
  const logprobs = logSoftmax(mul(logits, invTemperature), -1);
  const probs = exp(logprobs);
  return { logits, probs, logprobs, entropy: neg(sum(mul(probs, logprobs), [-1])) };
}

export const cacheKeyName = (layer: number): string => `cache.${layer}.k`;
export const cacheValueName = (layer: number): string => `cache.${layer}.v`;
export const newKeyName = (layer: number): string => `new.${layer}.k`;
export const newValueName = (layer: number): string => `new.${layer}.v`;

/**
 * Prefill over tokens/positions int64 [N, P] and keyMask bool [N, P] (false = left padding):
 * the engine's full forward, and scalar invTemperature. Outputs: logits, probs, logprobs
 * [N, V] and entropy [N] at slot P−1; per layer, keys and values [N, H, P, hd].
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
  const invTemperature = g.input("invTemperature", "float32", []);
  const { logits, present } = forward(w, config, tokens, positions, { keyMask });
  const last = reshape(slice(logits, [promptSlots - 1], [promptSlots], [1]), [
    sequences,
    config.vocab,
  ]);
  const outputs = withDistribution(last, invTemperature);
  present.forEach(({ k, v }, i) => {
    outputs[newKeyName(i)] = k;
    outputs[newValueName(i)] = v;
  });
  return outputs;
}

/** Decode-graph inputs that fuse spec weights: q|k|v [dim, 3·dim] and w1|w3 [dim, 2·ffn]. */
export const fusedQkvName = (layer: number): string => `decode.${layer}.wqkv`;
export const fusedGateUpName = (layer: number): string => `decode.${layer}.w13`;

/** Side-by-side columns of row-major matrices with the same row count. */
function concatColumns(rows: number, parts: readonly Float32Array[]): Float32Array {
  const widths = parts.map((p) => p.length / rows);
  const width = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let at = r * width;
    parts.forEach((p, i) => {
      out.set(p.subarray(r * widths[i]!, (r + 1) * widths[i]!), at);
      at += widths[i]!;
    });
  }
  return out;
}

/**
 * The decode graph's weight feeds: the spec weights plus, per layer, the fused q|k|v and
 * w1|w3 matrices. With one token per sequence every product has only N rows, and one wide
 * MatMul per layer costs less than three narrow ones (thread dispatch dominates at this size).
 */
export function decodeWeights(
  config: ModelConfig,
  weights: Readonly<Record<string, Float32Array>>,
): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = { ...weights };
  const w = (name: string) => {
    const t = weights[name];
    if (!t) throw new Error(`decodeWeights: missing weight "${name}"`);
    return t;
  };
  for (let i = 0; i < config.layers; i++) {
    const p = `layers.${i}.`;
    out[fusedQkvName(i)] = concatColumns(config.dim, [w(`${p}wq`), w(`${p}wk`), w(`${p}wv`)]);
    out[fusedGateUpName(i)] = concatColumns(config.dim, [w(`${p}w1`), w(`${p}w3`)]);
  }
  return out;
}

/**
 * One decode step for tokens int64 [N] at positions int64 [N, 1] against caches of `slots`
 * slots and keyBias float32 [N, 1, 1, slots] (0 = a filled slot of this sequence, MASKED
 * otherwise). Weights as `decodeWeights` gives them. With T = 1, [N, 1, H, hd] and
 * [N, H, 1, hd] share one memory order, so heads split and merge by reshapes alone.
 * Outputs: logits, probs, logprobs [N, V] and entropy [N] (as `withDistribution`); per
 * layer the new token's rotated key and value [N, H, 1, hd].
 */
export function buildDecode(
  config: ModelConfig,
  sequences: number,
  slots: number,
): Record<string, Tensor> {
  const g = new Graph();
  const { dim, ffn, heads } = config;
  const hd = headDim(config);
  const weight = (name: string, shape: number[]) => g.input(name, "float32", shape);
  const tokens = g.input("tokens", "int64", [sequences]);
  const positions = g.input("positions", "int64", [sequences, 1]);
  const keyBias = g.input("keyBias", "float32", [sequences, 1, 1, slots]);
  const invTemperature = g.input("invTemperature", "float32", []);
  const rope = ropeTables(positions, hd, config.ropeTheta);
  const scale = 1 / Math.sqrt(hd);
  const headsOf = (y: Tensor) => reshape(y, [sequences, heads, 1, hd]);
  let x = gather(weight("tok_embeddings", [config.vocab, dim]), tokens);
  const outputs: Record<string, Tensor> = {};
  for (let i = 0; i < config.layers; i++) {
    const p = `layers.${i}.`;
    const keys = g.input(cacheKeyName(i), "float32", [sequences, heads, slots, hd]);
    const values = g.input(cacheValueName(i), "float32", [sequences, heads, slots, hd]);
    const h = rmsNorm(x, weight(`${p}attention_norm`, [dim]), config.normEps);
    const qkv = matmul(h, weight(fusedQkvName(i), [dim, 3 * dim]));
    const part = (k: number) => headsOf(slice(qkv, [k * dim], [(k + 1) * dim], [1]));
    const q = applyRope(part(0), rope);
    const k = applyRope(part(1), rope);
    const v = part(2);
    outputs[newKeyName(i)] = k;
    outputs[newValueName(i)] = v;
    // K·qᵀ ([S, hd]·[hd, 1] per head) rather than q·Kᵀ ([1, hd]·[hd, S]): same numbers, but
    // ORT's batched MatMul runs the tall-skinny form about 2× faster here (measured), and
    // moving a unit dimension is a free reshape.
    const qColumn = reshape(mul(q, scale), [sequences, heads, hd, 1]);
    const cached = add(reshape(matmul(keys, qColumn), [sequences, heads, 1, slots]), keyBias);
    const self = mul(sum(mul(q, k), [-1], true), scale);
    const probs = softmax(concat([cached, self], -1), -1);
    const fromCache = matmul(slice(probs, [0], [slots], [3]), values);
    const att = add(fromCache, mul(slice(probs, [slots], [slots + 1], [3]), v));
    x = add(x, matmul(reshape(att, [sequences, dim]), weight(`${p}wo`, [dim, dim])));
    const h2 = rmsNorm(x, weight(`${p}ffn_norm`, [dim]), config.normEps);
    const gateUp = matmul(h2, weight(fusedGateUpName(i), [dim, 2 * ffn]));
    const gated = mul(silu(slice(gateUp, [0], [ffn], [1])), slice(gateUp, [ffn], [2 * ffn], [1]));
    x = add(x, matmul(gated, weight(`${p}w2`, [ffn, dim])));
  }
  const final = rmsNorm(x, weight("norm", [dim]), config.normEps);
  return {
    ...outputs,
    ...withDistribution(matmul(final, weight("output", [dim, config.vocab])), invTemperature),
  };
}
