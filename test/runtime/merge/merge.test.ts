import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Rng } from "../../../runtime/rng.ts";
import {
  dareKeepMask,
  mergeTensor,
  topKMask,
  type MergeMethod,
} from "../../../runtime/merge/tensorMerge.ts";
import { mergeSafetensorsFiles } from "../../../runtime/merge/mergeFiles.ts";
import { EngineMerger } from "../../../runtime/merge/engineMerge.ts";
import { SafetensorsReader, writeSafetensors } from "../../../runtime/io/safetensors.ts";
import { runReference } from "../rl/reference.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qlx-merge-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function randomTensor(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

function closeF32(got: Float32Array, want: readonly number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(
      Math.abs(got[i]! - want[i]!),
      `${what} [${i}]: got ${got[i]}, want ${want[i]}`,
    ).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(want[i]!)));
  }
}

describe("merges vs PyTorch reference (mergekit semantics)", () => {
  it("match on random tensors for every method and the edge parameters", () => {
    const rng = Rng.stream(11, "merge-parity");
    const n = 20_000; // more than two blocks, so block boundaries are crossed
    const base = randomTensor(rng, n);
    const models = [0, 1, 2].map(() => Float32Array.from(base, (b) => b + rng.normal() * 0.1));
    const tiny = [0, 1].map(() => Float32Array.from(base, (b, i) => (i % 3 === 0 ? b + 1e-5 : b)));
    const methods: [MergeMethod, readonly Float32Array[]][] = [
      [{ kind: "linear" }, models],
      [{ kind: "linear", weights: [0.2, 0.5, 0.3] }, models],
      [{ kind: "task_arithmetic", weights: [0.5, 0.3, 0.7], lambda: 0.8 }, models],
      [{ kind: "ties", density: 0.3, weights: [1, 0.5, 0.8] }, models],
      [{ kind: "ties", density: 1 }, models],
      [{ kind: "dare", density: 0.6, seed: 4, weights: [0.4, 0.3, 0.3] }, models],
      [{ kind: "sce", topk: 0.1 }, models],
      [{ kind: "sce", topk: 0.5 }, models],
      [{ kind: "sce", topk: 1 }, models],
      [{ kind: "sce", topk: 0 }, models],
      [{ kind: "sce", topk: 1 }, tiny], // Σ mean τ² < 1e-6: uniform weights
    ];
    const cases = methods.map(([m, ms]) => ({
      ...m,
      base: Array.from(base),
      models: ms.map((x) => Array.from(x)),
      dareMasks:
        m.kind === "dare"
          ? ms.map((_, i) => Array.from(dareKeepMask(m.seed, "w", i, n, m.density)))
          : undefined,
    }));
    const want = runReference<number[][]>("merge.py", cases);
    methods.forEach(([m, ms], i) =>
      closeF32(mergeTensor(m, "w", base, ms), want[i]!, JSON.stringify(m)),
    );
    // sce with topk = 0 selects nothing: exactly the base tensor.
    expect(mergeTensor({ kind: "sce", topk: 0 }, "w", base, models)).toEqual(base);
  });
});

const tensorsArb = fc
  .record({ n: fc.integer({ min: 1, max: 40 }), m: fc.integer({ min: 1, max: 4 }), seed: fc.nat() })
  .map(({ n, m, seed }) => {
    const rng = Rng.stream(seed, "merge-prop");
    const base = randomTensor(rng, n);
    return {
      base,
      models: Array.from({ length: m }, () =>
        Float32Array.from(base, (b) => b + rng.normal() * 0.5),
      ),
    };
  });

const methodArb: fc.Arbitrary<MergeMethod> = fc.oneof(
  fc.constant<MergeMethod>({ kind: "linear" }),
  fc.constant<MergeMethod>({ kind: "task_arithmetic" }),
  fc
    .double({ min: 0.05, max: 1, noNaN: true })
    .map((density): MergeMethod => ({ kind: "ties", density })),
  fc
    .record({ density: fc.double({ min: 0.05, max: 1, noNaN: true }), seed: fc.nat() })
    .map((r): MergeMethod => ({ kind: "dare", ...r })),
  fc.double({ min: 0, max: 1, noNaN: true }).map((topk): MergeMethod => ({ kind: "sce", topk })),
);

