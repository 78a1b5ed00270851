// The same graphs on ORT's WebGPU execution provider (llvmpipe in CI) against the CPU
// provider. Skipped only when no WebGPU adapter exists, with the reason printed.

import { describe, expect, it } from "vitest";
import { Graph } from "../../../runtime/tensor/ir.ts";
import type { Tensor } from "../../../runtime/tensor/ir.ts";
import { gradients } from "../../../runtime/tensor/autodiff.ts";
import { mul, sum } from "../../../runtime/tensor/ops.ts";
import { compile, webgpuUnavailable } from "../../../runtime/tensor/session.ts";
import { Rng } from "../../../runtime/rng.ts";
import { cases } from "./opcases.ts";
import { TrainState } from "../../../runtime/tensor/train.ts";
import {
  buildGradients,
  compileTrainStep,
  lossScalars,
} from "../../../runtime/model/transformer.ts";
import type { TrainStepOptions } from "../../../runtime/model/transformer.ts";
import { B, T, config, testBatch, testWeights } from "./fixtures.ts";
import { relativeError } from "./torch.ts";

const reason = await webgpuUnavailable();
if (reason) console.warn(`WebGPU tests skipped: ${reason}`);

// llvmpipe and the CPU provider sum in different orders; float32 agreement to 1e-4 of scale.
const TOLERANCE = 1e-4;
const options: TrainStepOptions = {
  batch: B,
  seq: T,
  oldLogp: "input",
  klEstimator: "k2",
  keyMask: true,
};

function batch() {
  const data = testBatch(9);
  const weights = Float32Array.from({ length: B * T }, (_, i) =>
    data.keyMask[i] ? 1 / (B * T) : 0,
  );
  const advantages = Float32Array.from({ length: B * T }, (_, i) => ((i * 7) % 5) - 2);
  const oldLogp = new Float32Array(B * T).fill(-3.5);
  const refLogp = new Float32Array(B * T).fill(-3.8);
  return {
    ...data,
    weights,
    advantages,
    oldLogp,
    refLogp,
    ...lossScalars({ dualClip: 3, klCoef: 0.05, entropyCoef: 0.01 }),
  };
}

/** Every op case of the CPU gradient check, in float32, as one model (one shader build). */
function allOpGradients(): {
  outputs: Record<string, Tensor>;
  feeds: Record<string, Float32Array>;
} {
  const g = new Graph();
  const rng = Rng.stream(4, "webgpu-ops");
  const outputs: Record<string, Tensor> = {};
  const feeds: Record<string, Float32Array> = {};
  cases.forEach((c, k) => {
    const xs = c.shapes.map((shape, i) => g.input(`c${k}.x${i}`, "float32", shape));
    const y = c.build(xs, g);
    const r = g.constant(
      Float32Array.from({ length: y.size }, () => rng.next() * 2 - 1),
      y.shape,
    );
    const f = sum(mul(y, r));
    outputs[`${c.name}: value`] = f;
    gradients(f, xs).forEach((gr, i) => (outputs[`${c.name}: gradient ${i}`] = gr));
    xs.forEach((x, i) => {
      feeds[`c${k}.x${i}`] = Float32Array.from({ length: x.size }, () =>
        c.positive ? 0.5 + rng.next() : rng.next() * 2 - 1,
      );
    });
  });
  return { outputs, feeds };
}

describe.skipIf(reason !== undefined)("webgpu execution provider", () => {
  it("computes every primitive's value and gradient as the CPU provider does", async () => {
    const { outputs, feeds } = allOpGradients();
    const cpu = await (await compile(outputs)).run(feeds);
    const gpu = await (await compile(outputs, { device: "webgpu" })).run(feeds);
    for (const name of Object.keys(outputs)) {
      const err = relativeError(gpu[name]!.data as Float32Array, cpu[name]!.data as Float32Array);
      expect(err, name).toBeLessThan(TOLERANCE);
    }
  });

  it("computes the same logits, loss and gradients as the CPU provider", async () => {
    const weights = Object.fromEntries(testWeights(5));
    const feeds = { ...weights, ...batch() };
    const outputs = buildGradients(config, options);
    const cpu = await (await compile(outputs)).run(feeds);
    const gpu = await (await compile(outputs, { device: "webgpu" })).run(feeds);
    for (const name of Object.keys(outputs)) {
      expect(gpu[name]!.location, name).toBe("cpu");
      const err = relativeError(gpu[name]!.data as Float32Array, cpu[name]!.data as Float32Array);
      expect(err, name).toBeLessThan(TOLERANCE);
    }
  });

  it("keeps parameters and moments on the device across steps and matches CPU training", async () => {
    const weights = testWeights(5);
    const cpuState = new TrainState(weights);
    const gpuState = new TrainState(weights);
    const cpuGraph = await compileTrainStep(config, options);
    const gpuGraph = await compileTrainStep(config, options, { device: "webgpu" });
    const hyper = { lr: 1e-3, weightDecay: 0.1, maxGradNorm: 1 };
    for (let i = 0; i < 3; i++) {
      const c = await cpuState.step(cpuGraph, batch(), hyper);
      const g = await gpuState.step(gpuGraph, batch(), hyper);
      expect(relativeError([g.loss], [c.loss])).toBeLessThan(TOLERANCE);
      expect(relativeError(g.outputs.logp!, c.outputs.logp!)).toBeLessThan(TOLERANCE);
    }
    const resident = gpuState.feeds()["layers.1.w2"] as { location?: string };
    expect(resident.location).toBe("gpu-buffer");
    for (const name of ["tok_embeddings", "layers.1.w2", "m.layers.0.wq", "v.norm"]) {
      expect(
        relativeError(await gpuState.read(name), await cpuState.read(name)),
        name,
      ).toBeLessThan(TOLERANCE);
    }
    gpuState.dispose();
  });
});
