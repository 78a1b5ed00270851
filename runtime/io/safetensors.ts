// Streaming safetensors IO. A file is: 8-byte little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}),
// then the raw little-endian data; offsets are relative to the first data byte.
// The reader parses the header once and reads one tensor at a time from the file descriptor,
// and the writer computes the header up front and writes tensor by tensor, so that merges and
// checkpoints hold about one tensor in memory whatever the model size. The writer writes a
// temporary file beside the target, fsyncs it and renames it into place (DESIGN.md, "The
// runtime graph": checkpoints are atomic).

import * as fs from "node:fs";
import { commitTempFile, tempPathFor } from "./atomic.ts";

export type SafetensorsDtype =
  "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** The typed array that holds a dtype's raw values (F16/BF16 as their 16-bit patterns). */
export type RawTensorData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface TensorSpec {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
}

export interface TensorEntry extends TensorSpec {
  /** Byte offsets relative to the start of the data section, as stored in the header. */
  readonly begin: number;
  readonly end: number;
}

export function dtypeBytes(dtype: SafetensorsDtype): number {
  return DTYPE_BYTES[dtype];
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isDtype(x: unknown): x is SafetensorsDtype {
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, x);
}

// A header larger than this is a corrupt length field, not a model (the reference
// implementation uses the same 100 MB limit).
const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsReader {
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in data-offset order. */
  readonly entries: readonly TensorEntry[];
  private readonly byName: Map<string, TensorEntry>;
  private fd: number | undefined;

  private constructor(
    readonly file: string,
    fd: number,
    private readonly dataStart: number,
    entries: TensorEntry[],
    metadata: Record<string, string>,
  ) {
    this.fd = fd;
    this.entries = entries;
    this.metadata = metadata;
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  /** Opens `file` and parses its header; tensor data is read only on request. */
  static open(file: string): SafetensorsReader {
    const fd = fs.openSync(file, "r");
    try {
      const size = fs.fstatSync(fd).size;
      if (size < 8)
        throw new Error(`${file}: not a safetensors file (${size} bytes, need at least 8)`);
      const lenBuf = Buffer.alloc(8);
      transferFully("read", fd, lenBuf, 0, file, "header length");
      const headerLen = Number(lenBuf.readBigUInt64LE(0));
      if (headerLen > MAX_HEADER_BYTES || 8 + headerLen > size) {
        throw new Error(
          `${file}: header length ${headerLen} is invalid for a file of ${size} bytes`,
        );
      }
      const headerBuf = Buffer.alloc(headerLen);
      transferFully("read", fd, headerBuf, 8, file, "header");
      let header: unknown;
      try {
        header = JSON.parse(headerBuf.toString("utf8"));
      } catch (e) {
        throw new Error(`${file}: header is not valid JSON (${(e as Error).message})`, {
          cause: e,
        });
      }
      if (header === null || typeof header !== "object" || Array.isArray(header)) {
        throw new Error(`${file}: header is not a JSON object`);
      }
      const dataStart = 8 + headerLen;
      const { entries, metadata } = parseHeader(
        file,
        header as Record<string, unknown>,
        size - dataStart,
      );
      return new SafetensorsReader(file, fd, dataStart, entries, metadata);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): TensorEntry {
    const e = this.byName.get(name);
    if (!e) throw new Error(`${this.file}: no tensor named "${name}"`);
    return e;
  }

  /** The tensor's values in their stored dtype (F16/BF16 as raw 16-bit patterns). */
  read(name: string): RawTensorData {
    const e = this.entry(name);
    const out = allocRaw(e.dtype, elementCount(e.shape));
    this.readInto(e, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    return out;
  }

  /** The tensor converted to float32 (floats widened/narrowed, integers cast). */
  readF32(name: string): Float32Array {
    const e = this.entry(name);
    const raw = this.read(name);
    return toF32(raw, e.dtype);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private readInto(e: TensorEntry, bytes: Uint8Array): void {
    if (this.fd === undefined)
      throw new Error(`${this.file}: reader is closed (reading tensor "${e.name}")`);
    transferFully(
      "read",
      this.fd,
      bytes,
      this.dataStart + e.begin,
      this.file,
      `tensor "${e.name}"`,
    );
  }
}

function parseHeader(
  file: string,
  header: Record<string, unknown>,
  dataBytes: number,
): { entries: TensorEntry[]; metadata: Record<string, string> } {
  const entries: TensorEntry[] = [];
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new Error(`${file}: __metadata__ must be an object of strings`);
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") throw new Error(`${file}: __metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isDtype(v?.dtype))
      throw new Error(
        `${file}: tensor "${name}" has unsupported dtype ${JSON.stringify(v?.dtype)}`,
      );
    const shape = v.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${file}: tensor "${name}" has invalid shape ${JSON.stringify(shape)}`);
    }
    const offs = v.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isInteger(o) && o >= 0)
    ) {
      throw new Error(`${file}: tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const want = elementCount(shape) * DTYPE_BYTES[v.dtype];
    if (end - begin !== want) {
      throw new Error(
        `${file}: tensor "${name}" ${v.dtype}[${shape.join(", ")}] needs ${want} bytes, data_offsets span ${end - begin}`,
      );
    }
    if (end > dataBytes) {
      throw new Error(
        `${file}: tensor "${name}" ends at byte ${end} past the data section (${dataBytes} bytes)`,
      );
    }
    entries.push({ name, dtype: v.dtype, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.begin < entries[i - 1]!.end) {
      throw new Error(
        `${file}: tensors "${entries[i - 1]!.name}" and "${entries[i]!.name}" overlap`,
      );
    }
  }
  return { entries, metadata };
}

/** Reads or writes all of `bytes` at `position`: one syscall may move fewer bytes than asked. */
function transferFully(
  io: "read" | "write",
  fd: number,
  bytes: Uint8Array,
  position: number,
  file: string,
  what: string,
): void {
  let done = 0;
  while (done < bytes.byteLength) {
    const length = bytes.byteLength - done;
    const n =
      io === "read"
        ? fs.readSync(fd, bytes, done, length, position + done)
        : fs.writeSync(fd, bytes, done, length, position + done);
    if (n <= 0)
      throw new Error(
        io === "read"
          ? `${file}: unexpected end of file reading ${what}`
          : `${file}: write of ${what} made no progress`,
      );
    done += n;
  }
}

function allocRaw(dtype: SafetensorsDtype, n: number): RawTensorData {
  switch (dtype) {
    case "F64":
      return new Float64Array(n);
    case "F32":
      return new Float32Array(n);
    case "F16":
    case "BF16":
      return new Uint16Array(n);
    case "I64":
      return new BigInt64Array(n);
    case "I32":
      return new Int32Array(n);
    case "I16":
      return new Int16Array(n);
    case "I8":
      return new Int8Array(n);
    case "U8":
    case "BOOL":
      return new Uint8Array(n);
  }
}

/** IEEE half → float: exact (every half is representable in float32). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function toF32(raw: RawTensorData, dtype: SafetensorsDtype): Float32Array {
  if (dtype === "F32") return raw as Float32Array;
  const out = new Float32Array(raw.length);
  if (dtype === "BF16") {
    // bfloat16 is the top half of a float32.
    const bits = new Uint32Array(out.buffer);
    const src = raw as Uint16Array;
    for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  } else if (dtype === "F16") {
    const src = raw as Uint16Array;
    for (let i = 0; i < src.length; i++) out[i] = f16ToF32(src[i]!);
  } else if (raw instanceof BigInt64Array) {
    for (let i = 0; i < raw.length; i++) out[i] = Number(raw[i]!);
  } else {
    out.set(raw as Exclude<RawTensorData, BigInt64Array>);
  }
  return out;
}

function dataMatchesDtype(data: RawTensorData, dtype: SafetensorsDtype): boolean {
  switch (dtype) {
    case "F64":
      return data instanceof Float64Array;
    case "F32":
      return data instanceof Float32Array;
    case "F16":
    case "BF16":
      return data instanceof Uint16Array;
    case "I64":
      return data instanceof BigInt64Array;
    case "I32":
      return data instanceof Int32Array;
    case "I16":
      return data instanceof Int16Array;
    case "I8":
      return data instanceof Int8Array;
    case "U8":
    case "BOOL":
      return data instanceof Uint8Array;
  }
}

/** The header bytes (length prefix + JSON padded with spaces to a multiple of 8) for `specs` in order. */
export function encodeHeader(
  specs: readonly TensorSpec[],
  metadata: Record<string, string> = {},
): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header["__metadata__"] = metadata;
  let offset = 0;
  for (const s of specs) {
    if (s.name === "__metadata__")
      throw new Error(`safetensors: "__metadata__" is not a valid tensor name`);
    if (s.name in header) throw new Error(`safetensors: tensor "${s.name}" is declared twice`);
    const bytes = elementCount(s.shape) * DTYPE_BYTES[s.dtype];
    header[s.name] = {
      dtype: s.dtype,
      shape: [...s.shape],
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad so that the data section starts 8-byte aligned, as the reference writer does.
  const jsonBytes = Buffer.byteLength(json, "utf8");
  json += " ".repeat((8 - (jsonBytes % 8)) % 8);
  const body = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + body.length);
  out.writeBigUInt64LE(BigInt(body.length), 0);
  body.copy(out, 8);
  return out;
}

/**
 * Writes a safetensors file tensor by tensor, in the order declared to `create`. The data goes to
 * temporary sibling file and becomes `file` only in `finish()` (fsync, rename, fsync of the
 * directory, see atomic.ts), so a crash never leaves a half-written checkpoint under the real name.
 */
export class SafetensorsWriter {
  private next = 0;
  private fd: number | undefined;
  private position: number;

  private constructor(
    readonly file: string,
    private readonly tempFile: string,
    fd: number,
    private readonly specs: readonly TensorSpec[],
    headerBytes: number,
  ) {
    this.fd = fd;
    this.position = headerBytes;
  }

  static create(
    file: string,
    specs: readonly TensorSpec[],
    metadata: Record<string, string> = {},
  ): SafetensorsWriter {
    const header = encodeHeader(specs, metadata);
    const tempFile = tempPathFor(file);
    const fd = fs.openSync(tempFile, "w");
    try {
      transferFully("write", fd, header, 0, tempFile, "header");
    } catch (e) {
      fs.closeSync(fd);
      fs.rmSync(tempFile, { force: true });
      throw e;
    }
    return new SafetensorsWriter(file, tempFile, fd, specs, header.length);
  }

  /** The tensors still to be written, in order. */
  pending(): readonly TensorSpec[] {
    return this.specs.slice(this.next);
  }

  /** Writes the next declared tensor; `name` must match the declaration order. */
  write(name: string, data: RawTensorData): void {
    if (this.fd === undefined)
      throw new Error(`${this.file}: writer is closed (writing tensor "${name}")`);
    const spec = this.specs[this.next];
    if (!spec)
      throw new Error(
        `${this.file}: tensor "${name}" was not declared (all declared tensors are written)`,
      );
    if (spec.name !== name)
      throw new Error(`${this.file}: expected tensor "${spec.name}" next, got "${name}"`);
    if (!dataMatchesDtype(data, spec.dtype)) {
      throw new Error(
        `${this.file}: tensor "${name}" is declared ${spec.dtype} but got a ${data.constructor.name}`,
      );
    }
    const n = elementCount(spec.shape);
    if (data.length !== n) {
      throw new Error(
        `${this.file}: tensor "${name}" has shape [${spec.shape.join(", ")}] (${n} elements), got ${data.length} values`,
      );
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    transferFully("write", this.fd, bytes, this.position, this.tempFile, `tensor "${name}"`);
    this.position += bytes.byteLength;
    this.next++;
  }

  /** Makes the file durable and visible under its name. */
  finish(): void {
    if (this.fd === undefined) throw new Error(`${this.file}: writer is closed`);
    if (this.next < this.specs.length) {
      const missing = this.specs.slice(this.next).map((s) => s.name);
      this.abort();
      throw new Error(
        `${this.file}: ${missing.length} declared tensors were not written (first: "${missing[0]}")`,
      );
    }
    fs.closeSync(this.fd);
    this.fd = undefined;
    commitTempFile(this.tempFile, this.file);
  }

  /** Discards the temporary file; the target file is left as it was. */
  abort(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    fs.rmSync(this.tempFile, { force: true });
  }
}

export interface TensorToWrite extends TensorSpec {
  readonly data: RawTensorData;
}

/** Writes every tensor at once (for small files such as tests and optimizer state). */
export function writeSafetensors(
  file: string,
  tensors: readonly TensorToWrite[],
  metadata: Record<string, string> = {},
): void {
  const w = SafetensorsWriter.create(file, tensors, metadata);
  try {
    for (const t of tensors) w.write(t.name, t.data);
  } catch (e) {
    w.abort();
    throw e;
  }
  w.finish();
}
