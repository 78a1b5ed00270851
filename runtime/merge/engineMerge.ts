// Element-wise merges (linear, task_arithmetic) through the ONNX tensor engine. bench/merge.ts
// measured on a 16-core Xeon, 4M values × 3 models: ORT 7-19 ms against 130-190 ms for the
// typed-array loops (V8 does not vectorise them), i.e. the engine pays ~10× for these two, which
// are pure streaming arithmetic. The other methods stay on typed arrays: their cost is top-k
// selection and seeded per-entry draws, which the engine has no cheaper form of.
// tensorMerge.ts remains the CPU reference of the same contract; the test checks both agree.
// One graph per (method, tensor length, model count); the coefficients are fed as scalars so
// weights and λ do not multiply the compiled graphs. Float32 arithmetic (the typed-array
// reference accumulates in float64): agreement is to float32 rounding.

import { Graph, compile, op, type CompiledGraph, type Feed } from "../tensor/index.ts";
import type { MergeMethod } from "./tensorMerge.ts";

export type EngineMergeMethod = Extract<MergeMethod, { kind: "linear" | "task_arithmetic" }>;

export function runsOnEngine(method: MergeMethod): method is EngineMergeMethod {
  return method.kind === "linear" || method.kind === "task_arithmetic";
}

export class EngineMerger {
  private readonly graphs = new Map<string, Promise<CompiledGraph>>();

  constructor(private readonly threads?: number) {}

  /** linear: Σ c_i θ_i with c_i = w_i/Σw; task_arithmetic: base + Σ c_i (θ_i − base) with c_i = λ·w_i. */
  async merge(
    method: EngineMergeMethod,
    name: string,
    base: Float32Array | undefined,
    models: readonly Float32Array[],
  ): Promise<Float32Array> {
    const n = (base ?? models[0]!).length;
    const weights = method.weights ?? models.map(() => 1);
    let coefficients: number[];
    if (method.kind === "linear") {
      const total = weights.reduce((s, w) => s + w, 0);
      if (Math.abs(total) < 1e-12)
        throw new Error(`merge linear: tensor "${name}": weights sum to 0`);
      coefficients = weights.map((w) => w / total);
    } else {
      if (!base) throw new Error(`merge task_arithmetic: tensor "${name}" needs a base tensor`);
      coefficients = weights.map((w) => (method.lambda ?? 1) * w);
    }
    const feeds: Record<string, Feed> = {};
    models.forEach((m, i) => {
      if (m.length !== n)
        throw new Error(
          `merge ${method.kind}: tensor "${name}" has ${m.length} values in model ${i} but ${n} in the ${base ? "base" : "first model"}`,
        );
      feeds[`m${i}`] = m;
      feeds[`c${i}`] = coefficients[i]!;
    });
    if (method.kind === "task_arithmetic") feeds["base"] = base!;
    const graph = await this.graph(method.kind, n, models.length);
    const out = (await graph.run(feeds))["out"]!;
    return out.data as Float32Array;
  }

  async release(): Promise<void> {
    for (const g of this.graphs.values()) await (await g).release();
    this.graphs.clear();
  }

  private graph(
    kind: EngineMergeMethod["kind"],
    n: number,
    models: number,
  ): Promise<CompiledGraph> {
    const key = `${kind}/${n}/${models}`;
    let g = this.graphs.get(key);
    if (!g) {
      const graph = new Graph();
      const ms = Array.from({ length: models }, (_, i) => graph.input(`m${i}`, "float32", [n]));
      const cs = Array.from({ length: models }, (_, i) => graph.input(`c${i}`, "float32", []));
      let out;
      if (kind === "linear") {
        out = ms.map((m, i) => op.mul(m, cs[i]!)).reduce((a, b) => op.add(a, b));
      } else {
        const base = graph.input("base", "float32", [n]);
        out = op.add(
          base,
          ms.map((m, i) => op.mul(op.sub(m, base), cs[i]!)).reduce((a, b) => op.add(a, b)),
        );
      }
      g = compile({ out }, { device: "cpu", ...(this.threads ? { threads: this.threads } : {}) });
      this.graphs.set(key, g);
    }
    return g;
  }
}
