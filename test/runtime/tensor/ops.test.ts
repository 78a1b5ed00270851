import { describe, expect, it } from "vitest";
import { Graph, ShapeError } from "../../../runtime/tensor/ir.ts";
import type { OpKind } from "../../../runtime/tensor/ir.ts";
import * as op from "../../../runtime/tensor/ops.ts";
import { OPS } from "../../../runtime/tensor/ops.ts";
import { verifyGraph } from "../../../runtime/tensor/verify.ts";
import { gradients } from "../../../runtime/tensor/autodiff.ts";
import { compile } from "../../../runtime/tensor/session.ts";
import { gradCheck } from "./gradcheck.ts";
import type { GradCase } from "./gradcheck.ts";

const ints = (g: Graph, values: number[], shape: number[]) =>
  g.constant(
    BigInt64Array.from(values, (v) => BigInt(v)),
    shape,
  );
const mask = (g: Graph, values: number[], shape: number[]) =>
  g.constant(Uint8Array.from(values), shape);

const cases: GradCase[] = [
  { name: "Add broadcast", shapes: [[2, 3], [3]], build: ([a, b]) => op.add(a!, b!) },
  {
    name: "Sub broadcast",
    shapes: [
      [2, 1],
      [2, 3],
    ],
    build: ([a, b]) => op.sub(a!, b!),
  },
  {
    name: "Mul broadcast",
    shapes: [
      [2, 3],
      [1, 3],
    ],
    build: ([a, b]) => op.mul(a!, b!),
  },
  {
    name: "Div",
    shapes: [
      [2, 3],
      [2, 3],
    ],
    positive: true,
    build: ([a, b]) => op.div(a!, b!),
  },
  { name: "Pow", shapes: [[2, 3], [3]], positive: true, build: ([a, b]) => op.pow(a!, b!) },
  { name: "Neg", shapes: [[4]], build: ([a]) => op.neg(a!) },
  { name: "Exp", shapes: [[4]], build: ([a]) => op.exp(a!) },
  { name: "Log", shapes: [[4]], positive: true, build: ([a]) => op.log(a!) },
  { name: "Sqrt", shapes: [[4]], positive: true, build: ([a]) => op.sqrt(a!) },
  { name: "Sigmoid", shapes: [[4]], build: ([a]) => op.sigmoid(a!) },
  { name: "Tanh", shapes: [[4]], build: ([a]) => op.tanh(a!) },
  { name: "Sin Cos", shapes: [[4]], build: ([a]) => op.add(op.sin(a!), op.cos(op.mul(a!, 3))) },
  {
    name: "MatMul batched broadcast",
    shapes: [
      [2, 1, 3, 4],
      [3, 4, 2],
    ],
    build: ([a, b]) => op.matmul(a!, b!),
  },
  {
    name: "MatMul shared weight",
    shapes: [
      [2, 3, 4],
      [4, 5],
    ],
    build: ([a, b]) => op.matmul(a!, b!),
  },
  { name: "ReduceSum", shapes: [[2, 3, 4]], build: ([a]) => op.sum(a!, [0, 2]) },
  { name: "ReduceMean keepdims", shapes: [[2, 3, 4]], build: ([a]) => op.mean(a!, [1], true) },
  { name: "ReduceMax", shapes: [[3, 5]], build: ([a]) => op.max(a!, [-1]) },
  { name: "Softmax", shapes: [[2, 5]], build: ([a]) => op.softmax(a!, -1) },
  { name: "LogSoftmax axis 0", shapes: [[4, 3]], build: ([a]) => op.logSoftmax(a!, 0) },
  {
    name: "Gather with repeated rows",
    shapes: [[5, 3]],
    build: ([a], g) => op.gather(a!, ints(g, [0, 4, 4, 2, 0, 4], [2, 3])),
  },
  {
    name: "Reshape",
    shapes: [[2, 6]],
    build: ([a]) => op.mul(op.reshape(a!, [3, -1]), op.reshape(a!, [3, 4])),
  },
  { name: "Transpose", shapes: [[2, 3, 4]], build: ([a]) => op.transpose(a!, [2, 0, 1]) },
  { name: "Slice", shapes: [[4, 5]], build: ([a]) => op.slice(a!, [1, 2], [3, 5], [0, 1]) },
  { name: "Pad", shapes: [[2, 3]], build: ([a]) => op.pad(a!, [1, 0], [0, 2]) },
  {
    name: "Concat",
    shapes: [
      [2, 3],
      [2, 1],
    ],
    build: ([a, b]) => op.concat([a!, b!, a!], 1),
  },
  {
    name: "Where broadcast",
    shapes: [[2, 3], [3]],
    build: ([a, b], g) => op.where(mask(g, [1, 0, 1, 0, 0, 1], [2, 3]), a!, b!),
  },
  { name: "Expand", shapes: [[3, 1]], build: ([a]) => op.expand(a!, [2, 3, 4]) },
];

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
