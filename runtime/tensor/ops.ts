// The closed set of primitives (STYLE.md §4, after tinygrad's UOps and micrograd's engine).
// Each op is ONE record: shape/dtype inference, ONNX emission (one node, opset 18), and its
// backward rule written in these same ops. `OPS` is typed as a mapped type over `OpKind`, so
// adding a kind without a record (or without a backward rule) fails `tsc`.
// Compositions (RMSNorm, attention, losses…) live in `nn.ts` and carry no gradient code.

import { ShapeError, isFloat, showShape } from "./ir.ts";
import type { Tensor } from "./ir.ts";
import type { DType, OpAttrs, OpKind, ReduceAttrs, Shape } from "./ir.ts";
import {
  broadcastShapes,
  inversePerm,
  normalizeAxes,
  normalizeAxis,
  reducedShape,
  resolveReshape,
  sameShape,
} from "./shapes.ts";

export type AttrValue =
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "ints"; readonly value: readonly number[] };

/** What an op's `emit` may do: add nodes and int64 vector initializers (shapes, axes). */
export interface Emitter {
  node(opType: string, inputs: readonly string[], attrs?: Record<string, AttrValue>): void;
  int64s(values: readonly number[]): string;
}

export type Meta = { dtype: DType; shape: Shape };
type Backward<K extends OpKind> = (
  grad: Tensor,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: OpAttrs[K],
) => readonly (Tensor | undefined)[];

export interface OpDef<K extends OpKind> {
  readonly arity: number | "variadic";
  infer(inputs: readonly Tensor[], attrs: OpAttrs[K]): Meta;
  emit(e: Emitter, inputs: readonly string[], attrs: OpAttrs[K], output: Tensor): void;
  /** Gradients of the inputs given the output's gradient; "none" for non-differentiable ops. */
  readonly backward: Backward<K> | "none";
}

export const ONNX_DTYPE: Record<DType, number> = { float32: 1, int64: 7, bool: 9, float64: 11 };

function sameDType(op: string, inputs: readonly Tensor[]): DType {
  const dt = inputs[0]!.dtype;
  for (const t of inputs) {
    if (t.dtype !== dt) {
      throw new ShapeError(op, `dtype mismatch: ${inputs.map((x) => x.dtype).join(" vs ")}`);
    }
  }
  return dt;
}

function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype)) throw new ShapeError(op, `needs a float input, got ${t.dtype}`);
}

const plain =
  (onnx: string) =>
  (e: Emitter, inputs: readonly string[]): void =>
    e.node(onnx, inputs);

function binaryFloat<K extends "Add" | "Sub" | "Mul" | "Div" | "Pow">(
  op: K,
  backward: Backward<K>,
): OpDef<K> {
  return {
    arity: 2,
    infer: ([a, b]) => {
      const dtype = sameDType(op, [a!, b!]);
      if (op !== "Add" && op !== "Sub" && op !== "Mul") requireFloat(op, a!);
      return { dtype, shape: broadcastShapes(op, a!.shape, b!.shape) };
    },
    emit: plain(op),
    backward,
  };
}

function unaryFloat<K extends "Neg" | "Exp" | "Log" | "Sqrt" | "Sigmoid" | "Tanh" | "Sin" | "Cos">(
  op: K,
  backward: Backward<K>,
): OpDef<K> {
  return {
    arity: 1,
    infer: ([x]) => {
      requireFloat(op, x!);
      return { dtype: x!.dtype, shape: x!.shape };
    },
    emit: plain(op),
    backward,
  };
}

function compare<K extends "Equal" | "Less" | "Greater">(op: K): OpDef<K> {
  return {
    arity: 2,
    infer: ([a, b]) => {
      sameDType(op, [a!, b!]);
      return { dtype: "bool", shape: broadcastShapes(op, a!.shape, b!.shape) };
    },
    emit: plain(op),
    backward: "none",
  };
}

