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
// These typed-array loops are the CPU reference of every method and the implementation of ties,
// dare and sce; linear and task_arithmetic also run through the ORT engine (engineMerge.ts),
// which bench/merge.ts measured ~10× faster for those two.

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

/**
 * The merged tensor. Every method runs in blocks of BLOCK positions: each model's (sparsified)
 * task vector for the block is formed in a small float64 scratch buffer and combined at once,
 * so a merge reads each input once, writes the output once and holds only O(BLOCK) float64
 * scratch per model next to the inputs (ties and sce also hold one transient array of n values
 * for their top-k threshold).
 */
export function mergeTensor(
  method: MergeMethod,
  name: string,
  base: Float32Array | undefined,
  models: readonly Float32Array[],
): Float32Array {
  checkMergeMethod(method, models.length);
  const n = (base ?? models[0]!).length;
  for (const [i, m] of models.entries()) {
    if (m.length !== n) {
      throw new Error(
        `merge ${method.kind}: tensor "${name}" has ${m.length} values in model ${i} but ${n} in the ${base ? "base" : "first model"}`,
      );
    }
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
        models.map((m) => plainDeltas(m, base!)),
        weights,
        method.lambda ?? 1,
        false,
      );
    case "ties":
      return combine(
        base!,
        models.map((m) => trimmedDeltas(m, base!, method.density)),
        weights,
        method.lambda ?? 1,
        true,
      );
    case "dare":
      return combine(
        base!,
        models.map((m, i) =>
          dareDeltas(m, base!, method.density, Rng.stream(method.seed, "merge", "dare", name, i)),
        ),
        weights,
        method.lambda ?? 1,
        false,
      );
    case "sce":
      return sce(base!, models, method.topk);
  }
}

/** Positions per block: 8192 float64 = 64 KiB of scratch per model, cache-resident. */
const BLOCK = 8192;

/** Writes a model's task vector (possibly sparsified) for positions [start, end) into `into[0 ..]`. Called in block order. */
type DeltaSource = (start: number, end: number, into: Float64Array) => void;

/** Calls `fn` for each block with every source's deltas for it. */
function forEachBlock(
  n: number,
  sources: readonly DeltaSource[],
  fn: (start: number, end: number, deltas: readonly Float64Array[]) => void,
): void {
  const scratch = sources.map(() => new Float64Array(BLOCK));
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    sources.forEach((src, i) => src(start, end, scratch[i]!));
    fn(start, end, scratch);
  }
}

function linear(
  name: string,
  models: readonly Float32Array[],
  weights: readonly number[],
): Float32Array {
  const total = weights.reduce((s, w) => s + w, 0);
  if (Math.abs(total) < 1e-12) throw new Error(`merge linear: tensor "${name}": weights sum to 0`);
  const n = models[0]!.length;
  const out = new Float32Array(n);
  const acc = new Float64Array(BLOCK);
  for (let start = 0; start < n; start += BLOCK) {
    const len = Math.min(n, start + BLOCK) - start;
    acc.fill(0);
    models.forEach((m, i) => {
      const a = weights[i]! / total;
      for (let j = 0; j < len; j++) acc[j]! += a * m[start + j]!;
    });
    for (let j = 0; j < len; j++) out[start + j] = acc[j]!;
  }
  return out;
}

function plainDeltas(model: Float32Array, base: Float32Array): DeltaSource {
  return (start, end, into) => {
    for (let p = start; p < end; p++) into[p - start] = model[p]! - base[p]!;
  };
}

