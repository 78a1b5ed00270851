// The qlx side of `npm run bench -- engine`: SGEMM through ORT, one training step of the
// policy (forward, PPO loss, backward, grad clipping, AdamW: transformer.ts
// compileTrainStep + TrainState) and a KV-cache rollout (generate.ts). Each measurement
// builds its inputs from seeded streams, so repeated runs time the same work.

import * as ort from "onnxruntime-node";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../runtime/rng.ts";
import { Graph } from "../../runtime/tensor/ir.ts";
import { matmul } from "../../runtime/tensor/ops.ts";
import { CompiledGraph, compile, type Feed } from "../../runtime/tensor/session.ts";
import { TrainState } from "../../runtime/tensor/train.ts";
import type { ModelConfig } from "../../runtime/model/config.ts";
import { compileTrainStep, initWeights, lossScalars } from "../../runtime/model/transformer.ts";
import { PolicyGenerator } from "../../runtime/model/generate.ts";
import { buildDecode, decodeWeights } from "../../runtime/model/decode-graphs.ts";
import { toOnnx, type OnnxModel } from "../../runtime/tensor/onnx.ts";
import { TokenSampler, type SamplingDistribution } from "../../runtime/model/sampling.ts";

export interface TrainCase {
  readonly config: ModelConfig;
  readonly batch: number;
  readonly warmup: number;
  readonly steps: number;
}

export interface RolloutCase {
  readonly config: ModelConfig;
  readonly sequences: number;
  readonly prompt: number;
  readonly newTokens: number;
  readonly temperature: number;
  readonly topP: number;
}

/** Loss and optimizer settings shared with the peer (bench/engine/peer.py). */
export const LOSS = { clipLow: 0.2, clipHigh: 0.28, entropyCoef: 0, maxGradNorm: 1.0 } as const;
export const ADAMW = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 } as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function sgemmGflops(threads: number, n = 1024, reps = 10): Promise<number> {
  const g = new Graph();
  const a = g.input("a", "float32", [n, n]);
  const b = g.input("b", "float32", [n, n]);
  const run = await compile({ c: matmul(a, b) }, { threads });
  const rng = Rng.stream(0, "bench", "sgemm");
  const feeds = {
    a: Float32Array.from({ length: n * n }, () => rng.normal()),
    b: Float32Array.from({ length: n * n }, () => rng.normal()),
  };
  for (let i = 0; i < 3; i++) await run.run(feeds);
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await run.run(feeds);
    best = Math.min(best, performance.now() - t);
  }
  await run.release();
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

/**
 * FLOPs of one training step as counted here: 3 × forward (backward ≈ 2 × forward), forward =
 * 2·B·T·P_mm + 4·B·T²·dim·layers, where P_mm = layers·(4·dim² + 3·dim·ffn) + dim·vocab are
 * the weights used in matrix products (the embedding is a gather) and the attention term is
 * q·kᵀ and p·v over the full T×T score matrix, which is what both implementations compute.
 */
export function trainStepFlops(c: ModelConfig, batch: number): number {
  const t = c.context;
  const pmm = c.layers * (4 * c.dim * c.dim + 3 * c.dim * c.ffn) + c.dim * c.vocab;
  return 3 * (2 * batch * t * pmm + 4 * batch * t * t * c.dim * c.layers);
}

function trainBatch(c: ModelConfig, batch: number): Record<string, Feed> {
  const rng = Rng.stream(0, "bench", "train-batch");
  const n = batch * c.context;
  const ids = () => BigInt64Array.from({ length: n }, () => BigInt(rng.int(c.vocab)));
  return {
    tokens: ids(),
    targets: ids(),
    positions: BigInt64Array.from({ length: n }, (_, i) => BigInt(i % c.context)),
    weights: new Float32Array(n).fill(1 / n),
    advantages: Float32Array.from({ length: n }, () => rng.normal()),
    oldLogp: new Float32Array(n).fill(-Math.log(c.vocab)),
    ...lossScalars(LOSS),
  };
}

export interface TrainTiming {
  readonly medianS: number;
  readonly minS: number;
  readonly steps: number;
  readonly loss: number;
  /** Share of ORT kernel time by op type in one profiled step, largest first. */
  readonly opShare: readonly { op: string; share: number }[];
}

export async function trainStep(tc: TrainCase, threads: number): Promise<TrainTiming> {
  const options = { batch: tc.batch, seq: tc.config.context, oldLogp: "input" } as const;
  const graph = await compileTrainStep(tc.config, options, { threads });
  const state = new TrainState(initWeights(tc.config, 1));
  const batch = trainBatch(tc.config, tc.batch);
  const hyper = { ...ADAMW, maxGradNorm: LOSS.maxGradNorm };
  const times: number[] = [];
  let loss = NaN;
  for (let i = 0; i < tc.warmup + tc.steps; i++) {
    const t = performance.now();
    loss = (await state.step(graph, batch, hyper)).loss;
    if (i >= tc.warmup) times.push((performance.now() - t) / 1000);
  }
  const opShare = await profileOps(
    graph.compiled.model,
    { ...batch, ...state.feeds(), ...adamScalars() },
    threads,
  );
  await graph.compiled.release();
  return { medianS: median(times), minS: Math.min(...times), steps: times.length, loss, opShare };
}

