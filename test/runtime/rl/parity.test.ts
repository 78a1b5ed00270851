// The RL library against the PyTorch reference (test/reference/rl.py) on seeded random inputs
// and on the degenerate cases each function documents.
import { describe, expect, it } from "vitest";
import { Rng } from "../../../runtime/rng.ts";
import {
  computeAdvantages,
  type AdvantageOptions,
  type ResponseInfo,
} from "../../../runtime/rl/advantages.ts";
import {
  negativeGradientClip,
  type NegativeGradientClipOptions,
} from "../../../runtime/rl/clipping.ts";
import { AepoController, aepoFragment } from "../../../runtime/rl/aepo.ts";
import { lossWeights, type LossAggregation } from "../../../runtime/rl/aggregation.ts";
import {
  klShapedRewards,
  policyLoss,
  type KlEstimator,
  type PolicyLossOptions,
} from "../../../runtime/rl/policyLoss.ts";
import { RL_METRICS } from "../../../runtime/rl/metrics.ts";
import { offsetsFromLengths } from "../../../runtime/rl/ragged.ts";
import { runReference } from "./reference.ts";

const TOL = 1e-9;

function close(got: ArrayLike<number>, want: readonly number[], tol = TOL): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(
      Math.abs(got[i]! - want[i]!),
      `index ${i}: got ${got[i]}, want ${want[i]}`,
    ).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]!)));
  }
}

interface Batch {
  rewards: number[];
  groups: number[];
  tasks: string[];
  lengths: number[];
  entropies: number[][];
}

function randomBatch(rng: Rng, binary: boolean): Batch {
  const b: Batch = { rewards: [], groups: [], tasks: [], lengths: [], entropies: [] };
  const groups = 1 + rng.int(6);
  const taskNames = ["mc", "qa", "niah"].slice(0, 1 + rng.int(3));
  for (let g = 0; g < groups; g++) {
    const size = 1 + rng.int(5);
    const task = taskNames[rng.int(taskNames.length)]!;
    for (let k = 0; k < size; k++) {
      b.rewards.push(binary ? rng.int(2) : Math.round(rng.next() * 100) / 100);
      b.groups.push(g);
      b.tasks.push(task);
      const len = rng.int(7);
      b.lengths.push(len);
      b.entropies.push(Array.from({ length: len }, () => rng.next() * 3));
    }
  }
  return b;
}

const edgeBatches: Batch[] = [
  // all rewards equal
  {
    rewards: [1, 1, 1, 1],
    groups: [0, 0, 1, 1],
    tasks: ["a", "a", "b", "b"],
    lengths: [1, 2, 3, 1],
    entropies: [],
  },
  // a task with one sample (and a group of one)
  {
    rewards: [1, 0, 0.5, 1],
    groups: [0, 0, 0, 1],
    tasks: ["a", "a", "a", "b"],
    lengths: [2, 2, 2, 2],
    entropies: [],
  },
  // one task only
  {
    rewards: [0, 1, 1, 0, 0, 0],
    groups: [0, 0, 0, 1, 1, 1],
    tasks: ["a", "a", "a", "a", "a", "a"],
    lengths: [3, 1, 2, 4, 1, 1],
    entropies: [],
  },
  // a single response
  { rewards: [0.3], groups: [0], tasks: ["a"], lengths: [5], entropies: [] },
];

const advantageOptions: AdvantageOptions[] = [
  { kind: "grpo", std: "group" },
  { kind: "grpo", std: "batch" },
  { kind: "grpo", std: "task_batch" },
  { kind: "grpo", std: "task_batch", eps: 0 },
  { kind: "grpo", std: "none" },
  { kind: "rloo" },
  { kind: "reinforce_plus_plus" },
];

