// Model merges, one tensor at a time (DESIGN.md "Merges"; the paper merges its memory expert into
// the stage-3 model with SCE, §4.1). Each function takes the same-named tensor of the base and of
// every model as flat float32 arrays and returns the merged tensor; mergeFiles.ts streams them.
// Semantics follow mergekit (the verl backend emits a mergekit SCE config, so the two must agree):
//   linear           Σ w_i θ_i / Σ w_i
//   task_arithmetic  base + λ Σ w_i τ_i,  τ_i = θ_i − base
//   ties             τ_i trimmed to its top-density fraction by magnitude; elected sign per
//                    position = sign of Σ w_i τ_i (≥ 0 → +); keep w_i τ_i whose sign equals it;
//                    base + λ Σ kept / Σ w_i over kept (a position with nothing kept → base)
//   dare             each τ_i entry kept with probability `density` (seeded per tensor and
//                    model) and rescaled by 1/density; base + λ Σ w_i τ̃_i
//   sce              per tensor: keep the top-k fraction of positions by variance across models
//                    (population variance; k counts positions with non-zero variance, as
//                    mergekit); elect a sign per position by the sum of the (masked) task
//                    vectors; weight model i by mean(τ_i²) normalised to sum 1 (uniform when the
//                    sum is below 1e-6); base + Σ_i w_i τ_i [sign agrees] / max(Σ_i w_i [agrees], 1e-6).
//                    topk = 0 selects nothing: the result is the base tensor.
// Exactly k positions are selected by top-k; equal values are taken in index order (torch.topk
// leaves that order unspecified). Arithmetic is float64 per element, results float32.
// Typed arrays, not the ONNX engine: bench/merge.ts measures these loops against a plain copy
// of the same bytes; merges are bound by reading and writing the files, and an engine call would
// add a copy of every tensor in and out for arithmetic that already runs near memory speed.

import { Rng } from "../rng.ts";

export type MergeMethod =
  | { readonly kind: "linear"; readonly weights?: readonly number[] }
  | {
      readonly kind: "task_arithmetic";
      readonly weights?: readonly number[];
      readonly lambda?: number;
    }
  | {
      readonly kind: "ties";
      readonly density: number;
      readonly weights?: readonly number[];
      readonly lambda?: number;
    }
  | {
      readonly kind: "dare";
      readonly density: number;
      readonly seed: number;
      readonly weights?: readonly number[];
      readonly lambda?: number;
    }
  | { readonly kind: "sce"; readonly topk: number };

/** Whether the method reads a base model. */
export function needsBase(method: MergeMethod): boolean {
  return method.kind !== "linear";
}

/** Checks a method's parameters against the number of models; names the method in errors. */
export function checkMergeMethod(method: MergeMethod, models: number): void {
  if (models < 1) throw new Error(`merge ${method.kind}: needs at least one model`);
  if ("weights" in method && method.weights !== undefined && method.weights.length !== models) {
    throw new Error(`merge ${method.kind}: ${method.weights.length} weights for ${models} models`);
  }
  if (
    (method.kind === "ties" || method.kind === "dare") &&
    !(method.density > 0 && method.density <= 1)
  ) {
    throw new Error(`merge ${method.kind}: density must be in (0, 1], got ${method.density}`);
  }
  if (method.kind === "sce" && !(method.topk >= 0 && method.topk <= 1)) {
    throw new Error(`merge sce: topk must be in [0, 1], got ${method.topk}`);
  }
}

