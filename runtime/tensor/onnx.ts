// Emits a tensor-IR graph as an ONNX ModelProto (opset 18, IR version 8), encoded with our
// own protobuf writer. Only tensors reachable from the requested outputs are emitted, so
// unused backward-rule results and unused inputs cost nothing. Field numbers follow
// onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
// ValueInfoProto, TypeProto, TensorShapeProto).

import { ShapeError } from "./ir.ts";
import type { ConstData, DType, OpKind, Shape, Tensor } from "./ir.ts";
import { ancestors } from "./autodiff.ts";
import { ONNX_DTYPE, OPS } from "./ops.ts";
import type { AttrValue, Emitter, OpDef } from "./ops.ts";
import { ProtoWriter } from "./protobuf.ts";

export const OPSET = 18;
const IR_VERSION = 8;
const ATTR_INT = 2;
const ATTR_INTS = 7;

export interface OnnxModel {
  readonly bytes: Uint8Array;
  /** Graph inputs the model reads, in declaration order, with their dtype and shape. */
  readonly inputs: readonly { name: string; dtype: DType; shape: Shape }[];
  readonly outputs: readonly { name: string; dtype: DType; shape: Shape }[];
}

function rawBytes(data: ConstData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function writeTensor(
  w: ProtoWriter,
  name: string,
  dims: Shape,
  dtype: DType,
  data: ConstData,
): void {
  for (const d of dims) w.int(1, d);
  w.int(2, ONNX_DTYPE[dtype]);
  w.string(8, name);
  w.bytes(9, rawBytes(data));
}

function writeValueInfo(w: ProtoWriter, name: string, dtype: DType, shape: Shape): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, ONNX_DTYPE[dtype]);
      tt.message(2, (sh) => {
        for (const d of shape) sh.message(1, (dim) => dim.int(1, d));
      });
    }),
  );
}

function writeAttr(w: ProtoWriter, name: string, value: AttrValue): void {
  w.string(1, name);
  if (value.kind === "int") {
    w.int(3, value.value);
    w.int(20, ATTR_INT);
  } else {
    for (const v of value.value) w.int(8, v);
    w.int(20, ATTR_INTS);
  }
}

/** The ONNX value name of a tensor inside the emitted graph. */
function valueName(t: Tensor): string {
  return t.source.kind === "input" ? t.source.name : `t${t.id}`;
}

export function toOnnx(outputs: Readonly<Record<string, Tensor>>, graphName = "qlx"): OnnxModel {
  const entries = Object.entries(outputs);
  const first = entries[0]?.[1];
  if (!first) throw new ShapeError("toOnnx", "a model needs at least one output");
  for (const [name, t] of entries) {
    if (t.graph !== first.graph)
      throw new ShapeError("toOnnx", `output "${name}" belongs to another graph`);
    if (first.graph.inputs.has(name)) {
      throw new ShapeError("toOnnx", `output "${name}" has the name of a graph input`);
    }
  }
  const order = ancestors(entries.map(([, t]) => t));
  const nodes = new ProtoWriter();
  const initializers = new ProtoWriter();
  let constCount = 0;
  let nodeCount = 0;
  let current: Tensor | undefined;

  const emitter: Emitter = {
    node(opType, inputs, attrs) {
      nodes.message(1, (n) => {
        for (const i of inputs) n.string(1, i);
        n.string(2, valueName(current!));
        n.string(3, `n${nodeCount++}`);
        n.string(4, opType);
        for (const [k, v] of Object.entries(attrs ?? {})) n.message(5, (a) => writeAttr(a, k, v));
      });
    },
    int64s(values) {
      const name = `c${constCount++}`;
      initializers.message(5, (t) =>
        writeTensor(
          t,
          name,
          [values.length],
          "int64",
          BigInt64Array.from(values, (v) => BigInt(v)),
        ),
      );
      return name;
    },
  };

  const inputs: { name: string; dtype: DType; shape: Shape }[] = [];
  for (const t of order) {
    const src = t.source;
    if (src.kind === "input") {
      inputs.push({ name: src.name, dtype: t.dtype, shape: t.shape });
    } else if (src.kind === "constant") {
      initializers.message(5, (w) => writeTensor(w, valueName(t), t.shape, t.dtype, src.data));
    } else {
      current = t;
      const def = OPS[src.op] as OpDef<OpKind>;
      def.emit(emitter, src.inputs.map(valueName), src.attrs, t);
    }
  }
  for (const [name, t] of entries) {
    nodes.message(1, (n) => {
      n.string(1, valueName(t));
      n.string(2, name);
      n.string(3, `out_${name}`);
      n.string(4, "Identity");
    });
  }

  const graph = new ProtoWriter();
  graph.raw(nodes.finish()).string(2, graphName).raw(initializers.finish());
  for (const i of inputs) graph.message(11, (w) => writeValueInfo(w, i.name, i.dtype, i.shape));
  for (const [name, t] of entries)
    graph.message(12, (w) => writeValueInfo(w, name, t.dtype, t.shape));

  const model = new ProtoWriter();
  model.int(1, IR_VERSION).string(2, "qlx");
  model.message(8, (op) => op.string(1, "").int(2, OPSET));
  model.bytes(7, graph.finish());
  return {
    bytes: model.finish(),
    inputs,
    outputs: entries.map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })),
  };
}
