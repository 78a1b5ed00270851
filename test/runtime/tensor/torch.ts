// Runs a PyTorch reference script (Debian's python3-torch via /usr/bin/python3) on tensors
// written to a temporary folder, and reads its float32 results back.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type RefInput = { data: Float32Array | BigInt64Array; shape: readonly number[] };

const referenceDir = fileURLToPath(new URL("../../reference/", import.meta.url));

export function runTorch(
  script: "model.py" | "ops.py",
  inputs: Record<string, RefInput>,
  manifest: Record<string, unknown>,
): Record<string, Float32Array> {
  const dir = mkdtempSync(join(tmpdir(), "qlx-torch-"));
  try {
    const specs: Record<string, { dtype: string; shape: readonly number[] }> = {};
    for (const [name, { data, shape }] of Object.entries(inputs)) {
      specs[name] = { dtype: data instanceof Float32Array ? "float32" : "int64", shape };
      writeFileSync(
        join(dir, `${name}.bin`),
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      );
    }
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...manifest, inputs: specs }));
    const run = spawnSync("/usr/bin/python3", [join(referenceDir, script), dir], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: "1" },
    });
    if (run.status !== 0) throw new Error(`${script} failed (${run.status}): ${run.stderr}`);
    const shapes = JSON.parse(readFileSync(join(dir, "out", "manifest.json"), "utf8")) as Record<
      string,
      number[]
    >;
    const out: Record<string, Float32Array> = {};
    for (const name of Object.keys(shapes)) {
      const bytes = readFileSync(join(dir, "out", `${name}.bin`));
      out[name] = new Float32Array(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      );
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** max |got − want| / max |want|: relative error on the tensor's scale. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / (scale || 1);
}