export function mergeTensor(
  method: MergeMethod,
  name: string,
  base: Float32Array | undefined,
  models: readonly Float32Array[],
): Float32Array {
  const n = (base ?? models[0]!).length;
  for (const [i, m] of models.entries()) {
    if (m.length !== n)
      throw new Error(
        `merge ${method.kind}: tensor "${name}" has ${m.length} values in model ${i} but ${n} in the ${base ? "base" : "first model"}`,
      );
  }
  if (needsBase(method) && !base)
    throw new Error(`merge ${method.kind}: tensor "${name}" needs a base tensor`);
  const weights = "weights" in method && method.weights ? method.weights : models.map(() => 1);
  switch (method.kind) {
    case "linear":
      return linear(name, models, weights);
    case "task_arithmetic":
      return combine(
        base!,
        models.map((m) => taskVector(m, base!)),
        weights,
        method.lambda ?? 1,
        false,
      );
    case "ties":
      return combine(
        base!,
        models.map((m) => trimByMagnitude(taskVector(m, base!), method.density)),
        weights,
        method.lambda ?? 1,
        true,
      );
    case "dare":
      return combine(
        base!,
        models.map((m, i) => dareDrop(taskVector(m, base!), method.density, method.seed, name, i)),
        weights,
        method.lambda ?? 1,
        false,
      );
    case "sce":
      return sce(base!, models, method.topk);
  }
}

function linear(
  name: string,
  models: readonly Float32Array[],
  weights: readonly number[],
): Float32Array {
  const total = weights.reduce((s, w) => s + w, 0);
  if (Math.abs(total) < 1e-12) throw new Error(`merge linear: tensor "${name}": weights sum to 0`);
  const acc = new Float64Array(models[0]!.length);
  models.forEach((m, i) => {
    const a = weights[i]! / total;
    for (let p = 0; p < acc.length; p++) acc[p]! += a * m[p]!;
  });
  return new Float32Array(acc);
}

/** acc += a·x. Loops run one model at a time over contiguous arrays: monomorphic (Float64Array
 * only, so V8 keeps one fast element kind) and cache-friendly. */
function axpy(acc: Float64Array, a: number, x: Float64Array): void {
  for (let p = 0; p < acc.length; p++) acc[p]! += a * x[p]!;
}

export function taskVector(model: Float32Array, base: Float32Array): Float64Array {
  const out = new Float64Array(model.length);
  for (let p = 0; p < out.length; p++) out[p] = model[p]! - base[p]!;
  return out;
}

/** mergekit's generalized task arithmetic: optional sign consensus ("sum") and normalisation by the kept weights. */
function combine(
  base: Float32Array,
  deltas: readonly Float64Array[],
  weights: readonly number[],
  lambda: number,
  consensus: boolean,
): Float32Array {
  const n = base.length;
  const mixed = new Float64Array(n);
  if (!consensus) {
    deltas.forEach((d, i) => axpy(mixed, weights[i]!, d));
  } else {
    const sum = new Float64Array(n);
    deltas.forEach((d, i) => axpy(sum, weights[i]!, d));
    const divisor = new Float64Array(n);
    deltas.forEach((d, i) => {
      const w = weights[i]!;
      for (let p = 0; p < n; p++) {
        const wd = w * d[p]!;
        // sign(wd) equals the elected sign (+ when the sum is ≥ 0); a zero never agrees.
        if (sum[p]! >= 0 ? wd > 0 : wd < 0) {
          mixed[p]! += wd;
          divisor[p]! += w;
        }
      }
    });
    for (let p = 0; p < n; p++) if (divisor[p] !== 0) mixed[p]! /= divisor[p]!;
  }
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) out[p] = base[p]! + lambda * mixed[p]!;
  return out;
}

/** Mask of exactly k positions holding the largest values (ties in index order). */
export function topKMask(values: Float64Array, k: number): Uint8Array {
  const n = values.length;
  const mask = new Uint8Array(n);
  if (k <= 0) return mask;
  if (k >= n) return mask.fill(1);
  const threshold = kthSmallest(Float64Array.from(values), n - k);
  let taken = 0;
  for (let p = 0; p < n; p++) {
    if (values[p]! > threshold) {
      mask[p] = 1;
      taken++;
    }
  }
  for (let p = 0; p < n && taken < k; p++) {
    if (values[p] === threshold) {
      mask[p] = 1;
      taken++;
    }
  }
  return mask;
}

/** The value of rank `rank` (0-based, ascending) by in-place quickselect: O(n), unlike a sort. */
function kthSmallest(a: Float64Array, rank: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    // Median of three as pivot keeps sorted or constant runs from going quadratic.
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (rank <= j) hi = j;
    else if (rank >= i) lo = i;
    else return a[rank]!;
  }
  return a[rank]!;
}

