// The policy: a decoder-only transformer (RMSNorm, rotary positions, SwiGLU, causal
// multi-head attention) built as tensor-IR graphs. Weight names, layouts ([in, out], y = x·W),
// initialisation and the block equations follow the shared policy-model spec; the PyTorch
// twin in test/reference/model.py computes the same function.

import { Rng } from "../rng.ts";
import { Graph } from "../tensor/ir.ts";
import type { Shape, Tensor } from "../tensor/ir.ts";
import {
  add,
  concat,
  div,
  gather,
  matmul,
  mul,
  neg,
  reshape,
  stopGradient,
  sum,
  transpose,
} from "../tensor/ops.ts";
import {
  applyRope,
  attention,
  causalBias,
  keyPaddingBias,
  policyLoss,
  rmsNorm,
  ropeTables,
  swiglu,
  tokenLogProbs,
} from "../tensor/nn.ts";
import type { KlEstimator } from "../tensor/nn.ts";
import { gradients } from "../tensor/autodiff.ts";
import { buildOptimizerStep, optimizerOutputs } from "../tensor/optim.ts";
import { GraphCache } from "../tensor/session.ts";
import type { CompileOptions } from "../tensor/session.ts";
import { momentNames, nextName } from "../tensor/train.ts";
import type { TrainGraph } from "../tensor/train.ts";
import { headDim } from "./config.ts";
import type { ModelConfig } from "./config.ts";

export interface LayerWeights {
  readonly attentionNorm: Tensor;
  readonly wq: Tensor;
  readonly wk: Tensor;
  readonly wv: Tensor;
  readonly wo: Tensor;
  readonly ffnNorm: Tensor;
  readonly w1: Tensor;
  readonly w2: Tensor;
  readonly w3: Tensor;
}

export interface ModelWeights {
  readonly tokEmbeddings: Tensor;
  readonly layers: readonly LayerWeights[];
  readonly norm: Tensor;
  readonly output: Tensor;
  /** Every weight by its checkpoint name, in `weightShapes` order. */
  readonly byName: ReadonlyMap<string, Tensor>;
}

/** Checkpoint names and shapes of all weights, in a fixed order. */
export function weightShapes(config: ModelConfig): [string, Shape][] {
  const { vocab, dim, ffn } = config;
  const out: [string, Shape][] = [["tok_embeddings", [vocab, dim]]];
  for (let i = 0; i < config.layers; i++) {
    const p = `layers.${i}.`;
    out.push(
      [`${p}attention_norm`, [dim]],
      [`${p}wq`, [dim, dim]],
      [`${p}wk`, [dim, dim]],
      [`${p}wv`, [dim, dim]],
      [`${p}wo`, [dim, dim]],
      [`${p}ffn_norm`, [dim]],
      [`${p}w1`, [dim, ffn]],
      [`${p}w3`, [dim, ffn]],
      [`${p}w2`, [ffn, dim]],
    );
  }
  out.push(["norm", [dim]], ["output", [dim, vocab]]);
  return out;
}

/** Norm gains are vectors; everything else is a matrix (this decides weight decay too). */
export function isNormWeight(name: string): boolean {
  return name === "norm" || name.endsWith("_norm");
}

/**
 * Seeded initialisation: N(0, 0.02) for matrices, with wo and w2 scaled by 1/√(2·layers)
 * (GPT-2's residual-branch scaling); norm gains = 1. Each weight draws from its own stream
 * (seed, "init", name), so adding a layer leaves the others unchanged.
 */
export function initWeights(config: ModelConfig, seed: number): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  const residualScale = 1 / Math.sqrt(2 * config.layers);
  for (const [name, shape] of weightShapes(config)) {
    const size = shape.reduce((n, d) => n * d, 1);
    if (isNormWeight(name)) {
      weights.set(name, new Float32Array(size).fill(1));
      continue;
    }
    const std = name.endsWith(".wo") || name.endsWith(".w2") ? 0.02 * residualScale : 0.02;
    const rng = Rng.stream(seed, "init", name);
    weights.set(
      name,
      Float32Array.from({ length: size }, () => rng.normal() * std),
    );
  }
  return weights;
}