describe("RL library vs PyTorch reference", () => {
  it("matches on advantages, clipping, AEPO, aggregation weights, policy loss and KL in reward", () => {
    const rng = Rng.stream(5, "rl-parity");
    const batches = [
      ...edgeBatches,
      ...Array.from({ length: 12 }, (_, i) => randomBatch(rng, i % 2 === 0)),
    ];
    const cases: Record<string, unknown[]> = {
      advantages: [],
      clip: [],
      aepo: [],
      aepo_fragment: [],
      agg: [],
      policy_loss: [],
      kl_reward: [],
    };
    const ours: Record<string, unknown[]> = Object.fromEntries(
      Object.keys(cases).map((k) => [k, []]),
    );

    for (const b of batches) {
      const responses: ResponseInfo[] = b.groups.map((g, i) => ({
        groupIndex: g,
        task: b.tasks[i]!,
      }));
      for (const opts of advantageOptions) {
        cases.advantages!.push({
          ...opts,
          rewards: b.rewards,
          groups: b.groups,
          tasks: b.tasks,
          tokenCounts: b.lengths,
        });
        ours.advantages!.push(computeAdvantages(b.rewards, responses, opts, b.lengths).advantages);
      }
    }

    const random = batches.slice(edgeBatches.length);
    for (const b of random) {
      const adv = computeAdvantages(
        b.rewards,
        b.groups.map((g, i) => ({ groupIndex: g, task: b.tasks[i]! })),
        {
          kind: "grpo",
          std: "group",
        },
      ).advantages;
      const offsets = offsetsFromLengths(b.lengths);
      const flat = b.entropies.flat();
      for (const level of ["token", "sequence"] as const) {
        for (const when of ["above", "below"] as const) {
          const opts: NegativeGradientClipOptions = { level, when, threshold: 1.5 };
          cases.clip!.push({ ...opts, advantages: Array.from(adv), entropies: b.entropies });
          ours.clip!.push(negativeGradientClip(adv, flat, offsets, opts).keep);
        }
      }
      const keep = negativeGradientClip(adv, flat, offsets, {
        level: "token",
        when: "above",
        threshold: 2,
      }).keep;
      const keepRows = b.lengths.map((_, i) =>
        Array.from(keep.subarray(offsets[i]!, offsets[i + 1]!)),
      );
      for (const mode of [
        "token_mean",
        "seq_mean_token_sum",
        "seq_mean_token_mean",
        "seq_mean_token_sum_norm",
      ] as LossAggregation[]) {
        cases.agg!.push({ mode, normLength: 8, keep: keepRows });
        ours.agg!.push(lossWeights(offsets, keep, { mode, normLength: 8 }));
      }
      cases.aepo_fragment!.push({
        low: 0.5,
        high: 2.5,
        worldSize: 2,
        advantages: Array.from(adv),
        rewards: b.rewards,
        entropies: b.entropies,
      });
      ours.aepo_fragment!.push(
        aepoFragment(adv, b.rewards, flat, offsets, { low: 0.5, high: 2.5, worldSize: 2 }),
      );
    }

    // AEPO: a run of batches whose entropies drift up and down through the band, plus empty batches.
    const aepoSteps: { advantages: number[]; entropies: number[][] }[] = [];
    for (let s = 0; s < 30; s++) {
      const level = 1.5 + 1.4 * Math.sin(s / 3);
      const n = s % 7 === 3 ? 0 : 1 + rng.int(5);
      const entropies = Array.from({ length: n }, () =>
        Array.from({ length: rng.int(4) }, () => Math.max(0, level + (rng.next() - 0.5) * 0.4)),
      );
      aepoSteps.push({ advantages: Array.from({ length: n }, () => rng.next() - 0.5), entropies });
    }
    cases.aepo!.push({ low: 1, high: 2, steps: aepoSteps });
    const controller = new AepoController({ low: 1, high: 2 });
    const aepoOurs = aepoSteps.map((st) => {
      const r = controller.step(
        st.advantages,
        st.entropies.flat(),
        offsetsFromLengths(st.entropies.map((e) => e.length)),
      );
      return { state: r.state.negativesMasked, keep: r.keep };
    });

    for (const est of ["k1", "k2", "k3"] as KlEstimator[]) {
      for (const dualClip of [0, 3]) {
        const n = 40;
        const logp = Array.from({ length: n }, () => -rng.next() * 4);
        const oldLogp = logp.map((x) => x + (rng.next() - 0.5) * 0.6);
        const refLogp = logp.map((x) => x + (rng.next() - 0.5));
        const advantages = Array.from({ length: n }, () => (rng.next() - 0.5) * 4);
        const entropy = Array.from({ length: n }, () => rng.next() * 3);
        const weights = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : rng.next() / n));
        const opts: PolicyLossOptions = {
          clipLow: 0.2,
          clipHigh: 0.28,
          dualClip,
          klCoef: 0.05,
          klEstimator: est,
          entropyCoef: 0.01,
        };
        cases.policy_loss!.push({ opts, logp, oldLogp, refLogp, advantages, entropy, weights });
        ours.policy_loss!.push(
          policyLoss({ logp, oldLogp, refLogp, advantages, entropy, weights }, opts).metrics,
        );
      }
      const b = random[0]!;
      const oldRows = b.lengths.map((l) => Array.from({ length: l }, () => -rng.next() * 3));
      const refRows = oldRows.map((row) => row.map((x) => x + (rng.next() - 0.5)));
      cases.kl_reward!.push({
        estimator: est,
        beta: 0.1,
        rewards: b.rewards,
        oldLogp: oldRows,
        refLogp: refRows,
      });
      ours.kl_reward!.push(
        klShapedRewards(
          b.rewards,
          oldRows.flat(),
          refRows.flat(),
          offsetsFromLengths(b.lengths),
          0.1,
          est,
        ).rewards,
      );
    }

    const ref = runReference<Record<string, any[]>>("rl.py", cases);

    ref.advantages!.forEach((want: number[], i) =>
      close(ours.advantages![i] as Float64Array, want, 1e-9),
    );
    ref.clip!.forEach((want: number[][], i) =>
      expect(Array.from(ours.clip![i] as Uint8Array)).toEqual(want.flat()),
    );
    ref.agg!.forEach((want: number[][], i) =>
      close(ours.agg![i] as Float64Array, want.flat(), 1e-12),
    );
    ref.aepo_fragment!.forEach((want: { active: boolean; keep: number[][] }, i) => {
      const got = ours.aepo_fragment![i] as ReturnType<typeof aepoFragment>;
      expect(got.active).toBe(want.active);
      expect(Array.from(got.keep)).toEqual(want.keep.flat());
    });
    const aepoRef = ref.aepo![0] as { states: boolean[]; keeps: number[][][] };
    expect(aepoOurs.map((s) => s.state)).toEqual(aepoRef.states);
    aepoOurs.forEach((s, i) => expect(Array.from(s.keep)).toEqual(aepoRef.keeps[i]!.flat()));
    // The run must actually exercise both transitions.
    expect(new Set(aepoRef.states).size).toBe(2);
    ref.policy_loss!.forEach(
      (want: { loss: number; pg: number; kl: number; clipFrac: number }, i) => {
        const got = ours.policy_loss![i] as Record<string, number>;
        close(
          [
            got[RL_METRICS.loss]!,
            got[RL_METRICS.lossPg]!,
            got[RL_METRICS.lossKl]!,
            got[RL_METRICS.lossClipFrac]!,
          ],
          [want.loss, want.pg, want.kl, want.clipFrac],
          1e-9,
        );
      },
    );
    ref.kl_reward!.forEach((want: number[], i) =>
      close(ours.kl_reward![i] as Float64Array, want, 1e-9),
    );
  });
});