function reduce<K extends "ReduceSum" | "ReduceMean" | "ReduceMax">(
  op: K,
  backward: Backward<K>,
): OpDef<K> {
  const def: OpDef<K> = {
    arity: 1,
    infer: ([x], { axes, keepdims }) => {
      if (op !== "ReduceSum") requireFloat(op, x!);
      const norm = normalizeAxes(op, axes, x!.shape);
      return { dtype: x!.dtype, shape: reducedShape(x!.shape, norm, keepdims) };
    },
    emit: (e, [x], { axes, keepdims }) =>
      e.node(op, [x!, e.int64s(axes)], { keepdims: { kind: "int", value: keepdims ? 1 : 0 } }),
    backward,
  };
  return def;
}

/** The reduced gradient reshaped so it broadcasts back over the reduced axes. */
function keepDims(g: Tensor, input: Tensor, attrs: ReduceAttrs): Tensor {
  return attrs.keepdims ? g : reshape(g, reducedShape(input.shape, attrs.axes, true));
}

function softmaxLike<K extends "Softmax" | "LogSoftmax">(op: K, backward: Backward<K>): OpDef<K> {
  const def: OpDef<K> = {
    arity: 1,
    infer: ([x], { axis }) => {
      requireFloat(op, x!);
      normalizeAxis(op, axis, x!.rank, x!.shape);
      return { dtype: x!.dtype, shape: x!.shape };
    },
    emit: (e, [x], { axis }) => e.node(op, [x!], { axis: { kind: "int", value: axis } }),
    backward,
  };
  return def;
}