/** Declares every weight as a float32 graph input named by its checkpoint name. */
export function declareWeights(g: Graph, config: ModelConfig): ModelWeights {
  const byName = new Map<string, Tensor>();
  for (const [name, shape] of weightShapes(config))
    byName.set(name, g.input(name, "float32", shape));
  const w = (name: string) => byName.get(name)!;
  const layers = Array.from({ length: config.layers }, (_, i) => {
    const p = `layers.${i}.`;
    return {
      attentionNorm: w(`${p}attention_norm`),
      wq: w(`${p}wq`),
      wk: w(`${p}wk`),
      wv: w(`${p}wv`),
      wo: w(`${p}wo`),
      ffnNorm: w(`${p}ffn_norm`),
      w1: w(`${p}w1`),
      w2: w(`${p}w2`),
      w3: w(`${p}w3`),
    };
  });
  return {
    tokEmbeddings: w("tok_embeddings"),
    layers,
    norm: w("norm"),
    output: w("output"),
    byName,
  };
}

export interface KeyValue {
  /** [B, H, S, headDim], keys after RoPE. */
  readonly k: Tensor;
  readonly v: Tensor;
}

export interface ForwardOptions {
  /** Per-layer cached keys/values from earlier positions, prepended to this call's. */
  readonly past?: readonly KeyValue[];
  /** [B, S+T] int64/bool/float: 1 for real tokens, 0 for padding (keys only). */
  readonly keyMask?: Tensor;
}

export interface ForwardResult {
  /** [B, T, vocab] */
  readonly logits: Tensor;
  /** Per-layer keys/values of this call's T positions (what a KV cache stores). */
  readonly present: readonly KeyValue[];
}

function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, t, d] = x.shape as [number, number, number];
  return transpose(reshape(x, [b, t, heads, d / heads]), [0, 2, 1, 3]);
}

function mergeHeads(x: Tensor): Tensor {
  const [b, h, t, hd] = x.shape as [number, number, number, number];
  return reshape(transpose(x, [0, 2, 1, 3]), [b, t, h * hd]);
}

/**
 * Logits for int64 `tokens` [B, T] at int64 `positions` [B, T] (0-based within each
 * sequence). Attention is causal over [past ‖ current] keys, plus the key mask if given.
 * h = x + Attn(RMSNorm(x)·attention_norm); out = h + SwiGLU(RMSNorm(h)·ffn_norm);
 * logits = RMSNorm(h_L)·norm @ output.
 */
export function forward(
  w: ModelWeights,
  config: ModelConfig,
  tokens: Tensor,
  positions: Tensor,
  options: ForwardOptions = {},
): ForwardResult {
  const [, t] = tokens.shape as [number, number];
  const pastLen = options.past?.[0]?.k.shape[2] ?? 0;
  const rope = ropeTables(positions, headDim(config), config.ropeTheta);
  let bias = causalBias(tokens, t, pastLen + t);
  if (options.keyMask) bias = add(bias, keyPaddingBias(options.keyMask));

  let x = gather(w.tokEmbeddings, tokens);
  const present: KeyValue[] = [];
  w.layers.forEach((lw, i) => {
    const xn = rmsNorm(x, lw.attentionNorm, config.normEps);
    const q = applyRope(splitHeads(matmul(xn, lw.wq), config.heads), rope);
    const k = applyRope(splitHeads(matmul(xn, lw.wk), config.heads), rope);
    const v = splitHeads(matmul(xn, lw.wv), config.heads);
    present.push({ k, v });
    const past = options.past?.[i];
    const keys = past ? concat([past.k, k], 2) : k;
    const values = past ? concat([past.v, v], 2) : v;
    const h = add(x, matmul(mergeHeads(attention(q, keys, values, bias)), lw.wo));
    x = add(h, swiglu(rmsNorm(h, lw.ffnNorm, config.normEps), lw.w1, lw.w3, lw.w2));
  });
  return { logits: matmul(rmsNorm(x, w.norm, config.normEps), w.output), present };
}