describe("merge properties", () => {
  it("merging a model with copies of itself (base included) returns that model, for every method", () => {
    fc.assert(
      fc.property(tensorsArb, methodArb, ({ models }, method) => {
        const theta = models[0]!;
        const copies = models.map(() => Float32Array.from(theta));
        expect(mergeTensor(method, "t", Float32Array.from(theta), copies)).toEqual(theta);
      }),
    );
  });

  it("identical models over a different base: linear, ties(density 1) and sce(topk 1) return that model", () => {
    fc.assert(
      fc.property(tensorsArb, ({ base, models }) => {
        const theta = models[0]!;
        const copies = models.map(() => Float32Array.from(theta));
        for (const method of [
          { kind: "linear" },
          { kind: "ties", density: 1 },
          { kind: "sce", topk: 1 },
        ] as MergeMethod[]) {
          const got = mergeTensor(method, "t", base, copies);
          for (let i = 0; i < theta.length; i++) expect(got[i]).toBeCloseTo(theta[i]!, 5);
        }
      }),
    );
  });

  it("SCE with topk = 1 equals its no-selection form", () => {
    // The no-selection form written out: weights from mean squared task vectors, sum-sign election,
    // weighted mean of the agreeing task vectors.
    const noSelection = (base: Float32Array, models: readonly Float32Array[]) => {
      const tv = models.map((m) => Array.from(m, (x, i) => x - base[i]!));
      const raw = tv.map((t) => t.reduce((s, x) => s + x * x, 0) / t.length);
      const total = raw.reduce((s, x) => s + x, 0);
      const w = total < 1e-6 ? raw.map(() => 1 / raw.length) : raw.map((x) => x / total);
      return Array.from(base, (b, p) => {
        const sign = tv.reduce((s, t) => s + t[p]!, 0) >= 0 ? 1 : -1;
        let num = 0;
        let den = 0;
        tv.forEach((t, i) => {
          if (Math.sign(t[p]!) === sign) {
            num += w[i]! * t[p]!;
            den += w[i]!;
          }
        });
        return b + num / Math.max(den, 1e-6);
      });
    };
    fc.assert(
      fc.property(tensorsArb, ({ base, models }) => {
        closeF32(
          mergeTensor({ kind: "sce", topk: 1 }, "t", base, models),
          noSelection(base, models),
          "sce topk 1",
        );
      }),
    );
  });

  it("top-k selects exactly k positions, none smaller than an unselected one, ties in index order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        (xs, kRaw) => {
          const values = Float64Array.from(xs);
          const k = kRaw % (xs.length + 1);
          const mask = topKMask(values, k);
          expect(mask.reduce((s, x) => s + x, 0)).toBe(k);
          const kept = xs.filter((_, i) => mask[i]);
          const dropped = xs.filter((_, i) => !mask[i]);
          if (kept.length && dropped.length)
            expect(Math.min(...kept)).toBeGreaterThanOrEqual(Math.max(...dropped));
          // Among equal values at the threshold, earlier indices are taken first.
          const t = Math.min(...kept);
          const atT = xs.map((x, i) => [x, i] as const).filter(([x]) => x === t);
          const firstDropped = atT.findIndex(([, i]) => !mask[i]);
          if (firstDropped >= 0)
            expect(atT.slice(firstDropped).every(([, i]) => !mask[i])).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("TIES trims exactly ⌊density·n⌋ entries across block boundaries, equal magnitudes in index order", () => {
    const n = 20_000;
    const base = new Float32Array(n);
    const model = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 5) - 2); // many equal magnitudes
    const density = 0.37;
    const magnitude = Float64Array.from(model, Math.abs);
    const mask = topKMask(magnitude, Math.floor(density * n));
    expect(mergeTensor({ kind: "ties", density }, "t", base, [model])).toEqual(
      Float32Array.from(model, (x, i) => (mask[i] ? x : 0)),
    );
  });

  it("DARE is reproducible from its seed and differs between seeds, tensors and models", () => {
    const a = dareKeepMask(3, "layers.0.wq", 0, 256, 0.5);
    expect(dareKeepMask(3, "layers.0.wq", 0, 256, 0.5)).toEqual(a);
    expect(dareKeepMask(4, "layers.0.wq", 0, 256, 0.5)).not.toEqual(a);
    expect(dareKeepMask(3, "layers.0.wk", 0, 256, 0.5)).not.toEqual(a);
    expect(dareKeepMask(3, "layers.0.wq", 1, 256, 0.5)).not.toEqual(a);
    const kept = a.reduce((s, x) => s + x, 0);
    expect(kept).toBeGreaterThan(96);
    expect(kept).toBeLessThan(160);
  });
});

