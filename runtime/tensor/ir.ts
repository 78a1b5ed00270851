// The tensor IR: a lazy graph of tensors with static shapes. Every tensor is either a named
// graph input (weights, batches, hyper-parameters), a constant (shape vectors, scalars, masks)
// or the result of one primitive op from `ops.ts`. Shapes and dtypes are inferred when a
// tensor is created, so a shape mistake fails where the graph is built, naming the op and the
// shapes (STYLE.md §4: "lazy graph, realized once").

export type DType = "float32" | "float64" | "int64" | "bool";
export type FloatDType = "float32" | "float64";
export type Shape = readonly number[];

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === "float32" || dtype === "float64";
}

type NoAttrs = Record<string, never>;
export interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}

/** Attributes of each primitive. The keys are the closed set of op kinds. */
export interface OpAttrs {
  Add: NoAttrs;
  Sub: NoAttrs;
  Mul: NoAttrs;
  Div: NoAttrs;
  Pow: NoAttrs;
  Neg: NoAttrs;
  Exp: NoAttrs;
  Log: NoAttrs;
  Sqrt: NoAttrs;
  Sigmoid: NoAttrs;
  Tanh: NoAttrs;
  Sin: NoAttrs;
  Cos: NoAttrs;
  MatMul: NoAttrs;
  ReduceSum: ReduceAttrs;
  ReduceMean: ReduceAttrs;
  ReduceMax: ReduceAttrs;
  Softmax: { readonly axis: number };
  LogSoftmax: { readonly axis: number };
  Gather: NoAttrs;
  Reshape: { readonly shape: Shape };
  Transpose: { readonly perm: readonly number[] };
  Slice: {
    readonly starts: readonly number[];
    readonly ends: readonly number[];
    readonly axes: readonly number[];
  };
  Pad: { readonly begins: readonly number[]; readonly ends: readonly number[] };
  Concat: { readonly axis: number };
  Where: NoAttrs;
  Expand: { readonly shape: Shape };
  Equal: NoAttrs;
  Less: NoAttrs;
  Greater: NoAttrs;
  Cast: { readonly to: DType };
  StopGradient: NoAttrs;
}
export type OpKind = keyof OpAttrs;

export type ConstData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

export type OpApplication = { [K in OpKind]: { op: K; attrs: OpAttrs[K] } }[OpKind];

export type Source =
  | { readonly kind: "input"; readonly name: string }
  | { readonly kind: "constant"; readonly data: ConstData }
  | ({ readonly kind: "op"; readonly inputs: readonly Tensor[] } & OpApplication);

/** Thrown while building a graph: names the op and the offending shapes. */
export class ShapeError extends Error {
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(`${op}: ${message}`);
    this.name = "ShapeError";
  }
}

export function showShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly source: Source,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  toString(): string {
    const what =
      this.source.kind === "input"
        ? `input ${this.source.name}`
        : this.source.kind === "op"
          ? this.source.op
          : "constant";
    return `t${this.id}(${what} ${this.dtype}${showShape(this.shape)})`;
  }
}

/** A one-element array of `dtype` holding `value`. */
export function scalarData(value: number, dtype: DType): ConstData {
  if (dtype === "float32") return Float32Array.of(value);
  if (dtype === "float64") return Float64Array.of(value);
  if (dtype === "int64") return BigInt64Array.of(BigInt(value));
  return Uint8Array.of(value ? 1 : 0);
}

function dataDType(data: ConstData): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof BigInt64Array) return "int64";
  return "bool";
}

/** A graph under construction. Tensors are appended in creation order, a topological order. */
export class Graph {
  readonly tensors: Tensor[] = [];
  readonly inputs = new Map<string, Tensor>();
  private readonly scalars = new Map<string, Tensor>();

  /** Declares a named input (fed at run time). Names are unique within a graph. */
  input(name: string, dtype: DType, shape: Shape): Tensor {
    if (this.inputs.has(name)) throw new Error(`graph input "${name}" is declared twice`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) {
        throw new ShapeError("Input", `input "${name}" has invalid shape ${showShape(shape)}`);
      }
    }
    const t = this.add(dtype, shape, { kind: "input", name });
    this.inputs.set(name, t);
    return t;
  }

  /** A constant tensor, emitted as an ONNX initializer. */
  constant(data: ConstData, shape: Shape): Tensor {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(
        "Constant",
        `${data.length} values do not fill shape ${showShape(shape)}`,
      );
    }
    return this.add(dataDType(data), shape, { kind: "constant", data });
  }

  /** A rank-0 constant; shared per (dtype, value) so graphs do not fill with copies. */
  scalar(value: number, dtype: DType): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? "-0" : value}`;
    const cached = this.scalars.get(key);
    if (cached) return cached;
    const data = scalarData(value, dtype);
    const t = this.constant(data, []);
    this.scalars.set(key, t);
    return t;
  }

  /** Internal: used by `ops.ts` after shape inference. */
  add(dtype: DType, shape: Shape, source: Source): Tensor {
    const t = new Tensor(this, this.tensors.length, dtype, [...shape], source);
    this.tensors.push(t);
    return t;
  }
}