export const OPS: { readonly [K in OpKind]: OpDef<K> } = {
  Add: binaryFloat("Add", (g, [a, b]) => [sumTo(g, a!.shape), sumTo(g, b!.shape)]),
  Sub: binaryFloat("Sub", (g, [a, b]) => [sumTo(g, a!.shape), sumTo(neg(g), b!.shape)]),
  Mul: binaryFloat("Mul", (g, [a, b]) => [
    sumTo(mul(g, b!), a!.shape),
    sumTo(mul(g, a!), b!.shape),
  ]),
  Div: binaryFloat("Div", (g, [a, b], y) => [
    sumTo(div(g, b!), a!.shape),
    sumTo(neg(div(mul(g, y), b!)), b!.shape),
  ]),
  // d(a^b)/da = b·a^(b-1); d(a^b)/db = a^b·ln a (only emitted when b needs a gradient).
  Pow: binaryFloat("Pow", (g, [a, b], y) => [
    sumTo(mul(g, mul(b!, pow(a!, sub(b!, 1)))), a!.shape),
    sumTo(mul(g, mul(y, log(a!))), b!.shape),
  ]),
  Neg: unaryFloat("Neg", (g) => [neg(g)]),
  Exp: unaryFloat("Exp", (g, _, y) => [mul(g, y)]),
  Log: unaryFloat("Log", (g, [x]) => [div(g, x!)]),
  Sqrt: unaryFloat("Sqrt", (g, _, y) => [div(mul(g, 0.5), y)]),
  Sigmoid: unaryFloat("Sigmoid", (g, _, y) => [mul(g, mul(y, sub(1, y)))]),
  Tanh: unaryFloat("Tanh", (g, _, y) => [mul(g, sub(1, mul(y, y)))]),
  Sin: unaryFloat("Sin", (g, [x]) => [mul(g, cos(x!))]),
  Cos: unaryFloat("Cos", (g, [x]) => [neg(mul(g, sin(x!)))]),
  MatMul: {
    arity: 2,
    infer: ([a, b]) => {
      sameDType("MatMul", [a!, b!]);
      requireFloat("MatMul", a!);
      if (a!.rank < 2 || b!.rank < 2) {
        throw new ShapeError(
          "MatMul",
          `needs rank >= 2, got ${showShape(a!.shape)} @ ${showShape(b!.shape)}`,
        );
      }
      const [m, k] = a!.shape.slice(-2) as [number, number];
      const [k2, n] = b!.shape.slice(-2) as [number, number];
      if (k !== k2) {
        throw new ShapeError(
          "MatMul",
          `inner dimensions differ: ${showShape(a!.shape)} @ ${showShape(b!.shape)}`,
        );
      }
      const batch = broadcastShapes("MatMul", a!.shape.slice(0, -2), b!.shape.slice(0, -2));
      return { dtype: a!.dtype, shape: [...batch, m, n] };
    },
    emit: plain("MatMul"),
    backward: (g, [a, b]) => {
      const da = sumTo(matmul(g, transposeLast2(b!)), a!.shape);
      // A shared weight matrix against a batched activation: fold the batch into the rows
      // so the weight gradient is one large GEMM rather than a batched GEMM plus a reduction.
      const db =
        b!.rank === 2 && a!.rank > 2
          ? matmul(
              transposeLast2(reshape(a!, [-1, a!.shape[a!.rank - 1]!])),
              reshape(g, [-1, g.shape[g.rank - 1]!]),
            )
          : sumTo(matmul(transposeLast2(a!), g), b!.shape);
      return [da, db];
    },
  },
  ReduceSum: reduce("ReduceSum", (g, [x], _, attrs) => [expand(keepDims(g, x!, attrs), x!.shape)]),
  ReduceMean: reduce("ReduceMean", (g, [x], _, attrs) => {
    const count = attrs.axes.reduce((n, a) => n * x!.shape[a]!, 1);
    return [expand(div(keepDims(g, x!, attrs), count), x!.shape)];
  }),
  // Ties share the gradient equally, so the rule is a true (sub)gradient of max.
  ReduceMax: reduce("ReduceMax", (g, [x], y, attrs) => {
    const hit = cast(equal(x!, keepDims(y, x!, attrs)), x!.dtype);
    const ties = sum(hit, attrs.axes, true);
    return [mul(div(keepDims(g, x!, attrs), ties), hit)];
  }),
  // dx = y ⊙ (g − Σ g⊙y) along the axis.
  Softmax: softmaxLike("Softmax", (g, _, y, { axis }) => [
    mul(y, sub(g, sum(mul(g, y), [axis], true))),
  ]),
  // dx = g − softmax(x) · Σ g along the axis.
  LogSoftmax: softmaxLike("LogSoftmax", (g, _, y, { axis }) => [
    sub(g, mul(exp(y), sum(g, [axis], true))),
  ]),
  Gather: {
    arity: 2,
    infer: ([data, indices]) => {
      if (indices!.dtype !== "int64") {
        throw new ShapeError("Gather", `indices must be int64, got ${indices!.dtype}`);
      }
      if (data!.rank < 1) throw new ShapeError("Gather", "data must have rank >= 1");
      return { dtype: data!.dtype, shape: [...indices!.shape, ...data!.shape.slice(1)] };
    },
    emit: (e, inputs) => e.node("Gather", inputs, { axis: { kind: "int", value: 0 } }),
    // A one-hot [rows, n] matrix times the flattened gradient: deterministic on any thread
    // count, unlike ScatterND(add), which races on 2+ CPU threads (notes/onnxruntime-node.md).
    // It materialises rows×n floats: cheap for this project's vocabularies (hundreds of
    // rows), not for a 150K-token vocabulary, which would need a different rule.
    backward: (g, [data, indices]) => {
      const rows = data!.shape[0]!;
      const flat = reshape(indices!, [1, -1]);
      const ids = data!.graph.constant(
        BigInt64Array.from({ length: rows }, (_, i) => BigInt(i)),
        [rows, 1],
      );
      const oneHot = cast(equal(ids, flat), g.dtype);
      const rest = data!.shape.slice(1);
      const g2 = reshape(g, [flat.shape[1]!, rest.reduce((n, d) => n * d, 1)]);
      return [reshape(matmul(oneHot, g2), data!.shape), undefined];
    },
  },
  Reshape: {
    arity: 1,
    infer: ([x], { shape }) => ({
      dtype: x!.dtype,
      shape: resolveReshape("Reshape", x!.shape, shape),
    }),
    emit: (e, [x], _, out) => e.node("Reshape", [x!, e.int64s(out.shape)]),
    backward: (g, [x]) => [reshape(g, x!.shape)],
  },
  Transpose: {
    arity: 1,
    infer: ([x], { perm }) => {
      const sorted = [...perm].sort((a, b) => a - b);
      if (perm.length !== x!.rank || sorted.some((p, i) => p !== i)) {
        throw new ShapeError(
          "Transpose",
          `perm [${perm.join(",")}] does not fit shape ${showShape(x!.shape)}`,
        );
      }
      return { dtype: x!.dtype, shape: perm.map((p) => x!.shape[p]!) };
    },
    emit: (e, [x], { perm }) => e.node("Transpose", [x!], { perm: { kind: "ints", value: perm } }),
    backward: (g, _, __, { perm }) => [transpose(g, inversePerm(perm))],
  },
  Slice: {
    arity: 1,
    infer: ([x], { starts, ends, axes }) => {
      const shape = [...x!.shape];
      axes.forEach((a, i) => {
        const s = starts[i]!;
        const e = ends[i]!;
        if (!(0 <= s && s <= e && e <= x!.shape[a]!)) {
          throw new ShapeError(
            "Slice",
            `range [${s}, ${e}) on axis ${a} is outside shape ${showShape(x!.shape)}`,
          );
        }
        shape[a] = e - s;
      });
      return { dtype: x!.dtype, shape };
    },
    emit: (e, [x], { starts, ends, axes }) =>
      e.node("Slice", [x!, e.int64s(starts), e.int64s(ends), e.int64s(axes)]),
    backward: (g, [x], _, { starts, ends, axes }) => {
      const begins = x!.shape.map(() => 0);
      const after = x!.shape.map(() => 0);
      axes.forEach((a, i) => {
        begins[a] = starts[i]!;
        after[a] = x!.shape[a]! - ends[i]!;
      });
      return [pad(g, begins, after)];
    },
  },
  Pad: {
    arity: 1,
    infer: ([x], { begins, ends }) => {
      if (
        begins.length !== x!.rank ||
        ends.length !== x!.rank ||
        [...begins, ...ends].some((p) => p < 0)
      ) {
        throw new ShapeError("Pad", `pads do not fit shape ${showShape(x!.shape)}`);
      }
      return { dtype: x!.dtype, shape: x!.shape.map((d, i) => d + begins[i]! + ends[i]!) };
    },
    emit: (e, [x], { begins, ends }) => e.node("Pad", [x!, e.int64s([...begins, ...ends])]),
    backward: (g, [x], _, { begins }) => [
      slice(
        g,
        begins,
        begins.map((b, i) => b + x!.shape[i]!),
        begins.map((_b, i) => i),
      ),
    ],
  },
  Concat: {
    arity: "variadic",
    infer: (inputs, { axis }) => {
      const dtype = sameDType("Concat", inputs);
      const first = inputs[0]!;
      normalizeAxis("Concat", axis, first.rank, first.shape);
      let total = 0;
      for (const t of inputs) {
        const ok =
          t.rank === first.rank && t.shape.every((d, i) => i === axis || d === first.shape[i]);
        if (!ok) {
          throw new ShapeError(
            "Concat",
            `shapes ${inputs.map((x) => showShape(x.shape)).join(", ")} differ off axis ${axis}`,
          );
        }
        total += t.shape[axis]!;
      }
      return { dtype, shape: first.shape.map((d, i) => (i === axis ? total : d)) };
    },
    emit: (e, inputs, { axis }) => e.node("Concat", inputs, { axis: { kind: "int", value: axis } }),
    backward: (g, inputs, _, { axis }) => {
      let at = 0;
      return inputs.map((t) => {
        const part = slice(g, [at], [at + t.shape[axis]!], [axis]);
        at += t.shape[axis]!;
        return part;
      });
    },
  },
  Where: {
    arity: 3,
    infer: ([c, a, b]) => {
      if (c!.dtype !== "bool")
        throw new ShapeError("Where", `condition must be bool, got ${c!.dtype}`);
      const dtype = sameDType("Where", [a!, b!]);
      const ab = broadcastShapes("Where", a!.shape, b!.shape);
      return { dtype, shape: broadcastShapes("Where", c!.shape, ab) };
    },
    emit: plain("Where"),
    backward: (g, [c, a, b]) => {
      const zero = g.graph.scalar(0, g.dtype);
      return [undefined, sumTo(where(c!, g, zero), a!.shape), sumTo(where(c!, zero, g), b!.shape)];
    },
  },
  Expand: {
    arity: 1,
    infer: ([x], { shape }) => {
      const out = broadcastShapes("Expand", x!.shape, shape);
      if (!sameShape(out, shape)) {
        throw new ShapeError(
          "Expand",
          `cannot expand ${showShape(x!.shape)} to ${showShape(shape)}`,
        );
      }
      return { dtype: x!.dtype, shape: out };
    },
    emit: (e, [x], { shape }) => e.node("Expand", [x!, e.int64s(shape)]),
    backward: (g, [x]) => [sumTo(g, x!.shape)],
  },
  Equal: compare("Equal"),
  Less: compare("Less"),
  Greater: compare("Greater"),
  Cast: {
    arity: 1,
    infer: ([x], { to }) => ({ dtype: to, shape: x!.shape }),
    emit: (e, [x], { to }) => e.node("Cast", [x!], { to: { kind: "int", value: ONNX_DTYPE[to] } }),
    backward: (g, [x]) => [isFloat(x!.dtype) ? cast(g, x!.dtype) : undefined],
  },
  // Identity forward, no gradient: used where a loss treats a value as a constant
  // (the supervised warm-up's oldLogp = logp, a clipping coefficient's denominator…).
  StopGradient: {
    arity: 1,
    infer: ([x]) => ({ dtype: x!.dtype, shape: x!.shape }),
    emit: plain("Identity"),
    backward: () => [undefined],
  },
};

