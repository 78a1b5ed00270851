import { describe, expect, it } from "vitest";
import { Graph, ShapeError } from "../../../runtime/tensor/ir.ts";
import type { OpKind } from "../../../runtime/tensor/ir.ts";
import * as op from "../../../runtime/tensor/ops.ts";
import { OPS } from "../../../runtime/tensor/ops.ts";
import { verifyGraph } from "../../../runtime/tensor/verify.ts";
import { gradients } from "../../../runtime/tensor/autodiff.ts";
import { compile } from "../../../runtime/tensor/session.ts";
import { gradCheck } from "./gradcheck.ts";
import { cases } from "./opcases.ts";

describe("primitive ops: gradients against float64 central differences", () => {
  const covered = new Set<string>();
  for (const c of cases) {
    it(c.name, async () => {
      for (const k of await gradCheck(c)) covered.add(k);
    });
  }
  // Not expressible as a finite-difference check: Cast through float32 loses the step, and
  // StopGradient differs from its forward derivative by design. Their rules are checked exactly.
  it("Cast passes the gradient through; StopGradient blocks it", async () => {
    const g = new Graph();
    const a = g.input("a", "float64", [3]);
    const r = g.constant(Float64Array.of(0.5, -2, 3), [3]);
    const viaCast = op.sum(op.mul(op.cast(op.cast(a, "float32"), "float64"), r));
    const blocked = op.sum(op.add(op.mul(a, a), op.stopGradient(op.exp(a))));
    const [gCast] = gradients(viaCast, [a]);
    const [gBlocked] = gradients(blocked, [a]);
    const model = await compile({ gCast: gCast!, gBlocked: gBlocked! });
    const out = await model.run({ a: Float64Array.of(1, 2, -1) });
    expect(Array.from(out.gCast!.data as Float64Array)).toEqual([0.5, -2, 3]);
    expect(Array.from(out.gBlocked!.data as Float64Array)).toEqual([2, 4, -2]);
    covered.add("Cast").add("StopGradient");
  });
  it("covers every differentiable op kind", () => {
    const differentiable = (Object.keys(OPS) as OpKind[]).filter((k) => OPS[k].backward !== "none");
    expect(differentiable.filter((k) => !covered.has(k))).toEqual([]);
  });
});

describe("shape errors and graph verification", () => {
  it("names the op and both shapes", () => {
    const g = new Graph();
    const a = g.input("a", "float32", [2, 3]);
    const b = g.input("b", "float32", [4, 5]);
    expect(() => op.matmul(a, b)).toThrow(ShapeError);
    expect(() => op.matmul(a, b)).toThrow("MatMul: inner dimensions differ: [2,3] @ [4,5]");
    expect(() => op.add(a, b)).toThrow("Add: cannot broadcast [2,3] with [4,5]");
    expect(() => op.reshape(a, [4, -1])).toThrow("Reshape: cannot reshape [2,3] to [4,-1]");
    expect(() => op.add(a, g.input("i", "int64", [3]))).toThrow(
      "Add: dtype mismatch: float32 vs int64",
    );
  });
  it("rejects inputs from another graph", () => {
    const a = new Graph().input("a", "float32", [2]);
    const b = new Graph().input("b", "float32", [2]);
    expect(() => op.add(a, b)).toThrow("belongs to another graph");
  });
  it("verifyGraph reports dangling inputs and wrong inferred shapes", () => {
    const g = new Graph();
    const a = g.input("a", "float32", [2]);
    const foreign = new Graph().input("b", "float32", [2]);
    const bad = g.add("float32", [2], { kind: "op", op: "Add", attrs: {}, inputs: [a, foreign] });
    const wrong = g.add("float32", [3], { kind: "op", op: "Exp", attrs: {}, inputs: [a] });
    const issues = verifyGraph([bad, wrong]).map((i) => i.problem);
    expect(issues).toContain("dangling: the tensor is not part of the outputs' graph");
    expect(issues).toContain("shape is [3], Exp infers [2]");
    expect(verifyGraph([op.exp(a)])).toEqual([]);
  });
});
