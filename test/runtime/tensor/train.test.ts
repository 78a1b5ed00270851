import { describe, expect, it } from "vitest";
import { Graph } from "../../../runtime/tensor/ir.ts";
import { compile } from "../../../runtime/tensor/session.ts";
import { tokenLogProbs } from "../../../runtime/tensor/nn.ts";
import { NonFiniteError, TrainState } from "../../../runtime/tensor/train.ts";
import type { AdamWHyper } from "../../../runtime/tensor/train.ts";
import {
  buildGradients,
  buildLogProbs,
  buildModelOptimizerStep,
  compileTrainStep,
  declareWeights,
  forward,
  lossScalars,
  weightShapes,
} from "../../../runtime/model/transformer.ts";
import type { LossHyper, TrainStepOptions } from "../../../runtime/model/transformer.ts";
import { Rng } from "../../../runtime/rng.ts";
import { B, T, config, referenceInputs, testBatch, testWeights } from "./fixtures.ts";
import { relativeError, runTorch } from "./torch.ts";

const options: TrainStepOptions = {
  batch: B,
  seq: T,
  oldLogp: "input",
  klEstimator: "k3",
  keyMask: true,
};
const lossHyper: LossHyper = {
  clipLow: 0.2,
  clipHigh: 0.28,
  dualClip: 3,
  klCoef: 0.1,
  entropyCoef: 0.01,
};
const adamHyper: AdamWHyper = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
  maxGradNorm: 0.5,
};

/** The current policy's log-probs, perturbed to play the rollout and reference policies. */
async function policyBatch(weights: Map<string, Float32Array>) {
  const data = testBatch(5);
  const g = new Graph();
  const w = declareWeights(g, config);
  const tokens = g.input("tokens", "int64", [B, T]);
  const { logits } = forward(w, config, tokens, g.input("positions", "int64", [B, T]), {
    keyMask: g.input("keyMask", "int64", [B, T]),
  });
  const { logp } = tokenLogProbs(logits, g.input("targets", "int64", [B, T]));
  const out = await (await compile({ logp })).run({ ...Object.fromEntries(weights), ...data });
  const base = out.logp!.data as Float32Array;
  const rng = Rng.stream(5, "policy-batch");
  const near = () => Float32Array.from(base, (v) => v + (rng.next() - 0.5) * 0.8);
  return {
    ...data,
    weights: Float32Array.from({ length: B * T }, (_, i) =>
      data.keyMask[i] ? rng.next() / (B * T) : 0,
    ),
    advantages: Float32Array.from({ length: B * T }, () => rng.next() * 4 - 2),
    oldLogp: near(),
    refLogp: near(),
  };
}