export interface TrainStepOptions {
  readonly batch: number;
  readonly seq: number;
  /**
   * "input": PPO/DAPO with the rollout policy's log-probs fed as `oldLogp`.
   * "self": oldLogp = stop-gradient(logp), so ratio = 1 and, with advantages = 1, the loss
   * is Σ weights·(−logp): the supervised warm-up (cross-entropy) through the same graph.
   */
  readonly oldLogp: "input" | "self";
  /** Adds input `refLogp` and the KL penalty with this estimator. */
  readonly klEstimator?: KlEstimator;
  /** Adds input `keyMask` [B, T] (1 = real token) for left-padded batches. */
  readonly keyMask?: boolean;
}

export interface LossHyper {
  readonly clipLow?: number;
  readonly clipHigh?: number;
  /** Dual-clip constant c; 0 turns it off. */
  readonly dualClip?: number;
  readonly klCoef?: number;
  readonly entropyCoef?: number;
  /** Sampling temperature the batch was generated at (logits are divided by it); default 1. */
  readonly temperature?: number;
}

/** Feeds for the loss's rank-0 inputs (defaults: ε_low = ε_high = 0.2, everything else 0). */
export function lossScalars(h: LossHyper = {}): Record<string, number> {
  return {
    "loss.clipLow": h.clipLow ?? 0.2,
    "loss.clipHigh": h.clipHigh ?? 0.2,
    "loss.dualClip": h.dualClip ?? 0,
    "loss.klCoef": h.klCoef ?? 0,
    "loss.entropyCoef": h.entropyCoef ?? 0,
    temperature: h.temperature ?? 1,
  };
}

interface LossGraph {
  readonly graph: Graph;
  readonly weights: ModelWeights;
  readonly loss: Tensor;
  /** −Σ weights·logp: the cross-entropy, reported in both modes (in "self" mode `loss`
   * equals −Σ weights·advantages, its gradient being cross-entropy's). */
  readonly nll: Tensor;
  readonly logp: Tensor;
  readonly entropy: Tensor;
}

/** Per-token logp and entropy of int64 inputs tokens/positions/targets (+ keyMask) [B, T]. */
function scoredTokens(
  g: Graph,
  w: ModelWeights,
  config: ModelConfig,
  options: Pick<TrainStepOptions, "batch" | "seq" | "keyMask">,
): { logp: Tensor; entropy: Tensor } {
  const int = (name: string) => g.input(name, "int64", [options.batch, options.seq]);
  const tokens = int("tokens");
  const positions = int("positions");
  const targets = int("targets");
  const keyMask = options.keyMask ? int("keyMask") : undefined;
  const { logits } = forward(w, config, tokens, positions, keyMask ? { keyMask } : {});
  // Scored under the sampling distribution softmax(logits / T), as the rollout's logp and
  // entropy are (runtime/model/sampling.ts) and as verl's actor does: with T ≠ 1, a
  // gradient of log softmax(logits) would not be the policy gradient of what was sampled.
  const temperature = g.input("temperature", "float32", []);
  return tokenLogProbs(div(logits, temperature), targets);
}

/**
 * Scoring without gradients: per-token logp of `targets` and full-vocabulary entropy [B, T]
 * for a batch, e.g. a reference policy's refLogp or a recomputed oldLogp.
 */
export function buildLogProbs(
  config: ModelConfig,
  options: Pick<TrainStepOptions, "batch" | "seq" | "keyMask">,
): { logp: Tensor; entropy: Tensor } {
  const g = new Graph();
  return scoredTokens(g, declareWeights(g, config), config, options);
}

