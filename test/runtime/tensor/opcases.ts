// One case per primitive (and broadcasting variant): the gradient-check table shared by
// the float64 finite-difference test (CPU) and the WebGPU-vs-CPU gradient comparison.

import type { Graph } from "../../../runtime/tensor/ir.ts";
import * as op from "../../../runtime/tensor/ops.ts";
import type { GradCase } from "./gradcheck.ts";

const ints = (g: Graph, values: number[], shape: number[]) =>
  g.constant(
    BigInt64Array.from(values, (v) => BigInt(v)),
    shape,
  );
const mask = (g: Graph, values: number[], shape: number[]) =>
  g.constant(Uint8Array.from(values), shape);

export const cases: GradCase[] = [
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
