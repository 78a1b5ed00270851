import { describe, expect, it } from "vitest";
import { Graph } from "../../../runtime/tensor/ir.ts";
import { compile } from "../../../runtime/tensor/session.ts";
import { verifyGraph } from "../../../runtime/tensor/verify.ts";
import {
  buildTrainStep,
  declareWeights,
  forward,
  initWeights,
  weightShapes,
} from "../../../runtime/model/transformer.ts";
import { relativeError, runTorch } from "./torch.ts";
import { B, T, config, referenceInputs, testBatch, testWeights } from "./fixtures.ts";

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
    // compileTrainStep names gradSumSquares entries and device outputs from weightShapes.
    const step = buildTrainStep(config, { batch: 1, seq: 2, oldLogp: "self" });
    expect(step.params).toEqual([...a.keys()]);
    expect(verifyGraph(Object.values(step.outputs))).toEqual([]);
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
    const { tokens: tok, positions: pos, keyMask: mask } = testBatch(1);
    const data = { tokens: tok, positions: pos, keyMask: mask };
    const out = await model.run({ ...Object.fromEntries(weights), ...data });
    const ref = runTorch("model.py", referenceInputs(weights, data), {
      mode: "forward",
      config,
      weights: weightShapes(config),
    });
    expect(out.logits!.dims).toEqual([B, T, config.vocab]);
    expect(relativeError(out.logits!.data as Float32Array, ref.logits!)).toBeLessThan(1e-4);
  });
});