/** Forward and token-level policy loss (nn.policyLoss) over declared weights and batch inputs. */
function lossGraph(config: ModelConfig, options: TrainStepOptions): LossGraph {
  const g = new Graph();
  const { batch: b, seq: t } = options;
  const w = declareWeights(g, config);
  const float = (name: string) => g.input(name, "float32", [b, t]);
  const scalar = (name: string) => g.input(`loss.${name}`, "float32", []);
  const { logp, entropy } = scoredTokens(g, w, config, options);
  const weights = float("weights");
  const { loss } = policyLoss({
    logp,
    entropy,
    weights,
    advantages: float("advantages"),
    oldLogp: options.oldLogp === "input" ? float("oldLogp") : stopGradient(logp),
    ...(options.klEstimator ? { klEstimator: options.klEstimator, refLogp: float("refLogp") } : {}),
    clipLow: scalar("clipLow"),
    clipHigh: scalar("clipHigh"),
    dualClip: scalar("dualClip"),
    klCoef: scalar("klCoef"),
    entropyCoef: scalar("entropyCoef"),
  });
  const nll = neg(sum(mul(weights, logp)));
  return { graph: g, weights: w, loss, nll, logp, entropy };
}

/**
 * Forward + backward without the update: outputs loss, nll, logp, entropy [B,T], `grad.X`
 * for every weight X (same inputs as the training step, minus moments and optimizer scalars).
 */
export function buildGradients(
  config: ModelConfig,
  options: TrainStepOptions,
): Record<string, Tensor> {
  const { weights, loss, nll, logp, entropy } = lossGraph(config, options);
  const names = [...weights.byName.keys()];
  const grads = gradients(
    loss,
    names.map((n) => weights.byName.get(n)!),
  );
  const outputs: Record<string, Tensor> = { loss, nll, logp, entropy };
  names.forEach((n, i) => (outputs[`grad.${n}`] = grads[i]!));
  return outputs;
}

/**
 * One training step as one graph: forward, token-level policy loss, backward, global
 * grad-norm clipping and AdamW. Batch inputs: tokens, positions, targets [B,T] int64;
 * weights, advantages [B,T] float32 (+ oldLogp, refLogp, keyMask per options); loss scalars
 * (`lossScalars`) and optimizer scalars (fed by TrainState).
 * Outputs: loss, nll, gradNorm, gradSumSquares [params], logp and entropy [B,T], `next.X`
 * for every parameter and moment X. Weight decay applies to matrices only: decaying the
 * RMSNorm gains would pull them towards 0, i.e. shrink every activation, not regularise.
 */
export function buildTrainStep(
  config: ModelConfig,
  options: TrainStepOptions,
): { outputs: Record<string, Tensor>; params: string[] } {
  const { graph: g, weights: w, loss, nll, logp, entropy } = lossGraph(config, options);
  const names = [...w.byName.keys()];
  const params = names.map((n) => w.byName.get(n)!);
  const grads = gradients(loss, params);
  const optimizer = optimizerOutputs(
    g,
    names.map((name, i) => ({
      name,
      param: params[i]!,
      grad: grads[i]!,
      decay: !isNormWeight(name),
    })),
  );
  const outputs: Record<string, Tensor> = { loss, nll, logp, entropy, ...optimizer };
  return { outputs, params: names };
}

/** The AdamW step alone for this model's weights (inputs X and `grad.X`), same decay rule. */
export function buildModelOptimizerStep(config: ModelConfig): Record<string, Tensor> {
  return buildOptimizerStep(
    weightShapes(config).map(([name, shape]) => ({ name, shape, decay: !isNormWeight(name) })),
  );
}

/** Builds (or reuses from `cache`) and compiles the training step; on WebGPU every `next.*`
 * output stays on the device. */
export async function compileTrainStep(
  config: ModelConfig,
  options: TrainStepOptions,
  compileOptions: CompileOptions = {},
  cache: GraphCache = new GraphCache(),
): Promise<TrainGraph> {
  // Names come from weightShapes (declareWeights' order), so a cache hit builds nothing.
  const params = weightShapes(config).map(([name]) => name);
  const deviceOutputs =
    compileOptions.device === "webgpu"
      ? params.flatMap((name) => {
          const slots = momentNames(name);
          return [name, slots.m, slots.v].map(nextName);
        })
      : [];
  const key = `train|${JSON.stringify(config)}|${JSON.stringify(options)}`;
  const compiled = await cache.get(key, () => buildTrainStep(config, options).outputs, {
    ...compileOptions,
    deviceOutputs,
  });
  return { compiled, params };
}