function adamScalars(): Record<string, number> {
  return {
    "opt.lr": ADAMW.lr,
    "opt.beta1": ADAMW.beta1,
    "opt.beta2": ADAMW.beta2,
    "opt.eps": ADAMW.eps,
    "opt.weightDecay": ADAMW.weightDecay,
    "opt.biasCorrection1": 1 - ADAMW.beta1,
    "opt.biasCorrection2": 1 - ADAMW.beta2,
    "opt.maxGradNorm": LOSS.maxGradNorm,
  };
}

/** Runs `model` once more in a profiling session and sums kernel time per ONNX op type. */
async function profileOps(
  model: OnnxModel,
  feeds: Record<string, Feed>,
  threads: number,
): Promise<{ op: string; share: number }[]> {
  const dir = mkdtempSync(join(tmpdir(), "qlx-bench-prof-"));
  try {
    const session = await ort.InferenceSession.create(model.bytes, {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      intraOpNumThreads: threads,
      enableProfiling: true,
      profileFilePrefix: join(dir, "p"),
    });
    const inputs: Record<string, ort.Tensor> = {};
    for (const { name, dtype, shape } of model.inputs) {
      const f = feeds[name]!;
      const data = typeof f === "number" ? Float32Array.of(f) : f;
      inputs[name] = ArrayBuffer.isView(data)
        ? new ort.Tensor(dtype === "bool" ? "bool" : dtype, data as never, [...shape])
        : data;
    }
    await session.run(inputs);
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith(".json"));
    if (!file) return [];
    const events = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
      cat: string;
      dur: number;
      args?: { op_name?: string };
    }[];
    const byOp = new Map<string, number>();
    let total = 0;
    for (const e of events) {
      const op = e.args?.op_name;
      if (e.cat !== "Node" || !op) continue;
      byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
      total += e.dur;
    }
    return [...byOp]
      .map(([op, dur]) => ({ op, share: dur / total }))
      .sort((a, b) => b.share - a.share)
      .slice(0, 8);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RolloutTiming {
  readonly seconds: number;
  readonly newTokens: number;
  readonly tokensPerS: number;
  /** One decode step at the longest cache (prompt + new − 1 slots), graph run only. */
  readonly decodeStepMs: number;
  /** Choosing tokens for all sequences from one step's distribution (TokenSampler.chooseFrom, JS). */
  readonly samplingStepMs: number;
  readonly decodeOpShare: readonly { op: string; share: number }[];
}

export async function rollout(rc: RolloutCase, threads: number): Promise<RolloutTiming> {
  const weights = Object.fromEntries(initWeights(rc.config, 1));
  const rng = Rng.stream(0, "bench", "prompts");
  const prompts = Array.from({ length: rc.sequences }, () =>
    Array.from({ length: rc.prompt }, () => rng.int(rc.config.vocab)),
  );
  const generator = new PolicyGenerator(rc.config, weights, { threads });
  const options = {
    maxNewTokens: rc.newTokens,
    stopTokens: [],
    sampling: { temperature: rc.temperature, topP: rc.topP, greedy: false },
    seed: 1,
    padToken: 0,
  };
  await generator.generate(prompts, options); // compiles both graphs
  const t = performance.now();
  const out = await generator.generate(prompts, options);
  const seconds = (performance.now() - t) / 1000;
  await generator.release();
  const newTokens = out.reduce((a, s) => a + s.tokens.length, 0);

  // The parts of one step, measured alone.
  const slots = rc.prompt + rc.newTokens - 1;
  const model = toOnnx(buildDecode(rc.config, rc.sequences, slots));
  const decode = await CompiledGraph.create(model, { threads });
  const feeds: Record<string, Feed> = decodeWeights(rc.config, weights);
  for (const { name, dtype, shape } of model.inputs) {
    if (feeds[name] !== undefined) continue;
    const size = shape.reduce((a, b) => a * b, 1);
    feeds[name] = dtype === "int64" ? new BigInt64Array(size).fill(1n) : new Float32Array(size);
  }
  const stepTimes: number[] = [];
  feeds["invTemperature"] = 1 / rc.temperature;
  let dist: SamplingDistribution | undefined;
  for (let i = 0; i < 6; i++) {
    const s = performance.now();
    const out = await decode.run(feeds);
    const host = (name: string) => out[name]!.data as Float32Array;
    dist = {
      logits: host("logits"),
      probs: host("probs"),
      logprobs: host("logprobs"),
      entropy: host("entropy"),
    };
    stepTimes.push(performance.now() - s);
  }
  await decode.release();
  const sampler = new TokenSampler(rc.config.vocab, options.sampling);
  const sRng = Rng.stream(0, "bench", "sampling");
  const s = performance.now();
  for (let rep = 0; rep < 5; rep++)
    for (let i = 0; i < rc.sequences; i++) sampler.chooseFrom(dist!, i, sRng);
  const samplingStepMs = (performance.now() - s) / 5;
  const decodeOpShare = await profileOps(model, feeds, threads);
  return {
    seconds,
    newTokens,
    tokensPerS: newTokens / seconds,
    decodeStepMs: median(stepTimes.slice(1)),
    samplingStepMs,
    decodeOpShare,
  };
}