/** TIES trim: keep the ⌊density·n⌋ entries of largest |τ| (equal magnitudes in index order). */
function trimmedDeltas(model: Float32Array, base: Float32Array, density: number): DeltaSource {
  const n = base.length;
  if (density >= 1) return plainDeltas(model, base);
  const k = Math.floor(density * n);
  const magnitude = new Float64Array(n);
  for (let p = 0; p < n; p++) magnitude[p] = Math.abs(model[p]! - base[p]!);
  const { threshold, tiesAllowed } = topKThreshold(magnitude, k);
  let tiesLeft = tiesAllowed;
  return (start, end, into) => {
    for (let p = start; p < end; p++) {
      const d = model[p]! - base[p]!;
      const m = Math.abs(d);
      let keep = k > 0 && m > threshold;
      if (k > 0 && m === threshold && tiesLeft > 0) {
        keep = true;
        tiesLeft--;
      }
      into[p - start] = keep ? d : 0;
    }
  };
}

/** DARE: keep each entry with probability `density` (one 32-bit draw per entry, in order), rescaled by 1/density. */
function dareDeltas(
  model: Float32Array,
  base: Float32Array,
  density: number,
  rng: Rng,
): DeltaSource {
  const cut = dareCut(density);
  return (start, end, into) => {
    for (let p = start; p < end; p++)
      into[p - start] = rng.nextU32() < cut ? (model[p]! - base[p]!) / density : 0;
  };
}

/** P(keep) = ⌊density·2³²⌋ / 2³²: density to within 2⁻³². */
function dareCut(density: number): number {
  return Math.floor(density * 0x100000000);
}

/** The DARE keep mask of model `model` for tensor `name` (the draws mergeTensor makes): seeded, so a merge is reproducible. */
export function dareKeepMask(
  seed: number,
  name: string,
  model: number,
  n: number,
  density: number,
): Uint8Array {
  const rng = Rng.stream(seed, "merge", "dare", name, model);
  const cut = dareCut(density);
  const mask = new Uint8Array(n);
  for (let p = 0; p < n; p++) mask[p] = rng.nextU32() < cut ? 1 : 0;
  return mask;
}

/** mergekit's generalized task arithmetic: optional sign consensus ("sum") and normalisation by the kept weights. */
function combine(
  base: Float32Array,
  sources: readonly DeltaSource[],
  weights: readonly number[],
  lambda: number,
  consensus: boolean,
): Float32Array {
  const out = new Float32Array(base.length);
  const mixed = new Float64Array(BLOCK);
  const sum = new Float64Array(BLOCK);
  const divisor = new Float64Array(BLOCK);
  forEachBlock(base.length, sources, (start, end, deltas) => {
    const len = end - start;
    mixed.fill(0);
    if (!consensus) {
      deltas.forEach((d, i) => {
        const w = weights[i]!;
        for (let j = 0; j < len; j++) mixed[j]! += w * d[j]!;
      });
    } else {
      sum.fill(0);
      divisor.fill(0);
      deltas.forEach((d, i) => {
        const w = weights[i]!;
        for (let j = 0; j < len; j++) sum[j]! += w * d[j]!;
      });
      deltas.forEach((d, i) => {
        const w = weights[i]!;
        for (let j = 0; j < len; j++) {
          const wd = w * d[j]!;
          // sign(w·τ) equals the elected sign (+ when the sum is ≥ 0); a zero never agrees.
          if (sum[j]! >= 0 ? wd > 0 : wd < 0) {
            mixed[j]! += wd;
            divisor[j]! += w;
          }
        }
      });
      for (let j = 0; j < len; j++) if (divisor[j] !== 0) mixed[j]! /= divisor[j]!;
    }
    for (let j = 0; j < len; j++) out[start + j] = base[start + j]! + lambda * mixed[j]!;
  });
  return out;
}

/** The k-th largest value and how many entries equal to it top-k takes (the first ones by index). */
function topKThreshold(
  values: Float64Array,
  k: number,
): { threshold: number; tiesAllowed: number } {
  const n = values.length;
  if (k <= 0) return { threshold: Infinity, tiesAllowed: 0 };
  if (k >= n) return { threshold: -Infinity, tiesAllowed: 0 };
  const threshold = kthSmallest(Float64Array.from(values), n - k);
  let greater = 0;
  for (let p = 0; p < n; p++) if (values[p]! > threshold) greater++;
  return { threshold, tiesAllowed: k - greater };
}

