// Policy checkpoints as one safetensors file (issue 4): the weights under their spec names
// (transformer.ts `weightShapes`), the AdamW moments under the training state's resident
// names (`m.<weight>`, `v.<weight>`, runtime/tensor/train.ts), and in `__metadata__` the
// format version, the model config, the tokenizer id (which carries its version, e.g.
// "qlx-byte-v1") and the optimizer step. Written atomically by the safetensors writer (temp
// file + fsync + rename), so a killed run never leaves a torn checkpoint.
//
// Weights can also be imported on their own from a safetensors file (a checkpoint, or any
// file with the spec names) or from the float initializers of an ONNX model (for example a
// PyTorch `torch.onnx.export` of the same architecture; note that exporter merges initializers
// with identical values, so an untrained model whose norm gains are all 1 exports one "norm").

import { readFileSync } from "node:fs";
import { SafetensorsReader, writeSafetensors, type TensorToWrite } from "../io/safetensors.ts";
import { modelConfig, type ModelConfig } from "./config.ts";
import { readOnnxInitializers } from "./onnx-initializers.ts";
import { weightShapes } from "./transformer.ts";

export const CHECKPOINT_FORMAT = "qlx-policy-checkpoint/1";

/** Metadata keys this module writes; caller metadata may not use them. */
const RESERVED = ["format", "config", "tokenizer", "optimizer", "optimizer.step"] as const;

export interface AdamWState {
  /** Steps taken (AdamW bias correction continues from here). */
  readonly step: number;
  readonly m: ReadonlyMap<string, Float32Array>;
  readonly v: ReadonlyMap<string, Float32Array>;
}

