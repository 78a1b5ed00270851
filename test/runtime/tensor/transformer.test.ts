import { describe, expect, it } from "vitest";
import { Graph } from "../../../runtime/tensor/ir.ts";
import { compile } from "../../../runtime/tensor/session.ts";
import { verifyGraph } from "../../../runtime/tensor/verify.ts";
import { modelConfig } from "../../../runtime/model/config.ts";
import {
  declareWeights,
  forward,
  initWeights,
  weightShapes,
} from "../../../runtime/model/transformer.ts";
import { Rng } from "../../../runtime/rng.ts";
import { relativeError, runTorch } from "./torch.ts";
import type { RefInput } from "./torch.ts";

const config = modelConfig({ vocab: 40, dim: 32, layers: 2, heads: 4, context: 16 });
const B = 2;
const T = 7;

function batch(seed: number) {
  const rng = Rng.stream(seed, "test-batch");
  const tokens = BigInt64Array.from({ length: B * T }, () => BigInt(rng.int(config.vocab)));
  // Second sequence is left-padded by 2: its positions start at 0 after the padding.
  const positions = BigInt64Array.from({ length: B * T }, (_, i) => {
    const b = Math.floor(i / T);
    const t = i % T;
    return BigInt(b === 0 ? t : Math.max(0, t - 2));
  });
  const keyMask = BigInt64Array.from({ length: B * T }, (_, i) =>
    Math.floor(i / T) === 1 && i % T < 2 ? 0n : 1n,
  );
  return { tokens, positions, keyMask };
}

/** Weights 10× the init scale with non-trivial norm gains: every part of the block then
 * moves the logits enough for a parity test to notice a mistake in it. */
function testWeights() {
  const weights = initWeights(config, 3);
  const rng = Rng.stream(3, "test-gains");
  for (const [name, w] of weights) {
    for (let i = 0; i < w.length; i++) w[i] = name.endsWith("norm") ? 0.5 + rng.next() : w[i]! * 10;
  }
  return weights;
}

describe("transformer forward", () => {
  it("initialises deterministically per weight name with the spec's scales", () => {
    const a = initWeights(config, 7);
    const b = initWeights(config, 7);
    expect(a.get("layers.1.wq")).toEqual(b.get("layers.1.wq"));
    expect(a.get("layers.0.wq")).not.toEqual(a.get("layers.1.wq"));
    const std = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    expect(std(a.get("tok_embeddings")!)).toBeCloseTo(0.02, 2);
    expect(std(a.get("layers.0.w2")!)).toBeCloseTo(0.01, 2);
    expect([...a.get("norm")!]).toEqual(new Array(config.dim).fill(1));
    expect(weightShapes(config).map(([n]) => n)).toEqual([...a.keys()]);
  });

  it("matches the PyTorch reference logits with padding and explicit positions", async () => {
    const g = new Graph();
    const w = declareWeights(g, config);
    const tokens = g.input("tokens", "int64", [B, T]);
    const positions = g.input("positions", "int64", [B, T]);
    const keyMask = g.input("keyMask", "int64", [B, T]);
    const { logits } = forward(w, config, tokens, positions, { keyMask });
    expect(verifyGraph([logits])).toEqual([]);
    const model = await compile({ logits });
    const weights = testWeights();
    const data = batch(1);
    const out = await model.run({ ...Object.fromEntries(weights), ...data });
    const inputs: Record<string, RefInput> = {
      tokens: { data: data.tokens, shape: [B, T] },
      positions: { data: data.positions, shape: [B, T] },
      keyMask: { data: data.keyMask, shape: [B, T] },
    };
    for (const [name, shape] of weightShapes(config))
      inputs[name] = { data: weights.get(name)!, shape };
    const ref = runTorch("model.py", inputs, {
      mode: "forward",
      config,
      weights: weightShapes(config),
    });
    expect(out.logits!.dims).toEqual([B, T, config.vocab]);
    expect(relativeError(out.logits!.data as Float32Array, ref.logits!)).toBeLessThan(1e-4);
  });
});
