import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import {
  SafetensorsReader,
  SafetensorsWriter,
  encodeHeader,
  f16ToF32,
  writeSafetensors,
} from "../../../runtime/io/safetensors.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qlx-st-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface PyTensors {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; f32: number[] }>;
}

function python(script: string, ...args: string[]): string {
  return execFileSync("/usr/bin/python3", [path.join(here, script), ...args], { encoding: "utf8" });
}

describe("safetensors reader", () => {
  it("reads a file written by PyTorch: every dtype, metadata, scalar and empty tensors", () => {
    const file = path.join(tmp, "torch.safetensors");
    const json = path.join(tmp, "torch.json");
    python("write_reference.py", file, json);
    const want = JSON.parse(fs.readFileSync(json, "utf8")) as PyTensors;
    const r = SafetensorsReader.open(file);
    try {
      expect(r.metadata).toEqual(want.metadata);
      expect(new Set(r.names())).toEqual(new Set(Object.keys(want.tensors)));
      for (const [name, t] of Object.entries(want.tensors)) {
        expect(r.entry(name).dtype).toBe(t.dtype);
        expect(r.entry(name).shape).toEqual(t.shape);
        // Every dtype converts exactly to float32 except I64 beyond 2^24, which rounds like Math.fround.
        expect(Array.from(r.readF32(name))).toEqual(t.f32.map(Math.fround));
      }
      expect(Array.from(r.read("ids.i64") as BigInt64Array)).toEqual([
        1n,
        -2n,
        3n,
        2n ** 40n,
        5n,
        -(2n ** 33n),
      ]);
    } finally {
      r.close();
    }
  });

  it("names the file and tensor in errors", () => {
    const file = path.join(tmp, "bad.safetensors");
    const header = Buffer.from(
      JSON.stringify({ w: { dtype: "F32", shape: [2, 2], data_offsets: [0, 12] } }),
    );
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    fs.writeFileSync(file, Buffer.concat([len, header, Buffer.alloc(12)]));
    expect(() => SafetensorsReader.open(file)).toThrow(
      /bad\.safetensors: tensor "w" F32\[2, 2\] needs 16 bytes/,
    );

    fs.writeFileSync(file, Buffer.concat([len, header]));
    fs.writeFileSync(
      file,
      (() => {
        const h = Buffer.from(
          JSON.stringify({ w: { dtype: "Q4", shape: [1], data_offsets: [0, 1] } }),
        );
        const l = Buffer.alloc(8);
        l.writeBigUInt64LE(BigInt(h.length));
        return Buffer.concat([l, h, Buffer.alloc(1)]);
      })(),
    );
    expect(() => SafetensorsReader.open(file)).toThrow(/tensor "w" has unsupported dtype "Q4"/);

    const ok = path.join(tmp, "ok.safetensors");
    writeSafetensors(ok, [{ name: "a", dtype: "F32", shape: [1], data: new Float32Array([1]) }]);
    const r = SafetensorsReader.open(ok);
    expect(() => r.read("b")).toThrow(/ok\.safetensors: no tensor named "b"/);
    r.close();
    fs.truncateSync(ok, 10);
    expect(() => SafetensorsReader.open(ok)).toThrow(
      /ok\.safetensors: header length \d+ is invalid/,
    );
  });

  it("converts every half-precision pattern exactly", () => {
    // Cross-check against Float32 arithmetic on the defining formula for a few known values.
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0xc000)).toBe(-2);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(f16ToF32(0x7e00))).toBe(true);
    expect(Object.is(f16ToF32(0x8000), -0)).toBe(true);
  });
});

describe("safetensors writer", () => {
  it("writes tensor by tensor and PyTorch reads back the same values and metadata", () => {
    const file = path.join(tmp, "ours.safetensors");
    const a = Float32Array.from({ length: 12 }, (_, i) => i / 3 - 1);
    const b = new Int32Array([5, -6, 7]);
    const w = SafetensorsWriter.create(
      file,
      [
        { name: "a", dtype: "F32", shape: [3, 4] },
        { name: "b", dtype: "I32", shape: [3] },
      ],
      { step: "12" },
    );
    w.write("a", a);
    expect(fs.existsSync(file)).toBe(false);
    w.write("b", b);
    w.finish();
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const got = JSON.parse(python("read_reference.py", file)) as PyTensors;
    expect(got.metadata).toEqual({ step: "12" });
    expect(got.tensors["a"]!.f32).toEqual(Array.from(a));
    expect(got.tensors["b"]!.f32).toEqual([5, -6, 7]);
    expect(got.tensors["a"]!.shape).toEqual([3, 4]);
  });

  it("rejects out-of-order, wrong-size and wrong-dtype tensors, and leaves the target untouched on abort", () => {
    const file = path.join(tmp, "abort.safetensors");
    fs.writeFileSync(file, "previous");
    const specs = [
      { name: "x", dtype: "F32" as const, shape: [2] },
      { name: "y", dtype: "F32" as const, shape: [2] },
    ];
    const w = SafetensorsWriter.create(file, specs);
    expect(() => w.write("y", new Float32Array(2))).toThrow(/expected tensor "x" next, got "y"/);
    expect(() => w.write("x", new Float32Array(3))).toThrow(
      /tensor "x" has shape \[2\] \(2 elements\), got 3 values/,
    );
    expect(() => w.write("x", new Float64Array(2))).toThrow(/declared F32 but got a Float64Array/);
    w.write("x", new Float32Array(2));
    expect(() => w.finish()).toThrow(/1 declared tensors were not written \(first: "y"\)/);
    expect(fs.readFileSync(file, "utf8")).toBe("previous");
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("pads the header so the data section is 8-byte aligned and round-trips through the reader", () => {
    for (let nameLen = 1; nameLen <= 9; nameLen++) {
      const h = encodeHeader([{ name: "n".repeat(nameLen), dtype: "F32", shape: [1] }]);
      expect(h.length % 8).toBe(0);
    }
    const file = path.join(tmp, "rt.safetensors");
    const data = new Uint16Array([0x3f80, 0xc000]); // BF16 1, -2
    writeSafetensors(file, [{ name: "h", dtype: "BF16", shape: [2], data }], { k: "v" });
    const r = SafetensorsReader.open(file);
    expect(Array.from(r.readF32("h"))).toEqual([1, -2]);
    expect(r.metadata).toEqual({ k: "v" });
    r.close();
  });
});
