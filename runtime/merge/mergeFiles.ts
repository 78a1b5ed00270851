// Streams a merge over safetensors checkpoints: for each tensor name, read that tensor from the
// base and from every model, merge it (the ORT engine for linear/task_arithmetic, typed arrays
// for the rest: see engineMerge.ts), write it, drop it. Memory stays near one
// tensor per model whatever the model size. Floating tensors are merged and written as F32;
// integer/bool tensors (index tables and the like) must be identical in every input and are
// copied through unchanged. The output is written atomically (temp file, fsync, rename).

import {
  SafetensorsReader,
  SafetensorsWriter,
  type TensorEntry,
  type TensorSpec,
} from "../io/safetensors.ts";
import { checkMergeMethod, mergeTensor, needsBase, type MergeMethod } from "./tensorMerge.ts";
import { EngineMerger, runsOnEngine } from "./engineMerge.ts";

export interface MergeFilesOptions {
  readonly method: MergeMethod;
  /** The base checkpoint (required by every method but linear). */
  readonly base?: string;
  readonly models: readonly string[];
  readonly out: string;
  /** Extra `__metadata__` entries for the output (the merge method is always recorded). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Run linear/task_arithmetic on the typed-array reference instead of the ORT engine. */
  readonly typedArraysOnly?: boolean;
  /** ORT intra-op threads for the engine path (ORT's default when omitted). */
  readonly threads?: number;
}

export interface MergeFilesResult {
  readonly tensors: number;
  readonly mergedValues: number;
}

const FLOAT_DTYPES = new Set(["F64", "F32", "F16", "BF16"]);

export async function mergeSafetensorsFiles(opts: MergeFilesOptions): Promise<MergeFilesResult> {
  const { method } = opts;
  checkMergeMethod(method, opts.models.length);
  if (needsBase(method) && !opts.base)
    throw new Error(`merge ${method.kind}: needs a base checkpoint`);
  const readers: SafetensorsReader[] = [];
  const engine =
    runsOnEngine(method) && !opts.typedArraysOnly ? new EngineMerger(opts.threads) : undefined;
  try {
    const base = needsBase(method) ? open(opts.base!, readers) : undefined;
    const models = opts.models.map((f) => open(f, readers));
    const reference = base ?? models[0]!;
    const specs: TensorSpec[] = reference.entries.map((e) => ({
      name: e.name,
      dtype: FLOAT_DTYPES.has(e.dtype) ? "F32" : e.dtype,
      shape: e.shape,
    }));
    for (const r of [...models, ...(base ? [base] : [])]) checkSameTensors(reference, r);

    const writer = SafetensorsWriter.create(opts.out, specs, {
      ...opts.metadata,
      "qlx.merge": JSON.stringify({ ...method, models: opts.models.length }),
    });
    let mergedValues = 0;
    try {
      for (const e of reference.entries) {
        if (!FLOAT_DTYPES.has(e.dtype)) {
          writer.write(e.name, identicalRaw(e, [...models, ...(base ? [base] : [])]));
          continue;
        }
        const baseTensor = base?.readF32(e.name);
        const modelTensors = models.map((m) => m.readF32(e.name));
        const merged =
          engine && runsOnEngine(method)
            ? await engine.merge(method, e.name, baseTensor, modelTensors)
            : mergeTensor(method, e.name, baseTensor, modelTensors);
        writer.write(e.name, merged);
        mergedValues += merged.length;
      }
    } catch (err) {
      writer.abort();
      throw err;
    }
    writer.finish();
    return { tensors: specs.length, mergedValues };
  } finally {
    for (const r of readers) r.close();
    await engine?.release();
  }
}

function open(file: string, readers: SafetensorsReader[]): SafetensorsReader {
  const r = SafetensorsReader.open(file);
  readers.push(r);
  return r;
}

function checkSameTensors(reference: SafetensorsReader, other: SafetensorsReader): void {
  for (const e of reference.entries) {
    if (!other.has(e.name))
      throw new Error(
        `merge: ${other.file} has no tensor "${e.name}" (present in ${reference.file})`,
      );
    const o = other.entry(e.name);
    if (o.shape.join(",") !== e.shape.join(",")) {
      throw new Error(
        `merge: tensor "${e.name}" is [${o.shape.join(", ")}] in ${other.file} but [${e.shape.join(", ")}] in ${reference.file}`,
      );
    }
    if (FLOAT_DTYPES.has(e.dtype) !== FLOAT_DTYPES.has(o.dtype)) {
      throw new Error(
        `merge: tensor "${e.name}" is ${o.dtype} in ${other.file} but ${e.dtype} in ${reference.file}`,
      );
    }
  }
  for (const name of other.names()) {
    if (!reference.has(name))
      throw new Error(`merge: ${other.file} has tensor "${name}" that ${reference.file} lacks`);
  }
}

function identicalRaw(e: TensorEntry, readers: readonly SafetensorsReader[]) {
  const first = readers[0]!.read(e.name);
  const bytes = (x: ArrayBufferView) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  for (const r of readers.slice(1)) {
    if (!bytes(r.read(e.name)).equals(bytes(first))) {
      throw new Error(
        `merge: ${e.dtype} tensor "${e.name}" differs between ${readers[0]!.file} and ${r.file}; only floating tensors can be merged`,
      );
    }
  }
  return first;
}