export interface PolicyCheckpoint {
  readonly config: ModelConfig;
  /** Tokenizer id including its version (runtime/tokenizer: `byteTokenizer.id`). */
  readonly tokenizer: string;
  readonly weights: ReadonlyMap<string, Float32Array>;
  readonly optimizer?: AdamWState;
  /** Further string metadata (stage, step, run id…); reserved keys are rejected. */
  readonly metadata?: Readonly<Record<string, string>>;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function requireTensor(
  where: string,
  name: string,
  data: Float32Array | undefined,
  shape: readonly number[],
): Float32Array {
  if (!data) throw new Error(`${where}: missing tensor "${name}" [${shape.join(", ")}]`);
  if (data.length !== sizeOf(shape)) {
    throw new Error(
      `${where}: tensor "${name}" has ${data.length} values, the config needs [${shape.join(", ")}]`,
    );
  }
  return data;
}

/** A tensor of the expected shape as float32 (checkpoints must store F32; imports may be F16/BF16). */
function readChecked(
  reader: SafetensorsReader,
  name: string,
  shape: readonly number[],
  f32Only: boolean,
): Float32Array {
  if (!reader.has(name))
    throw new Error(`${reader.file}: missing tensor "${name}" [${shape.join(", ")}]`);
  const entry = reader.entry(name);
  if ((f32Only && entry.dtype !== "F32") || entry.shape.join() !== shape.join()) {
    throw new Error(
      `${reader.file}: tensor "${name}" is ${entry.dtype}[${entry.shape.join(", ")}], want ${f32Only ? "F32" : ""}[${shape.join(", ")}]`,
    );
  }
  return reader.readF32(name);
}

/** Writes `ckpt` to `file` atomically. */
export function saveCheckpoint(file: string, ckpt: PolicyCheckpoint): void {
  const where = `saveCheckpoint ${file}`;
  for (const key of Object.keys(ckpt.metadata ?? {})) {
    if ((RESERVED as readonly string[]).includes(key))
      throw new Error(`${where}: metadata key "${key}" is reserved`);
  }
  const shapes = weightShapes(ckpt.config);
  const tensors: TensorToWrite[] = shapes.map(([name, shape]) => ({
    name,
    dtype: "F32",
    shape,
    data: requireTensor(where, name, ckpt.weights.get(name), shape),
  }));
  const metadata: Record<string, string> = {
    ...ckpt.metadata,
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify(ckpt.config),
    tokenizer: ckpt.tokenizer,
  };
  const opt = ckpt.optimizer;
  if (opt) {
    if (!Number.isInteger(opt.step) || opt.step < 0)
      throw new Error(`${where}: optimizer step ${opt.step} is invalid`);
    metadata["optimizer"] = "adamw";
    metadata["optimizer.step"] = String(opt.step);
    for (const [moment, values] of [
      ["m", opt.m],
      ["v", opt.v],
    ] as const) {
      for (const [name, shape] of shapes) {
        const key = `${moment}.${name}`;
        tensors.push({
          name: key,
          dtype: "F32",
          shape,
          data: requireTensor(where, key, values.get(name), shape),
        });
      }
    }
  }
  writeSafetensors(file, tensors, metadata);
}

/** Reads a checkpoint written by `saveCheckpoint`, checking every tensor against the config. */
export function loadCheckpoint(file: string): PolicyCheckpoint {
  const reader = SafetensorsReader.open(file);
  try {
    const meta = reader.metadata;
    if (meta["format"] !== CHECKPOINT_FORMAT) {
      throw new Error(
        `${file}: not a qlx policy checkpoint (format ${JSON.stringify(meta["format"])}, want ${CHECKPOINT_FORMAT})`,
      );
    }
    const tokenizer = meta["tokenizer"];
    if (!tokenizer) throw new Error(`${file}: checkpoint metadata has no tokenizer id`);
    let config: ModelConfig;
    try {
      config = modelConfig(JSON.parse(meta["config"] ?? "null"));
    } catch (e) {
      throw new Error(`${file}: checkpoint config is invalid (${(e as Error).message})`, {
        cause: e,
      });
    }
    const shapes = weightShapes(config);
    const read = (name: string, shape: readonly number[]) => readChecked(reader, name, shape, true);
    const weights = new Map(shapes.map(([name, shape]) => [name, read(name, shape)] as const));
    let optimizer: AdamWState | undefined;
    if (meta["optimizer"] !== undefined) {
      const step = Number(meta["optimizer.step"]);
      if (meta["optimizer"] !== "adamw" || !Number.isInteger(step) || step < 0) {
        throw new Error(
          `${file}: optimizer metadata ${meta["optimizer"]} step ${meta["optimizer.step"]} is invalid`,
        );
      }
      const moments = (prefix: string) =>
        new Map(shapes.map(([name, shape]) => [name, read(`${prefix}.${name}`, shape)]));
      optimizer = { step, m: moments("m"), v: moments("v") };
    }
    const metadata = Object.fromEntries(
      Object.entries(meta).filter(([k]) => !(RESERVED as readonly string[]).includes(k)),
    );
    return { config, tokenizer, weights, optimizer, metadata };
  } finally {
    reader.close();
  }
}

/**
 * The policy weights for `config` from a safetensors file (checkpoint or plain weights) or
 * an ONNX model's initializers (`.onnx`). Every spec weight must be present with its shape;
 * other tensors (optimizer moments, shape constants) are ignored.
 */
export function loadWeights(file: string, config: ModelConfig): Map<string, Float32Array> {
  const shapes = weightShapes(config);
  const out = new Map<string, Float32Array>();
  if (file.endsWith(".onnx")) {
    const inits = readOnnxInitializers(readFileSync(file), file);
    for (const [name, shape] of shapes) {
      const t = inits.get(name);
      if (!t) throw new Error(`${file}: no initializer "${name}" [${shape.join(", ")}]`);
      if (t.dims.join() !== shape.join()) {
        throw new Error(
          `${file}: initializer "${name}" has dims [${t.dims.join(", ")}], want [${shape.join(", ")}]`,
        );
      }
      out.set(name, t.data);
    }
    return out;
  }
  const reader = SafetensorsReader.open(file);
  try {
    for (const [name, shape] of shapes) out.set(name, readChecked(reader, name, shape, false));
  } finally {
    reader.close();
  }
  return out;
}