describe("training step", () => {
  it("matches PyTorch (autograd, clip_grad_norm_, AdamW) on loss, gradients and two updates", async () => {
    const weights = testWeights(5);
    const batch = await policyBatch(weights);
    const feeds = { ...batch, ...lossScalars(lossHyper) };

    const grads = await (
      await compile(buildGradients(config, options))
    ).run({ ...Object.fromEntries(weights), ...feeds });
    const graph = await compileTrainStep(config, options);
    const state = new TrainState(weights);
    const first = await state.step(graph, feeds, adamHyper);
    await state.step(graph, feeds, adamHyper);

    const ref = runTorch("model.py", referenceInputs(weights, batch), {
      mode: "train",
      config,
      weights: weightShapes(config),
      hyper: { ...lossHyper, klEstimator: "k3", ...adamHyper, steps: 2 },
    });
    expect(first.gradNorm).toBeGreaterThan(adamHyper.maxGradNorm!); // clipping is exercised
    expect(relativeError([first.loss], ref.loss!)).toBeLessThan(1e-4);
    expect(relativeError([first.gradNorm], ref.gradNorm!)).toBeLessThan(1e-4);
    expect(relativeError(first.outputs.logp!, ref.logp!)).toBeLessThan(1e-4);
    expect(relativeError(first.outputs.entropy!, ref.entropy!)).toBeLessThan(1e-4);
    const nll = -batch.weights.reduce((acc, w, i) => acc + w * ref.logp![i]!, 0);
    expect(relativeError(first.outputs.nll!, [nll])).toBeLessThan(1e-4);
    expect(relativeError([grads.loss!.data[0] as number], ref.loss!)).toBeLessThan(1e-4);
    const scoring = await compile(buildLogProbs(config, options));
    const scored = await scoring.run({ ...Object.fromEntries(weights), ...batch, temperature: 1 });
    expect(relativeError(scored.logp!.data as Float32Array, ref.logp!)).toBeLessThan(1e-4);
    expect(relativeError(scored.entropy!.data as Float32Array, ref.entropy!)).toBeLessThan(1e-4);
    for (const [name] of weightShapes(config)) {
      expect(
        relativeError(grads[`grad.${name}`]!.data as Float32Array, ref[`grad.${name}`]!),
        `grad ${name}`,
      ).toBeLessThan(1e-4);
      for (const prefix of ["", "m.", "v."]) {
        const got = await state.read(`${prefix}${name}`);
        const want = ref[`${prefix ? prefix : "param."}${name}`]!;
        expect(relativeError(got, want), `${prefix || "param "}${name} after 2 steps`).toBeLessThan(
          1e-4,
        );
      }
    }
    expect(state.steps).toBe(2);
  });

  it("equals the fused step when gradients are accumulated over micro-batches and applied by the optimizer graph", async () => {
    const weights = testWeights(5);
    const batch = await policyBatch(weights);
    const scalars = lossScalars(lossHyper);
    const fused = new TrainState(weights);
    const fusedGraph = await compileTrainStep(config, options);
    const split = new TrainState(weights);
    const rowGrads = await compile(buildGradients(config, { ...options, batch: 1 }));
    const optimizer = {
      compiled: await compile(buildModelOptimizerStep(config)),
      params: weightShapes(config).map(([n]) => n),
    };
    const row = (r: number) =>
      Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, v.slice(r * T, (r + 1) * T)]));
    for (let step = 0; step < 2; step++) {
      const a = await fused.step(fusedGraph, { ...batch, ...scalars }, adamHyper);
      const sums: Record<string, Float32Array> = {};
      for (let r = 0; r < B; r++) {
        const out = await rowGrads.run({ ...split.feeds(), ...row(r), ...scalars });
        for (const [name] of weightShapes(config)) {
          const g = out[`grad.${name}`]!.data as Float32Array;
          const acc = (sums[`grad.${name}`] ??= new Float32Array(g.length));
          g.forEach((v, i) => (acc[i]! += v));
        }
      }
      const b = await split.applyGradients(optimizer, sums, adamHyper);
      expect(relativeError([b.gradNorm], [a.gradNorm])).toBeLessThan(1e-5);
    }
    for (const [name] of weightShapes(config)) {
      expect(relativeError(await split.read(name), await fused.read(name)), name).toBeLessThan(
        1e-5,
      );
    }
  });

  it("rejects a step with a non-finite loss or gradient, naming the step and tensor", async () => {
    const weights = testWeights(1);
    const batch = await policyBatch(weights);
    const graph = await compileTrainStep(config, options);
    const state = new TrainState(weights);
    await state.step(graph, { ...batch, ...lossScalars(lossHyper) }, adamHyper);
    const before = Float32Array.from(await state.read("layers.0.wq"));

    const nanWeights = Float32Array.from(batch.weights);
    nanWeights[3] = NaN;
    const bad = state.step(
      graph,
      { ...batch, weights: nanWeights, ...lossScalars(lossHyper) },
      adamHyper,
    );
    await expect(bad).rejects.toThrow(NonFiniteError);
    await expect(
      state.step(graph, { ...batch, weights: nanWeights, ...lossScalars(lossHyper) }, adamHyper),
    ).rejects.toThrow("training step 2: loss is not finite (NaN)");

    // Huge output weights keep the cross-entropy finite but overflow the squared gradients.
    const huge = new Map(weights);
    huge.set(
      "output",
      Float32Array.from(weights.get("output")!, (v) => v * 1e18),
    );
    const supervised = await compileTrainStep(config, { batch: B, seq: T, oldLogp: "self" });
    const blown = new TrainState(huge);
    const ones = new Float32Array(B * T).fill(1);
    const sft = { ...batch, weights: ones, advantages: ones, ...lossScalars() };
    await expect(blown.step(supervised, sft, adamHyper)).rejects.toThrow(
      /training step 1: gradient of tok_embeddings is not finite \(Infinity\)/,
    );
    expect(await state.read("layers.0.wq")).toEqual(before);
    expect(state.steps).toBe(1);
  });
});
