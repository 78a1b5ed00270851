// Reads the float initializers of an ONNX model file: the "ONNX initializer set" a policy can
// be imported from (issue 4, "load weights from safetensors or ONNX"). Only the few protobuf
// fields on the path ModelProto.graph → GraphProto.initializer → TensorProto are decoded; the
// rest of the model (nodes, opsets, value infos) is skipped by wire type, so any exporter's
// file works (PyTorch's torch.onnx.export, or qlx's own emitted graphs).
//
// Field numbers (onnx.proto3): ModelProto.graph = 7; GraphProto.initializer = 5;
// TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9,
// double_data = 10, data_location = 14 (1 = EXTERNAL).

export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

const FLOAT = 1;
const DOUBLE = 11;
const EXTERNAL = 1;

class Wire {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.bytes.length)
        throw new Error(`${this.file}: truncated varint at byte ${this.pos}`);
      const b = this.bytes[this.pos++]!;
      // Arithmetic, not bit shifts: int64 dims and lengths beyond 2^31 must survive.
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error(`${this.file}: varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** The bytes of a length-delimited field. */
  chunk(): Uint8Array {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.bytes.length)
      throw new Error(`${this.file}: field of ${len} bytes runs past the end`);
    const out = this.bytes.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.chunk();
    else if (wireType === 5) this.pos += 4;
    else
      throw new Error(
        `${this.file}: unsupported protobuf wire type ${wireType} at byte ${this.pos}`,
      );
  }

  /** Iterates (field number, wire type) over the message; the callback consumes or skips. */
  fields(visit: (field: number, wireType: number) => boolean): void {
    while (!this.done) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wireType = key & 7;
      if (!visit(field, wireType)) this.skip(wireType);
    }
  }
}

function copyFloats(bytes: Uint8Array, width: 4 | 8): Float32Array {
  const n = bytes.length / width;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++)
    out[i] = width === 4 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
  return out;
}

function readTensor(bytes: Uint8Array, file: string): OnnxInitializer | undefined {
  const w = new Wire(bytes, file);
  let name = "";
  const dims: number[] = [];
  let dataType = 0;
  let external = false;
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  w.fields((field, wireType) => {
    if (field === 1 && wireType === 0) dims.push(w.varint());
    else if (field === 1 && wireType === 2) {
      const packed = new Wire(w.chunk(), file);
      while (!packed.done) dims.push(packed.varint());
    } else if (field === 2 && wireType === 0) dataType = w.varint();
    else if (field === 8 && wireType === 2) name = new TextDecoder().decode(w.chunk());
    else if (field === 9 && wireType === 2) raw = w.chunk();
    else if (field === 4 && wireType === 2) floats.push(...copyFloats(w.chunk(), 4));
    else if (field === 10 && wireType === 2) floats.push(...copyFloats(w.chunk(), 8));
    else if (field === 14 && wireType === 0) external = w.varint() === EXTERNAL;
    else return false;
    return true;
  });
  if (dataType !== FLOAT && dataType !== DOUBLE) return undefined;
  if (external)
    throw new Error(
      `${file}: initializer "${name}" keeps its data in an external file (unsupported)`,
    );
  const data = raw ? copyFloats(raw, dataType === FLOAT ? 4 : 8) : Float32Array.from(floats);
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new Error(
      `${file}: initializer "${name}" has dims [${dims.join(", ")}] but ${data.length} values`,
    );
  }
  return { name, dims, data };
}

/**
 * The float32/float64 initializers of an ONNX model (doubles narrowed to float32), by name.
 * Integer initializers (shape vectors, axes) are not weights and are left out.
 */
export function readOnnxInitializers(
  bytes: Uint8Array,
  file = "<onnx>",
): Map<string, OnnxInitializer> {
  const out = new Map<string, OnnxInitializer>();
  const model = new Wire(bytes, file);
  model.fields((field, wireType) => {
    if (field !== 7 || wireType !== 2) return false;
    const graph = new Wire(model.chunk(), file);
    graph.fields((gField, gWire) => {
      if (gField !== 5 || gWire !== 2) return false;
      const t = readTensor(graph.chunk(), file);
      if (t) out.set(t.name, t);
      return true;
    });
    return true;
  });
  return out;
}