describe("streaming merge over safetensors files", () => {
  const shapes: Record<string, number[]> = {
    tok_embeddings: [6, 4],
    "layers.0.wq": [4, 4],
    norm: [4],
  };

  function writeModel(
    file: string,
    rng: Rng,
    base?: Record<string, Float32Array>,
  ): Record<string, Float32Array> {
    const tensors: Record<string, Float32Array> = {};
    for (const [name, shape] of Object.entries(shapes)) {
      const n = shape.reduce((a, b) => a * b, 1);
      tensors[name] = base
        ? Float32Array.from(base[name]!, (x) => x + rng.normal() * 0.1)
        : randomTensor(rng, n);
    }
    writeSafetensors(file, [
      ...Object.entries(tensors).map(([name, data]) => ({
        name,
        dtype: "F32" as const,
        shape: shapes[name]!,
        data,
      })),
      { name: "ids", dtype: "I64", shape: [3], data: new BigInt64Array([1n, 2n, 3n]) },
    ]);
    return tensors;
  }

  it("merges tensor by tensor, equal to the per-tensor merge, copying integer tensors and recording the method", async () => {
    const rng = Rng.stream(2, "files");
    const basePath = path.join(tmp, "base.safetensors");
    const base = writeModel(basePath, rng);
    const modelPaths = [0, 1].map((i) => path.join(tmp, `m${i}.safetensors`));
    const models = modelPaths.map((p) => writeModel(p, rng, base));
    const out = path.join(tmp, "merged.safetensors");
    const method: MergeMethod = { kind: "sce", topk: 0.5 };
    const r = await mergeSafetensorsFiles({ method, base: basePath, models: modelPaths, out });
    expect(r.tensors).toBe(4);
    const merged = SafetensorsReader.open(out);
    try {
      for (const name of Object.keys(shapes)) {
        expect(merged.entry(name).shape).toEqual(shapes[name]);
        expect(merged.readF32(name)).toEqual(
          mergeTensor(
            method,
            name,
            base[name]!,
            models.map((m) => m[name]!),
          ),
        );
      }
      expect(Array.from(merged.read("ids") as BigInt64Array)).toEqual([1n, 2n, 3n]);
      expect(JSON.parse(merged.metadata["qlx.merge"]!)).toEqual({
        kind: "sce",
        topk: 0.5,
        models: 2,
      });
    } finally {
      merged.close();
    }
  });

  it("runs linear and task_arithmetic on the ORT engine, agreeing with the typed-array reference", async () => {
    const rng = Rng.stream(4, "files");
    const basePath = path.join(tmp, "ebase.safetensors");
    const base = writeModel(basePath, rng);
    const modelPaths = [0, 1, 2].map((i) => path.join(tmp, `em${i}.safetensors`));
    modelPaths.forEach((p) => writeModel(p, rng, base));
    for (const method of [
      { kind: "linear", weights: [0.5, 0.2, 0.3] },
      { kind: "task_arithmetic", weights: [0.6, 0.3, 0.9], lambda: 0.7 },
    ] as MergeMethod[]) {
      const viaEngine = path.join(tmp, "engine.safetensors");
      const viaTyped = path.join(tmp, "typed.safetensors");
      await mergeSafetensorsFiles({
        method,
        base: basePath,
        models: modelPaths,
        out: viaEngine,
        threads: 1,
      });
      await mergeSafetensorsFiles({
        method,
        base: basePath,
        models: modelPaths,
        out: viaTyped,
        typedArraysOnly: true,
      });
      const a = SafetensorsReader.open(viaEngine);
      const b = SafetensorsReader.open(viaTyped);
      for (const name of Object.keys(shapes))
        closeF32(a.readF32(name), Array.from(b.readF32(name)), `${method.kind} ${name}`);
      a.close();
      b.close();
    }
    const engine = new EngineMerger(1);
    const big = randomTensor(rng, 20_000);
    const others = [1, 2].map(() => Float32Array.from(big, (x) => x + rng.normal() * 0.1));
    closeF32(
      await engine.merge({ kind: "task_arithmetic" }, "w", big, others),
      Array.from(mergeTensor({ kind: "task_arithmetic" }, "w", big, others)),
      "engine task_arithmetic",
    );
    await engine.release();
  });

  it("names the file and tensor when checkpoints do not line up", async () => {
    const rng = Rng.stream(3, "files");
    const a = path.join(tmp, "a.safetensors");
    const b = path.join(tmp, "b.safetensors");
    writeModel(a, rng);
    writeSafetensors(b, [
      { name: "tok_embeddings", dtype: "F32", shape: [4, 6], data: new Float32Array(24) },
    ]);
    const out = path.join(tmp, "bad.safetensors");
    await expect(
      mergeSafetensorsFiles({ method: { kind: "linear" }, models: [a, b], out }),
    ).rejects.toThrow(
      /tensor "tok_embeddings" is \[4, 6\] in .*b\.safetensors but \[6, 4\] in .*a\.safetensors/,
    );
    await expect(
      mergeSafetensorsFiles({ method: { kind: "ties", density: 0.5 }, models: [a], out }),
    ).rejects.toThrow(/merge ties: needs a base checkpoint/);
    await expect(
      mergeSafetensorsFiles({ method: { kind: "linear", weights: [1, 2] }, models: [a], out }),
    ).rejects.toThrow(/2 weights for 1 models/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
