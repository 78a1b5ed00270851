// Compiles emitted ONNX models into onnxruntime-node sessions and runs them.
// Facts this design rests on (notes/onnxruntime-node.md): on CPU, inputs are zero-copy and
// outputs are fresh copies, so resident state is "feed the arrays you got back last step";
// on WebGPU, outputs can stay on the device ('gpu-buffer') and be fed to the next run, and a
// device tensor must be read back through a session with CPU outputs (getData() on a
// gpu-buffer tensor aborts the process).

import * as ort from "onnxruntime-node";
import { Graph, ShapeError, scalarData, showShape, sizeOf } from "./ir.ts";
import type { DType, Shape, Tensor } from "./ir.ts";
import { toOnnx } from "./onnx.ts";
import type { OnnxModel } from "./onnx.ts";

export type Device = "cpu" | "webgpu";
export type HostArray = Float32Array | Float64Array | BigInt64Array | Uint8Array;
/** A value fed to a graph input: an ORT tensor (possibly on the GPU), a host array whose
 * length matches the declared shape, or a number for a rank-0 input. */
export type Feed = ort.Tensor | HostArray | number;

export interface CompileOptions {
  readonly device?: Device;
  /** CPU intra-op threads; ORT's default (all cores) when omitted. */
  readonly threads?: number;
  /** WebGPU only: outputs to keep on the device (fed back as inputs next step). */
  readonly deviceOutputs?: readonly string[];
}

function toOrt(dtype: DType, shape: Shape, value: HostArray | number, name: string): ort.Tensor {
  if (typeof value === "number") {
    if (shape.length !== 0) {
      throw new ShapeError(
        "run",
        `input "${name}" has shape ${showShape(shape)}; a number feeds only a scalar`,
      );
    }
    value = scalarData(value, dtype);
  }
  if (value.length !== sizeOf(shape)) {
    throw new ShapeError(
      "run",
      `input "${name}" needs ${sizeOf(shape)} values for ${showShape(shape)}, got ${value.length}`,
    );
  }
  // IR dtype names are ORT tensor type names.
  return new ort.Tensor(dtype, value as never, [...shape]);
}

export class CompiledGraph {
  private constructor(
    readonly model: OnnxModel,
    readonly device: Device,
    private readonly session: ort.InferenceSession,
  ) {}

  static async create(model: OnnxModel, options: CompileOptions = {}): Promise<CompiledGraph> {
    const device = options.device ?? "cpu";
    // Severity 3 (errors): ORT's per-session warnings (e.g. shape ops placed on the CPU
    // next to the WebGPU provider) are expected here and would flood every run's output.
    const opts: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: "all",
      logSeverityLevel: 3,
    };
    if (device === "cpu") {
      opts.executionProviders = ["cpu"];
      if (options.threads) opts.intraOpNumThreads = options.threads;
      // Spinning threads burn a second core for no speed-up on this machine class.
      opts.extra = { session: { intra_op: { allow_spinning: "0" } } };
    } else {
      opts.executionProviders = ["webgpu"];
      const onDevice = new Set(options.deviceOutputs ?? []);
      opts.preferredOutputLocation = Object.fromEntries(
        model.outputs.map((o) => [o.name, onDevice.has(o.name) ? "gpu-buffer" : "cpu"]),
      );
    }
    const session = await ort.InferenceSession.create(model.bytes, opts);
    return new CompiledGraph(model, device, session);
  }

  /** Runs the graph. Every declared input must be fed; extra feeds are ignored. */
  async run(feeds: Readonly<Record<string, Feed>>): Promise<Record<string, ort.Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const input of this.model.inputs) {
      const value = feeds[input.name];
      if (value === undefined)
        throw new ShapeError("run", `missing input "${input.name}" ${showShape(input.shape)}`);
      if (typeof value !== "number" && !ArrayBuffer.isView(value)) {
        if (
          value.dims.length !== input.shape.length ||
          value.dims.some((d, i) => d !== input.shape[i])
        ) {
          throw new ShapeError(
            "run",
            `input "${input.name}" expects ${showShape(input.shape)}, got ${showShape(value.dims)}`,
          );
        }
        ortFeeds[input.name] = value;
      } else {
        ortFeeds[input.name] = toOrt(input.dtype, input.shape, value, input.name);
      }
    }
    return this.session.run(ortFeeds);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Emits and compiles in one call. */
export async function compile(
  outputs: Readonly<Record<string, Tensor>>,
  options: CompileOptions = {},
): Promise<CompiledGraph> {
  return CompiledGraph.create(toOnnx(outputs), options);
}

/**
 * Compiled graphs keyed by a caller-chosen string (model config, shapes, variant): each
 * forward, forward+backward or optimizer graph is built and compiled once per key.
 */
export class GraphCache {
  private readonly entries = new Map<string, Promise<CompiledGraph>>();

  get(
    key: string,
    build: () => Record<string, Tensor>,
    options: CompileOptions = {},
  ): Promise<CompiledGraph> {
    const full = `${options.device ?? "cpu"}|${options.threads ?? 0}|${(options.deviceOutputs ?? []).join(",")}|${key}`;
    let entry = this.entries.get(full);
    if (!entry) {
      entry = compile(build(), options);
      this.entries.set(full, entry);
    }
    return entry;
  }

  get size(): number {
    return this.entries.size;
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) await (await e).release();
  }
}

const readers = new GraphCache();
const ORT_DTYPES: Partial<Record<string, DType>> = {
  float32: "float32",
  float64: "float64",
  int64: "int64",
  bool: "bool",
};

/**
 * Host copy of a tensor's data. A WebGPU 'gpu-buffer' tensor is read through a cached
 * Identity session with CPU output, never getData() (which aborts node on this ORT).
 */
export async function download(t: ort.Tensor): Promise<HostArray> {
  if (t.location !== "gpu-buffer") return t.data as HostArray;
  const dtype = ORT_DTYPES[t.type];
  if (!dtype) throw new ShapeError("download", `no IR dtype for a ${t.type} tensor`);
  const key = `download|${dtype}|${t.dims.join(",")}`;
  const reader = await readers.get(
    key,
    () => {
      const g = new Graph();
      return { y: g.input("x", dtype, t.dims) };
    },
    { device: "webgpu" },
  );
  const out = await reader.run({ x: t });
  return out.y!.data as HostArray;
}

export async function downloadFloat32(t: ort.Tensor): Promise<Float32Array> {
  const data = await download(t);
  if (!(data instanceof Float32Array))
    throw new ShapeError("download", `expected float32, got ${t.type}`);
  return data;
}

let webgpuProbe: Promise<string | undefined> | undefined;

/** undefined when a WebGPU adapter works here; otherwise the reason it does not. */
export function webgpuUnavailable(): Promise<string | undefined> {
  webgpuProbe ??= (async () => {
    try {
      const g = new Graph();
      const x = g.input("x", "float32", [2]);
      const c = await compile({ y: x }, { device: "webgpu" });
      await c.run({ x: Float32Array.of(1, 2) });
      await c.release();
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  })();
  return webgpuProbe;
}
