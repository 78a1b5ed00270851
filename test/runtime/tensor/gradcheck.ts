// Finite-difference gradient checking in float64: the graph is emitted in double precision,
// so central differences with a small step agree with the analytic gradient to ~1e-7.

import { expect } from "vitest";
import { Graph } from "../../../runtime/tensor/ir.ts";
import type { Shape, Tensor } from "../../../runtime/tensor/ir.ts";
import { gradients } from "../../../runtime/tensor/autodiff.ts";
import { mul, sum } from "../../../runtime/tensor/ops.ts";
import { compile } from "../../../runtime/tensor/session.ts";
import { verifyGraph } from "../../../runtime/tensor/verify.ts";
import { Rng } from "../../../runtime/rng.ts";

export interface GradCase {
  readonly name: string;
  readonly shapes: readonly Shape[];
  /** Draw inputs from [0.5, 1.5] instead of [-1, 1] (log, sqrt, pow bases). */
  readonly positive?: boolean;
  readonly build: (xs: Tensor[], g: Graph) => Tensor;
}

const STEP = 1e-6;

/** Checks every input's gradient of Σ build(xs)·R (R random) against central differences. */
export async function gradCheck(c: GradCase): Promise<Set<string>> {
  const g = new Graph();
  const rng = Rng.stream(1, "gradcheck", c.name);
  const xs = c.shapes.map((s, i) => g.input(`x${i}`, "float64", s));
  const y = c.build(xs, g);
  const r = g.constant(
    Float64Array.from({ length: y.size }, () => rng.next() * 2 - 1),
    y.shape,
  );
  const f = sum(mul(y, r));
  const grads = gradients(f, xs);
  expect(verifyGraph([f, ...grads])).toEqual([]);
  const opsUsed = new Set<string>();
  for (const t of g.tensors) if (t.source.kind === "op") opsUsed.add(t.source.op);

  const outputs: Record<string, Tensor> = { f };
  grads.forEach((gr, i) => (outputs[`g${i}`] = gr));
  const model = await compile(outputs, { threads: 1 });
  const values = xs.map((x) =>
    Float64Array.from({ length: x.size }, () =>
      c.positive ? 0.5 + rng.next() : rng.next() * 2 - 1,
    ),
  );
  const feeds = () => Object.fromEntries(values.map((v, i) => [`x${i}`, Float64Array.from(v)]));
  const analytic = await model.run(feeds());
  for (let i = 0; i < xs.length; i++) {
    const got = analytic[`g${i}`]!.data as Float64Array;
    const want = new Float64Array(values[i]!.length);
    for (let j = 0; j < want.length; j++) {
      const keep = values[i]![j]!;
      values[i]![j] = keep + STEP;
      const up = (await model.run(feeds())).f!.data[0] as number;
      values[i]![j] = keep - STEP;
      const down = (await model.run(feeds())).f!.data[0] as number;
      values[i]![j] = keep;
      want[j] = (up - down) / (2 * STEP);
    }
    const scale = Math.max(1, ...Array.from(want, Math.abs));
    const err = Math.max(...Array.from(want, (w, j) => Math.abs(w - got[j]!)));
    expect(err / scale, `${c.name}: gradient of input ${i}`).toBeLessThan(1e-6);
  }
  await model.release();
  return opsUsed;
}
