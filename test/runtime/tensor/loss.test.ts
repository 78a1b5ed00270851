// The token-level policy loss (nn.policyLoss) in each of its variants against PyTorch:
// clip bounds, dual clip on/off, KL estimators k1/k2/k3, entropy bonus, and the supervised
// form (oldLogp = stop-gradient(logp)). Values and gradients w.r.t. the logits.

import { describe, expect, it } from "vitest";
import { Graph } from "../../../runtime/tensor/ir.ts";
import type { Tensor } from "../../../runtime/tensor/ir.ts";
import { gradients } from "../../../runtime/tensor/autodiff.ts";
import { stopGradient } from "../../../runtime/tensor/ops.ts";
import { policyLoss, tokenLogProbs } from "../../../runtime/tensor/nn.ts";
import type { KlEstimator } from "../../../runtime/tensor/nn.ts";
import { compile } from "../../../runtime/tensor/session.ts";
import { Rng } from "../../../runtime/rng.ts";
import { relativeError, runTorch } from "./torch.ts";

const N = 24;
const V = 9;

interface Case {
  readonly name: string;
  readonly klEstimator?: KlEstimator;
  readonly selfOld?: boolean;
  readonly clipLow: number;
  readonly clipHigh: number;
  readonly dualClip: number;
  readonly klCoef: number;
  readonly entropyCoef: number;
}

const cases: Case[] = [
  { name: "ppo", clipLow: 0.2, clipHigh: 0.2, dualClip: 0, klCoef: 0, entropyCoef: 0 },
  { name: "dapo_dual", clipLow: 0.2, clipHigh: 0.28, dualClip: 3, klCoef: 0, entropyCoef: 0.01 },
  {
    name: "k1",
    klEstimator: "k1",
    clipLow: 0.1,
    clipHigh: 0.3,
    dualClip: 0,
    klCoef: 0.2,
    entropyCoef: 0,
  },
  {
    name: "k2",
    klEstimator: "k2",
    clipLow: 0.2,
    clipHigh: 0.2,
    dualClip: 2,
    klCoef: 0.5,
    entropyCoef: 0,
  },
  {
    name: "k3",
    klEstimator: "k3",
    clipLow: 0.2,
    clipHigh: 0.2,
    dualClip: 0,
    klCoef: 1,
    entropyCoef: 0.05,
  },
  {
    name: "supervised",
    selfOld: true,
    clipLow: 0.2,
    clipHigh: 0.2,
    dualClip: 0,
    klCoef: 0,
    entropyCoef: 0,
  },
];

function inputs() {
  const rng = Rng.stream(21, "loss-test");
  const logits = Float32Array.from({ length: N * V }, () => (rng.next() - 0.5) * 6);
  const targets = BigInt64Array.from({ length: N }, () => BigInt(rng.int(V)));
  // Perturbations up to ±1.5 nats put ratios on both sides of every clip and past c = 3.
  const noise = () => Float32Array.from({ length: N }, () => (rng.next() - 0.5) * 3);
  return {
    logits,
    targets,
    weights: Float32Array.from({ length: N }, (_, i) => (i % 5 === 0 ? 0 : rng.next())),
    advantages: Float32Array.from({ length: N }, () => (rng.next() - 0.5) * 4),
    oldNoise: noise(),
    refNoise: noise(),
  };
}

describe("policy loss variants", () => {
  it("match PyTorch in value and logits gradient", async () => {
    const data = inputs();
    // logp of the data, so oldLogp/refLogp can be placed near it.
    const g0 = new Graph();
    const { logp: logp0 } = tokenLogProbs(
      g0.input("logits", "float32", [N, V]),
      g0.input("targets", "int64", [N]),
    );
    const base = (await (await compile({ logp: logp0 })).run(data)).logp!.data as Float32Array;
    const oldLogp = Float32Array.from(base, (v, i) => v + data.oldNoise[i]!);
    const refLogp = Float32Array.from(base, (v, i) => v + data.refNoise[i]!);

    const outputs: Record<string, Tensor> = {};
    const g = new Graph();
    const logits = g.input("logits", "float32", [N, V]);
    const { logp, entropy } = tokenLogProbs(logits, g.input("targets", "int64", [N]));
    const vec = (name: string) => g.input(name, "float32", [N]);
    const weights = vec("weights");
    const advantages = vec("advantages");
    const old = vec("oldLogp");
    const ref = vec("refLogp");
    for (const c of cases) {
      const s = (v: number) => g.constant(Float32Array.of(v), []);
      const { loss } = policyLoss({
        logp,
        entropy,
        weights,
        advantages,
        oldLogp: c.selfOld ? stopGradient(logp) : old,
        ...(c.klEstimator ? { klEstimator: c.klEstimator, refLogp: ref } : {}),
        clipLow: s(c.clipLow),
        clipHigh: s(c.clipHigh),
        dualClip: s(c.dualClip),
        klCoef: s(c.klCoef),
        entropyCoef: s(c.entropyCoef),
      });
      outputs[`${c.name}.loss`] = loss;
      outputs[`${c.name}.grad`] = gradients(loss, [logits])[0]!;
    }
    const got = await (await compile(outputs)).run({ ...data, oldLogp, refLogp });
    const want = runTorch(
      "ops.py",
      {
        logits: { data: data.logits, shape: [N, V] },
        targets: { data: data.targets, shape: [N] },
        weights: { data: data.weights, shape: [N] },
        advantages: { data: data.advantages, shape: [N] },
        oldLogp: { data: oldLogp, shape: [N] },
        refLogp: { data: refLogp, shape: [N] },
      },
      { cases: cases.map((c) => ({ name: c.name, hyper: c })) },
    );
    for (const c of cases) {
      for (const k of [`${c.name}.loss`, `${c.name}.grad`]) {
        expect(relativeError(got[k]!.data as Float32Array, want[k]!), k).toBeLessThan(1e-5);
      }
    }
    // The cases differ from each other, so each option actually changed the result.
    const losses = cases.map((c) => (got[`${c.name}.loss`]!.data as Float32Array)[0]!);
    expect(new Set(losses).size).toBe(cases.length);
  });
});