/** Applies a primitive: checks the graph and arity, infers shape, appends the tensor. */
export function apply<K extends OpKind>(
  op: K,
  inputs: readonly Tensor[],
  attrs: OpAttrs[K],
): Tensor {
  const def = OPS[op] as OpDef<K>;
  const graph = inputs[0]?.graph;
  if (!graph) throw new ShapeError(op, "needs at least one input");
  for (const t of inputs) {
    if (t.graph !== graph) throw new ShapeError(op, `input ${t} belongs to another graph`);
  }
  if (def.arity !== "variadic" && def.arity !== inputs.length) {
    throw new ShapeError(op, `takes ${def.arity} inputs, got ${inputs.length}`);
  }
  const meta = def.infer(inputs, attrs);
  return graph.add(meta.dtype, meta.shape, { kind: "op", op, attrs, inputs } as never);
}

// ---- builders: the public way to create ops ----

export type Operand = Tensor | number;

function lift(x: Operand, like: Tensor): Tensor {
  return typeof x === "number" ? like.graph.scalar(x, like.dtype) : x;
}

function binary(op: "Add" | "Sub" | "Mul" | "Div" | "Pow", a: Operand, b: Operand): Tensor {
  if (typeof a === "number" && typeof b === "number") {
    throw new ShapeError(op, "needs at least one tensor operand");
  }
  const ref = (typeof a === "number" ? b : a) as Tensor;
  return apply(op, [lift(a, ref), lift(b, ref)], {});
}