/** TIES trim: keep the ⌊density·n⌋ entries of largest magnitude, zero the rest (in place). */
function trimByMagnitude(delta: Float64Array, density: number): Float64Array {
  if (density >= 1) return delta;
  const magnitude = new Float64Array(delta.length);
  for (let p = 0; p < delta.length; p++) magnitude[p] = Math.abs(delta[p]!);
  const mask = topKMask(magnitude, Math.floor(density * delta.length));
  for (let p = 0; p < delta.length; p++) if (!mask[p]) delta[p] = 0;
  return delta;
}

/** The DARE keep mask of model `model` for tensor `name`: seeded, so a merge is reproducible. */
export function dareKeepMask(
  seed: number,
  name: string,
  model: number,
  n: number,
  density: number,
): Uint8Array {
  const rng = Rng.stream(seed, "merge", "dare", name, model);
  const mask = new Uint8Array(n);
  // One 32-bit draw per entry: P(keep) = ⌊density·2³²⌋ / 2³², density to within 2⁻³².
  const cut = Math.floor(density * 0x100000000);
  for (let p = 0; p < n; p++) mask[p] = rng.nextU32() < cut ? 1 : 0;
  return mask;
}

function dareDrop(
  delta: Float64Array,
  density: number,
  seed: number,
  name: string,
  model: number,
): Float64Array {
  const keep = dareKeepMask(seed, name, model, delta.length, density);
  for (let p = 0; p < delta.length; p++) delta[p] = keep[p] ? delta[p]! / density : 0;
  return delta;
}

/** SCE select step: positions kept by variance across models (all when topk ≥ 1, none when ≤ 0). */
export function sceSelectMask(deltas: readonly Float64Array[], topk: number): Uint8Array {
  const n = deltas[0]!.length;
  if (topk >= 1) return new Uint8Array(n).fill(1);
  if (topk <= 0) return new Uint8Array(n);
  const mean = new Float64Array(n);
  for (const d of deltas) axpy(mean, 1 / deltas.length, d);
  const variance = new Float64Array(n);
  for (const d of deltas) {
    for (let p = 0; p < n; p++) {
      const c = d[p]! - mean[p]!;
      variance[p]! += c * c;
    }
  }
  let nonzero = 0;
  for (let p = 0; p < n; p++) {
    variance[p]! /= deltas.length;
    if (variance[p] !== 0) nonzero++;
  }
  return topKMask(variance, Math.floor(nonzero * topk));
}

/** SCE model weights: mean squared task vector, normalised; uniform when they sum below 1e-6. */
export function sceWeights(deltas: readonly Float64Array[]): number[] {
  const raw = deltas.map((d) => {
    let s = 0;
    for (let p = 0; p < d.length; p++) s += d[p]! * d[p]!;
    return d.length > 0 ? s / d.length : 0;
  });
  const total = raw.reduce((s, x) => s + x, 0);
  if (Math.abs(total) < 1e-6) return raw.map(() => 1 / raw.length);
  return raw.map((x) => x / total);
}

function sce(base: Float32Array, models: readonly Float32Array[], topk: number): Float32Array {
  const n = base.length;
  const deltas = models.map((m) => taskVector(m, base));
  const select = sceSelectMask(deltas, topk);
  for (const d of deltas) for (let p = 0; p < n; p++) if (!select[p]) d[p] = 0;
  const w = sceWeights(deltas);
  const sum = new Float64Array(n);
  for (const d of deltas) axpy(sum, 1, d);
  const merged = new Float64Array(n);
  const weight = new Float64Array(n);
  deltas.forEach((d, i) => {
    const wi = w[i]!;
    for (let p = 0; p < n; p++) {
      const x = d[p]!;
      if (sum[p]! >= 0 ? x > 0 : x < 0) {
        merged[p]! += wi * x;
        weight[p]! += wi;
      }
    }
  });
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) out[p] = base[p]! + merged[p]! / Math.max(weight[p]!, 1e-6);
  return out;
}
