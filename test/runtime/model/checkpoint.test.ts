import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { modelConfig } from "../../../runtime/model/config.ts";
import { initWeights, weightShapes } from "../../../runtime/model/transformer.ts";
import {
  CHECKPOINT_FORMAT,
  loadCheckpoint,
  loadWeights,
  saveCheckpoint,
} from "../../../runtime/model/checkpoint.ts";
import { SafetensorsReader, writeSafetensors } from "../../../runtime/io/safetensors.ts";
import { byteTokenizer } from "../../../runtime/tokenizer/byte.ts";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "qlx-ckpt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = modelConfig({ vocab: 24, dim: 16, layers: 2, heads: 2, context: 32 });
// Distinct norm gains: fresh ones are all 1, and torch.onnx.export merges identical
// initializers into one, which would hide per-layer norms from an ONNX import.
const weights = new Map(
  [...initWeights(config, 3)].map(([name, w], k) => [
    name,
    name.endsWith("norm") ? w.map((x, i) => x + 0.01 * i + k) : w,
  ]),
);
const moments = (scale: number) =>
  new Map([...weights].map(([k, v]) => [k, v.map((x) => x * scale)]));

describe("policy checkpoints", () => {
  it("round-trips weights, AdamW state, config, tokenizer id and caller metadata", () => {
    const file = join(dir, "full.safetensors");
    saveCheckpoint(file, {
      config,
      tokenizer: byteTokenizer.id,
      weights,
      optimizer: { step: 17, m: moments(0.5), v: moments(0.25) },
      metadata: { stage: "s2" },
    });
    const back = loadCheckpoint(file);
    expect(back.config).toEqual(config);
    expect(back.tokenizer).toBe("qlx-byte-v1");
    expect(back.metadata).toEqual({ stage: "s2" });
    expect(back.optimizer?.step).toBe(17);
    for (const [name] of weightShapes(config)) {
      expect(back.weights.get(name)).toEqual(weights.get(name));
      expect(back.optimizer?.m.get(name)).toEqual(moments(0.5).get(name));
      expect(back.optimizer?.v.get(name)).toEqual(moments(0.25).get(name));
    }
    const reader = SafetensorsReader.open(file);
    expect(reader.metadata["format"]).toBe(CHECKPOINT_FORMAT);
    expect(reader.names()).toContain("m.layers.1.wq");
    reader.close();
    // Atomic write: no temp file is left beside the checkpoint.
    expect(readdirSync(dir).filter((f) => f.includes("tmp"))).toEqual([]);
  });

  it("saves weights without optimizer state", () => {
    const file = join(dir, "weights-only.safetensors");
    saveCheckpoint(file, { config, tokenizer: byteTokenizer.id, weights });
    const back = loadCheckpoint(file);
    expect(back.optimizer).toBeUndefined();
    expect(back.weights.get("output")).toEqual(weights.get("output"));
  });

  it("names the tensor when one is missing or has the wrong shape", () => {
    const partial = new Map(weights);
    partial.delete("layers.1.w2");
    expect(() =>
      saveCheckpoint(join(dir, "x.safetensors"), { config, tokenizer: "t", weights: partial }),
    ).toThrow(/missing tensor "layers\.1\.w2" \[64, 16\]/);
    expect(existsSync(join(dir, "x.safetensors"))).toBe(false);
    const file = join(dir, "bad-shape.safetensors");
    writeSafetensors(
      file,
      weightShapes(config).map(([name, shape]) => ({
        name,
        dtype: "F32",
        shape: name === "norm" ? [shape[0]! / 2, 2] : shape,
        data: weights.get(name)!,
      })),
    );
    expect(() => loadWeights(file, config)).toThrow(/tensor "norm" is F32\[8, 2\], want \[16\]/);
  });

  it("refuses a safetensors file that is not a checkpoint, and reserved metadata keys", () => {
    const file = join(dir, "plain.safetensors");
    writeSafetensors(
      file,
      weightShapes(config).map(([name, shape]) => ({
        name,
        dtype: "F32",
        shape,
        data: weights.get(name)!,
      })),
    );
    expect(() => loadCheckpoint(file)).toThrow(/not a qlx policy checkpoint/);
    // …but its weights import fine.
    expect(loadWeights(file, config).get("tok_embeddings")).toEqual(weights.get("tok_embeddings"));
    expect(() =>
      saveCheckpoint(join(dir, "y.safetensors"), {
        config,
        tokenizer: "t",
        weights,
        metadata: { config: "x" },
      }),
    ).toThrow(/reserved/);
  });

  it("imports weights from the initializers of a PyTorch ONNX export", () => {
    const st = join(dir, "for-torch.safetensors");
    saveCheckpoint(st, { config, tokenizer: byteTokenizer.id, weights });
    const onnx = join(dir, "policy.onnx");
    const req = join(dir, "export.json");
    writeFileSync(req, JSON.stringify({ mode: "export-onnx", weights: st, config, output: onnx }));
    execFileSync("/usr/bin/python3", [join(repo, "test/reference/generate.py"), req], {
      encoding: "utf8",
    });
    const loaded = loadWeights(onnx, config);
    expect(loaded.size).toBe(weightShapes(config).length);
    for (const [name, data] of weights) expect(loaded.get(name)).toEqual(data);
    expect(() => loadWeights(onnx, modelConfig({ ...config, dim: 32, heads: 2 }))).toThrow(
      /tok_embeddings/,
    );
  });
});
