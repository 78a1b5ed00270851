// Parameters and AdamW moments kept resident across training steps.
// A training-step graph reads each resident tensor X as an input and returns its update as
// output `next.X`; after a successful step the state adopts the outputs. On CPU that is a
// reference swap (ORT already copied the output once; inputs are zero-copy). On WebGPU the
// `next.*` outputs stay in GPU buffers and are fed straight back, so weights never cross
// the bus during training. A non-finite loss or gradient rejects the step: nothing is
// adopted, and the error names the step and the tensor.

import type * as ort from "onnxruntime-node";
import type { CompiledGraph, Feed } from "./session.ts";
import { downloadFloat32 } from "./session.ts";

export const nextName = (resident: string): string => `next.${resident}`;
export const momentNames = (param: string): { m: string; v: string } => ({
  m: `m.${param}`,
  v: `v.${param}`,
});

/** A compiled training step and the parameter order of its `gradSumSquares` output. */
export interface TrainGraph {
  readonly compiled: CompiledGraph;
  readonly params: readonly string[];
}

export interface AdamWHyper {
  readonly lr: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
  /** Global gradient-norm bound (default: no clipping). */
  readonly maxGradNorm?: number;
}

export interface StepResult {
  /** 1-based number of the step just taken. */
  readonly step: number;
  readonly loss: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Every other host output of the graph (per-token logp, entropy…), by name. */
  readonly outputs: Readonly<Record<string, Float32Array>>;
}

export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    readonly tensor: string,
    value: number,
  ) {
    super(`training step ${step}: ${tensor} is not finite (${value}); the update was not applied`);
    this.name = "NonFiniteError";
  }
}

function isDeviceTensor(f: Feed): f is ort.Tensor {
  return typeof f === "object" && !ArrayBuffer.isView(f) && f.location === "gpu-buffer";
}

export class TrainState {
  private readonly resident = new Map<string, Feed>();
  private completed = 0;

  /** Starts from `params` (copied) with zero AdamW moments. */
  constructor(params: ReadonlyMap<string, Float32Array>) {
    for (const [name, data] of params) {
      const { m, v } = momentNames(name);
      this.resident.set(name, Float32Array.from(data));
      this.resident.set(m, new Float32Array(data.length));
      this.resident.set(v, new Float32Array(data.length));
    }
  }

  /** Number of steps taken (drives AdamW bias correction). */
  get steps(): number {
    return this.completed;
  }

  /** Restores a step count and moments, e.g. from a checkpoint. */
  restore(
    steps: number,
    moments: { m: ReadonlyMap<string, Float32Array>; v: ReadonlyMap<string, Float32Array> },
  ): void {
    this.completed = steps;
    for (const [name, data] of moments.m)
      this.replace(momentNames(name).m, Float32Array.from(data));
    for (const [name, data] of moments.v)
      this.replace(momentNames(name).v, Float32Array.from(data));
  }

  private replace(key: string, value: Feed): void {
    const old = this.resident.get(key);
    if (old === undefined) throw new Error(`TrainState: unknown resident tensor "${key}"`);
    if (old !== value && isDeviceTensor(old)) old.dispose();
    this.resident.set(key, value);
  }

  /** Current value of a parameter or moment as a host array (downloads from the GPU). */
  async read(key: string): Promise<Float32Array> {
    const value = this.resident.get(key);
    if (value === undefined) throw new Error(`TrainState: unknown resident tensor "${key}"`);
    if (value instanceof Float32Array) return value;
    return downloadFloat32(value as ort.Tensor);
  }

  /** Resident values as graph feeds (for a forward graph sharing the same weights). After a
   * WebGPU step these are device tensors: feed them only to WebGPU sessions (a CPU session
   * reads a gpu-buffer tensor as silent NaN); use `read` for host copies. */
  feeds(): Record<string, Feed> {
    return Object.fromEntries(this.resident);
  }

  /**
   * Runs one step: feeds resident tensors, `batch` and the AdamW scalars; checks the loss and
   * gradients; adopts every `next.*` output.
   */
  async step(
    graph: TrainGraph,
    batch: Readonly<Record<string, Feed>>,
    hyper: AdamWHyper,
  ): Promise<StepResult> {
    const { loss, ...rest } = await this.advance(graph, batch, hyper, true);
    return { ...rest, loss: loss! };
  }

  /**
   * Runs an optimizer-only graph (optim.ts `buildOptimizerStep`) on gradients `grad.X`
   * computed elsewhere, e.g. summed over micro-batches.
   */
  async applyGradients(
    graph: TrainGraph,
    grads: Readonly<Record<string, Feed>>,
    hyper: AdamWHyper,
  ): Promise<Omit<StepResult, "loss">> {
    const { loss: _none, ...rest } = await this.advance(graph, grads, hyper, false);
    return rest;
  }

  private async advance(
    graph: TrainGraph,
    batch: Readonly<Record<string, Feed>>,
    hyper: AdamWHyper,
    hasLoss: boolean,
  ): Promise<Omit<StepResult, "loss"> & { loss?: number }> {
    const t = this.completed + 1;
    const beta1 = hyper.beta1 ?? 0.9;
    const beta2 = hyper.beta2 ?? 0.999;
    const scalars: Record<string, number> = {
      "opt.lr": hyper.lr,
      "opt.beta1": beta1,
      "opt.beta2": beta2,
      "opt.eps": hyper.eps ?? 1e-8,
      "opt.weightDecay": hyper.weightDecay ?? 0,
      "opt.biasCorrection1": 1 - Math.pow(beta1, t),
      "opt.biasCorrection2": 1 - Math.pow(beta2, t),
      "opt.maxGradNorm": hyper.maxGradNorm ?? Infinity,
    };
    const out = await graph.compiled.run({
      ...batch,
      ...scalars,
      ...Object.fromEntries(this.resident),
    });
    const next = Object.entries(out).filter(([name]) => name.startsWith("next."));
    const reject = (tensor: string, value: number): never => {
      for (const [, tensorOut] of next)
        if (tensorOut.location === "gpu-buffer") tensorOut.dispose();
      throw new NonFiniteError(t, tensor, value);
    };
    const loss = hasLoss ? (out.loss!.data[0] as number) : undefined;
    if (loss !== undefined && !Number.isFinite(loss)) reject("loss", loss);
    const gradNorm = out.gradNorm!.data[0] as number;
    if (!Number.isFinite(gradNorm)) {
      const squares = out.gradSumSquares!.data as Float32Array;
      const bad = squares.findIndex((s) => !Number.isFinite(s));
      reject(
        bad >= 0 ? `gradient of ${graph.params[bad]}` : "gradient norm",
        bad >= 0 ? squares[bad]! : gradNorm,
      );
    }
    const unknown = next.find(([name]) => !this.resident.has(name.slice("next.".length)));
    if (unknown)
      throw new Error(`TrainState: graph output "${unknown[0]}" updates no resident tensor`);
    for (const [name, value] of next) {
      this.replace(
        name.slice("next.".length),
        value.location === "gpu-buffer" ? value : (value.data as Float32Array),
      );
    }
    const outputs: Record<string, Float32Array> = {};
    for (const [name, value] of Object.entries(out)) {
      if (!name.startsWith("next.") && value.location !== "gpu-buffer")
        outputs[name] = value.data as Float32Array;
    }
    this.completed = t;
    return { step: t, gradNorm, outputs, ...(loss === undefined ? {} : { loss }) };
  }

  /** Frees GPU buffers held by the state. */
  dispose(): void {
    for (const value of this.resident.values()) if (isDeviceTensor(value)) value.dispose();
  }
}