export const add = (a: Operand, b: Operand): Tensor => binary("Add", a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary("Sub", a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary("Mul", a, b);
export const div = (a: Operand, b: Operand): Tensor => binary("Div", a, b);
export const pow = (a: Operand, b: Operand): Tensor => binary("Pow", a, b);
export const neg = (x: Tensor): Tensor => apply("Neg", [x], {});
export const exp = (x: Tensor): Tensor => apply("Exp", [x], {});
export const log = (x: Tensor): Tensor => apply("Log", [x], {});
export const sqrt = (x: Tensor): Tensor => apply("Sqrt", [x], {});
export const sigmoid = (x: Tensor): Tensor => apply("Sigmoid", [x], {});
export const tanh = (x: Tensor): Tensor => apply("Tanh", [x], {});
export const sin = (x: Tensor): Tensor => apply("Sin", [x], {});
export const cos = (x: Tensor): Tensor => apply("Cos", [x], {});
export const matmul = (a: Tensor, b: Tensor): Tensor => apply("MatMul", [a, b], {});

function reduceOp(
  op: "ReduceSum" | "ReduceMean" | "ReduceMax",
  x: Tensor,
  axes?: readonly number[],
  keepdims = false,
): Tensor {
  const all = axes ?? x.shape.map((_, i) => i);
  return apply(op, [x], { axes: normalizeAxes(op, all, x.shape), keepdims });
}
/** Sum over `axes` (all axes when omitted). */
export const sum = (x: Tensor, axes?: readonly number[], keepdims = false): Tensor =>
  reduceOp("ReduceSum", x, axes, keepdims);
export const mean = (x: Tensor, axes?: readonly number[], keepdims = false): Tensor =>
  reduceOp("ReduceMean", x, axes, keepdims);
export const max = (x: Tensor, axes?: readonly number[], keepdims = false): Tensor =>
  reduceOp("ReduceMax", x, axes, keepdims);

export const softmax = (x: Tensor, axis = -1): Tensor =>
  apply("Softmax", [x], { axis: normalizeAxis("Softmax", axis, x.rank, x.shape) });
export const logSoftmax = (x: Tensor, axis = -1): Tensor =>
  apply("LogSoftmax", [x], { axis: normalizeAxis("LogSoftmax", axis, x.rank, x.shape) });

/** Rows of `data` (axis 0) picked by int64 `indices`: an embedding lookup. */
export const gather = (data: Tensor, indices: Tensor): Tensor =>
  apply("Gather", [data, indices], {});

export const reshape = (x: Tensor, shape: Shape): Tensor =>
  sameShape(x.shape, shape) ? x : apply("Reshape", [x], { shape });
export const transpose = (x: Tensor, perm: readonly number[]): Tensor =>
  perm.every((p, i) => p === i) ? x : apply("Transpose", [x], { perm });
export function transposeLast2(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return transpose(x, perm);
}
/** x[starts:ends] along `axes` (step 1; non-negative, in-range bounds). */
export function slice(
  x: Tensor,
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[],
): Tensor {
  return apply("Slice", [x], {
    starts,
    ends,
    axes: axes.map((a) => normalizeAxis("Slice", a, x.rank, x.shape)),
  });
}
/** Zero padding: `begins[i]` before and `ends[i]` after dimension i. */
export const pad = (x: Tensor, begins: readonly number[], ends: readonly number[]): Tensor =>
  apply("Pad", [x], { begins, ends });
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0];
  if (!first) throw new ShapeError("Concat", "needs at least one input");
  return xs.length === 1
    ? first
    : apply("Concat", xs, { axis: normalizeAxis("Concat", axis, first.rank, first.shape) });
}
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const ref = typeof a === "number" ? (b as Tensor) : a;
  return apply("Where", [cond, lift(a, ref), lift(b, ref)], {});
}
export const expand = (x: Tensor, shape: Shape): Tensor =>
  sameShape(x.shape, shape) ? x : apply("Expand", [x], { shape });
export const equal = (a: Tensor, b: Operand): Tensor => apply("Equal", [a, lift(b, a)], {});
export const less = (a: Tensor, b: Operand): Tensor => apply("Less", [a, lift(b, a)], {});
export const greater = (a: Tensor, b: Operand): Tensor => apply("Greater", [a, lift(b, a)], {});
export const cast = (x: Tensor, to: DType): Tensor =>
  x.dtype === to ? x : apply("Cast", [x], { to });
export const stopGradient = (x: Tensor): Tensor => apply("StopGradient", [x], {});

/** Sums a broadcast gradient back down to `shape` (the inverse of numpy broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  return reshape(axes.length ? sum(g, axes, true) : g, shape);
}