/** Mask of exactly k positions holding the largest values (ties in index order). */
export function topKMask(values: Float64Array, k: number): Uint8Array {
  const n = values.length;
  const mask = new Uint8Array(n);
  if (k <= 0) return mask;
  if (k >= n) return mask.fill(1);
  const { threshold, tiesAllowed } = topKThreshold(values, k);
  let tiesLeft = tiesAllowed;
  for (let p = 0; p < n; p++) {
    if (values[p]! > threshold) mask[p] = 1;
    else if (values[p] === threshold && tiesLeft > 0) {
      mask[p] = 1;
      tiesLeft--;
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

/** SCE select step: positions kept by variance across models (all when topk ≥ 1, none when ≤ 0). */
export function sceSelectMask(
  base: Float32Array,
  models: readonly Float32Array[],
  topk: number,
): Uint8Array {
  const n = base.length;
  if (topk >= 1) return new Uint8Array(n).fill(1);
  if (topk <= 0) return new Uint8Array(n);
  const variance = new Float64Array(n);
  let nonzero = 0;
  forEachBlock(
    n,
    models.map((m) => plainDeltas(m, base)),
    (start, end, deltas) => {
      for (let j = 0; j < end - start; j++) {
        let mean = 0;
        for (const d of deltas) mean += d[j]!;
        mean /= deltas.length;
        let v = 0;
        for (const d of deltas) v += (d[j]! - mean) ** 2;
        v /= deltas.length;
        variance[start + j] = v;
        if (v !== 0) nonzero++;
      }
    },
  );
  return topKMask(variance, Math.floor(nonzero * topk));
}

function selectedDeltas(model: Float32Array, base: Float32Array, select: Uint8Array): DeltaSource {
  return (start, end, into) => {
    for (let p = start; p < end; p++) into[p - start] = select[p] ? model[p]! - base[p]! : 0;
  };
}

/** SCE model weights from the selected task vectors: mean of τ², normalised; uniform when they sum below 1e-6. */
export function sceWeights(
  base: Float32Array,
  models: readonly Float32Array[],
  select: Uint8Array,
): number[] {
  const n = base.length;
  const raw = models.map(() => 0);
  forEachBlock(
    n,
    models.map((m) => selectedDeltas(m, base, select)),
    (start, end, deltas) => {
      deltas.forEach((d, i) => {
        let s = 0;
        for (let j = 0; j < end - start; j++) s += d[j]! * d[j]!;
        raw[i]! += s;
      });
    },
  );
  const mean = raw.map((s) => (n > 0 ? s / n : 0));
  const total = mean.reduce((s, x) => s + x, 0);
  if (Math.abs(total) < 1e-6) return mean.map(() => 1 / mean.length);
  return mean.map((x) => x / total);
}

function sce(base: Float32Array, models: readonly Float32Array[], topk: number): Float32Array {
  const select = sceSelectMask(base, models, topk);
  const w = sceWeights(base, models, select);
  const out = new Float32Array(base.length);
  const sum = new Float64Array(BLOCK);
  const merged = new Float64Array(BLOCK);
  const weight = new Float64Array(BLOCK);
  forEachBlock(
    base.length,
    models.map((m) => selectedDeltas(m, base, select)),
    (start, end, deltas) => {
      const len = end - start;
      sum.fill(0);
      merged.fill(0);
      weight.fill(0);
      for (const d of deltas) for (let j = 0; j < len; j++) sum[j]! += d[j]!;
      deltas.forEach((d, i) => {
        const wi = w[i]!;
        for (let j = 0; j < len; j++) {
          const x = d[j]!;
          if (sum[j]! >= 0 ? x > 0 : x < 0) {
            merged[j]! += wi * x;
            weight[j]! += wi;
          }
        }
      });
      for (let j = 0; j < len; j++)
        out[start + j] = base[start + j]! + merged[j]! / Math.max(weight[j]!, 1e-6);
    },
  );
  return out;
}
