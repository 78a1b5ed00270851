import { describe, expect, it } from "vitest";
import { ProtoWriter } from "../../../runtime/tensor/protobuf.ts";
import { readOnnxInitializers } from "../../../runtime/model/onnx-initializers.ts";
import { Graph } from "../../../runtime/tensor/ir.ts";
import { matmul } from "../../../runtime/tensor/ops.ts";
import { toOnnx } from "../../../runtime/tensor/onnx.ts";

const f32Bytes = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);
const f64Bytes = (xs: number[]) => new Uint8Array(Float64Array.from(xs).buffer);
/** Packed repeated varints; values below 128 encode as one byte each. */
const packedSmall = (xs: number[]) => Uint8Array.from(xs);

/** A ModelProto whose graph holds the initializers `write` adds (field numbers from onnx.proto). */
function model(write: (graph: ProtoWriter) => void): Uint8Array {
  return new ProtoWriter()
    .int(1, 8)
    .message(7, (g) => {
      g.message(1, (node) => node.string(4, "Identity")); // a node the reader must skip
      write(g);
    })
    .finish();
}

describe("readOnnxInitializers", () => {
  it("reads raw_data, float_data, double_data and packed dims; skips integer initializers", () => {
    const bytes = model((g) => {
      g.message(5, (t) =>
        t
          .int(1, 2)
          .int(1, 2)
          .int(2, 1)
          .string(8, "raw")
          .bytes(9, f32Bytes([1, 2, 3, 4])),
      );
      g.message(5, (t) =>
        t
          .bytes(1, packedSmall([3]))
          .int(2, 1)
          .bytes(4, f32Bytes([5, 6, 7]))
          .string(8, "packed"),
      );
      g.message(5, (t) =>
        t
          .int(1, 2)
          .int(2, 11)
          .bytes(10, f64Bytes([0.5, -2]))
          .string(8, "double"),
      );
      g.message(5, (t) => t.int(1, 1).int(2, 7).bytes(9, new Uint8Array(8)).string(8, "shape"));
    });
    const inits = readOnnxInitializers(bytes);
    expect([...inits.keys()]).toEqual(["raw", "packed", "double"]);
    expect(inits.get("raw")).toEqual({
      name: "raw",
      dims: [2, 2],
      data: Float32Array.of(1, 2, 3, 4),
    });
    expect(inits.get("packed")!.dims).toEqual([3]);
    expect(inits.get("packed")!.data).toEqual(Float32Array.of(5, 6, 7));
    expect(inits.get("double")!.data).toEqual(Float32Array.of(0.5, -2));
  });

  it("names the initializer whose data does not fill its dims, and refuses external data", () => {
    const short = model((g) =>
      g.message(5, (t) =>
        t
          .int(1, 3)
          .int(2, 1)
          .string(8, "w")
          .bytes(9, f32Bytes([1, 2])),
      ),
    );
    expect(() => readOnnxInitializers(short, "m.onnx")).toThrow(
      /m\.onnx: initializer "w" has dims \[3\] but 2 values/,
    );
    const external = model((g) =>
      g.message(5, (t) => t.int(1, 1).int(2, 1).string(8, "ext").int(14, 1)),
    );
    expect(() => readOnnxInitializers(external, "m.onnx")).toThrow(
      /"ext" keeps its data in an external file/,
    );
    expect(() => readOnnxInitializers(Uint8Array.of(0x3a, 0x05, 0x01), "cut.onnx")).toThrow(
      /cut\.onnx: field of 5 bytes/,
    );
  });

  it("finds no weights in an engine graph, whose weights are inputs", () => {
    const g = new Graph();
    const y = matmul(g.input("x", "float32", [1, 2]), g.input("w", "float32", [2, 2]));
    expect(readOnnxInitializers(toOnnx({ y }).bytes).size).toBe(0);
  });
});
