// The optimizer step as graph ops, so clipping and AdamW run inside the training-step ONNX
// model next to the backward pass (ORT ships no AdamW/InPlaceAccumulator kernels in its
// inference build: notes/onnxruntime-node.md). Hyper-parameters are rank-0 graph inputs, so a
// learning-rate schedule does not recompile anything.

import { Graph } from "./ir.ts";
import type { Shape, Tensor } from "./ir.ts";
import { add, concat, div, mul, reshape, sqrt, sub, sum } from "./ops.ts";
import { minimum } from "./nn.ts";
import { momentNames, nextName } from "./train.ts";

/** Rank-0 float32 inputs of an AdamW step; `TrainState` feeds them from `AdamWHyper`. */
export interface AdamWScalars {
  readonly lr: Tensor;
  readonly beta1: Tensor;
  readonly beta2: Tensor;
  readonly eps: Tensor;
  readonly weightDecay: Tensor;
  /** 1 − β1^t and 1 − β2^t for the step t being taken (computed on the host in float64). */
  readonly biasCorrection1: Tensor;
  readonly biasCorrection2: Tensor;
  /** Global gradient-norm bound; +∞ disables clipping. */
  readonly maxGradNorm: Tensor;
}

export const ADAMW_SCALARS = [
  "lr",
  "beta1",
  "beta2",
  "eps",
  "weightDecay",
  "biasCorrection1",
  "biasCorrection2",
  "maxGradNorm",
] as const;

export function declareAdamWScalars(g: Graph): AdamWScalars {
  const s = Object.fromEntries(ADAMW_SCALARS.map((n) => [n, g.input(`opt.${n}`, "float32", [])]));
  return s as unknown as AdamWScalars;
}

/**
 * Scales all gradients by min(1, maxNorm / (‖g‖ + 1e-6)) where ‖g‖ is the global L2 norm
 * (torch.nn.utils.clip_grad_norm_). Also returns each gradient's sum of squares [n], which
 * names the tensor when the norm is not finite.
 */
export function clipByGlobalNorm(
  grads: readonly Tensor[],
  maxNorm: Tensor,
): { grads: Tensor[]; norm: Tensor; sumSquares: Tensor } {
  const squares = grads.map((g) => reshape(sum(mul(g, g)), [1]));
  const sumSquares = concat(squares, 0);
  const norm = sqrt(sum(sumSquares));
  const coef = minimum(div(maxNorm, add(norm, 1e-6)), maxNorm.graph.scalar(1, "float32"));
  return { grads: grads.map((g) => mul(g, coef)), norm, sumSquares };
}

export interface AdamWSlot {
  readonly param: Tensor;
  readonly grad: Tensor;
  readonly m: Tensor;
  readonly v: Tensor;
  /** Decoupled weight decay applies to this parameter (matrices yes, norm gains no). */
  readonly decay: boolean;
}

/**
 * AdamW (Loshchilov & Hutter) in PyTorch's arithmetic:
 * m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 * p ← p·(1 − lr·λ) − (lr / bc1) · m / (√v / √bc2 + ε).
 */
export function adamw(slot: AdamWSlot, s: AdamWScalars): { param: Tensor; m: Tensor; v: Tensor } {
  const { grad } = slot;
  const m = add(mul(s.beta1, slot.m), mul(sub(1, s.beta1), grad));
  const v = add(mul(s.beta2, slot.v), mul(sub(1, s.beta2), mul(grad, grad)));
  const denom = add(div(sqrt(v), sqrt(s.biasCorrection2)), s.eps);
  const stepSize = div(s.lr, s.biasCorrection1);
  const decayed = slot.decay ? mul(slot.param, sub(1, mul(s.lr, s.weightDecay))) : slot.param;
  return { param: sub(decayed, mul(stepSize, div(m, denom))), m, v };
}

export interface OptimizedParam {
  readonly name: string;
  readonly param: Tensor;
  readonly grad: Tensor;
  readonly decay: boolean;
}

/**
 * Clipping plus AdamW for every parameter, declaring the moments `m.X`, `v.X` and the
 * optimizer scalars as inputs. Outputs gradNorm (before clipping), gradSumSquares (in
 * `params` order) and `next.X` for each parameter and moment: the TrainState contract.
 */
export function optimizerOutputs(
  g: Graph,
  params: readonly OptimizedParam[],
): Record<string, Tensor> {
  const opt = declareAdamWScalars(g);
  const clipped = clipByGlobalNorm(
    params.map((p) => p.grad),
    opt.maxGradNorm,
  );
  const outputs: Record<string, Tensor> = {
    gradNorm: clipped.norm,
    gradSumSquares: clipped.sumSquares,
  };
  params.forEach((p, i) => {
    const slots = momentNames(p.name);
    const next = adamw(
      {
        param: p.param,
        grad: clipped.grads[i]!,
        m: g.input(slots.m, "float32", p.param.shape),
        v: g.input(slots.v, "float32", p.param.shape),
        decay: p.decay,
      },
      opt,
    );
    outputs[nextName(p.name)] = next.param;
    outputs[nextName(slots.m)] = next.m;
    outputs[nextName(slots.v)] = next.v;
  });
  return outputs;
}

/**
 * The optimizer step alone: parameters X and gradients `grad.X` in, updates out. Run after
 * accumulating gradients of several forward+backward graphs (the loss is a sum over tokens,
 * so summing micro-batch gradients gives the whole batch's).
 */
export function buildOptimizerStep(
  params: readonly { readonly name: string; readonly shape: Shape; readonly decay: boolean }[],
): Record<string, Tensor> {
  const g = new Graph();
  return optimizerOutputs(
    g,
    params.map((p) => ({
      name: p.name,
      param: g.input(p.name, "float32", p.shape),
      grad: g.input(`grad.${p.name}`, "float32", p.shape),
      decay: p.decay,
    })),
  );
}
