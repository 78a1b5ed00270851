// Property tests of the RL library (fast-check) and its errors on bad input.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  computeAdvantages,
  type AdvantageOptions,
  type ResponseInfo,
} from "../../../runtime/rl/advantages.ts";
import { negativeGradientClip } from "../../../runtime/rl/clipping.ts";
import { AepoController, aepoNextMasked, batchEntropy } from "../../../runtime/rl/aepo.ts";
import { lossWeights } from "../../../runtime/rl/aggregation.ts";
import { klShapedRewards, policyLoss, policyTokenTerm } from "../../../runtime/rl/policyLoss.ts";
import { offsetsFromLengths } from "../../../runtime/rl/ragged.ts";
import { RL_METRICS } from "../../../runtime/rl/metrics.ts";

/** A batch: groups of 1..6 responses, each group of one task, rewards in [-5, 5], lengths 0..6. */
const batchArb = fc
  .array(
    fc.record({
      task: fc.constantFrom("mc", "qa", "niah"),
      rewards: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), {
        minLength: 1,
        maxLength: 6,
      }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .chain((groups) => {
    const rewards = groups.flatMap((g) => g.rewards);
    const responses: ResponseInfo[] = groups.flatMap((g, gi) =>
      g.rewards.map(() => ({ groupIndex: gi, task: g.task })),
    );
    return fc
      .array(fc.integer({ min: 0, max: 6 }), {
        minLength: rewards.length,
        maxLength: rewards.length,
      })
      .map((lengths) => ({ rewards, responses, lengths }));
  });

const allOptions: AdvantageOptions[] = [
  { kind: "grpo", std: "group" },
  { kind: "grpo", std: "batch" },
  { kind: "grpo", std: "task_batch" },
  { kind: "grpo", std: "none" },
  { kind: "rloo" },
  { kind: "reinforce_plus_plus" },
];

function groupsOf(responses: readonly ResponseInfo[]): number[][] {
  const m = new Map<number, number[]>();
  responses.forEach((r, i) => m.set(r.groupIndex, [...(m.get(r.groupIndex) ?? []), i]));
  return [...m.values()];
}

describe("advantages", () => {
  it("group-normalised advantages have zero mean per group and are never NaN", () => {
    fc.assert(
      fc.property(batchArb, ({ rewards, responses, lengths }) => {
        for (const opts of allOptions) {
          const { advantages } = computeAdvantages(rewards, responses, opts, lengths);
          for (const a of advantages) expect(Number.isFinite(a)).toBe(true);
          if (opts.kind === "reinforce_plus_plus") continue; // batch-whitened, not group-centred
          for (const g of groupsOf(responses)) {
            const sum = g.reduce((s, i) => s + advantages[i]!, 0);
            const scale = g.reduce((s, i) => s + Math.abs(advantages[i]!), 0);
            expect(Math.abs(sum)).toBeLessThanOrEqual(1e-9 * Math.max(1, scale));
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it("are invariant to adding a constant to every reward", () => {
    fc.assert(
      fc.property(
        batchArb,
        fc.double({ min: -50, max: 50, noNaN: true }),
        ({ rewards, responses, lengths }, c) => {
          for (const opts of allOptions) {
            const a = computeAdvantages(rewards, responses, opts, lengths).advantages;
            const b = computeAdvantages(
              rewards.map((r) => r + c),
              responses,
              opts,
              lengths,
            ).advantages;
            // Shifting rounds the rewards; the advantage moves by at most that rounding over (σ + ε).
            const tol = opts.kind === "grpo" && opts.std !== "none" ? 1e-6 : 1e-9;
            for (let i = 0; i < a.length; i++) {
              expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(
                tol * Math.max(1, Math.abs(a[i]!)),
              );
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("handles the degenerate cases exactly as documented", () => {
    const same: ResponseInfo[] = [0, 0, 0, 1, 1].map((g) => ({ groupIndex: g, task: "a" }));
    for (const opts of allOptions) {
      expect(
        Array.from(computeAdvantages([2, 2, 2, 2, 2], same, opts, [1, 1, 1, 1, 1]).advantages),
      ).toEqual([0, 0, 0, 0, 0]);
    }
    // A lone response in its group (and its task) gets 0, not r / ε.
    const lone = computeAdvantages(
      [1, 0, 7],
      [0, 0, 1].map((g, i) => ({ groupIndex: g, task: i < 2 ? "a" : "b" })),
      {
        kind: "grpo",
        std: "task_batch",
      },
    );
    expect(lone.advantages[2]).toBe(0);
    // One task only: task_batch equals batch.
    const one: ResponseInfo[] = [0, 0, 1, 1].map((g) => ({ groupIndex: g, task: "a" }));
    expect(
      computeAdvantages([0, 1, 1, 1], one, { kind: "grpo", std: "task_batch" }).advantages,
    ).toEqual(computeAdvantages([0, 1, 1, 1], one, { kind: "grpo", std: "batch" }).advantages);
    // ε = 1e-6 and Bessel's std: rewards [0, 1] → ±0.5 / (0.7071… + 1e-6).
    const two = computeAdvantages(
      [0, 1],
      [0, 0].map((g) => ({ groupIndex: g, task: "a" })),
      { kind: "grpo", std: "group" },
    );
    expect(two.advantages[1]).toBeCloseTo(0.5 / (Math.SQRT1_2 + 1e-6), 12);
    expect(two.metrics["adv/mean/a"]).toBeCloseTo(0, 12);
    expect(two.metrics["reward/mean/a"]).toBe(0.5);
  });

  it("names the sample and task for a NaN or missing reward, and both sides for a shape mismatch", () => {
    const rs: ResponseInfo[] = [
      { groupIndex: 0, task: "qa", sampleId: "qa-17" },
      { groupIndex: 0, task: "mc" },
    ];
    const opts: AdvantageOptions = { kind: "grpo", std: "group" };
    expect(() => computeAdvantages([NaN, 1], rs, opts)).toThrow(
      /reward of sample "qa-17" \(task "qa", group 0\) is NaN/,
    );
    expect(() => computeAdvantages([1, undefined], rs, opts)).toThrow(
      /reward of response 1 \(task "mc", group 0\) is missing/,
    );
    expect(() => computeAdvantages([1], rs, opts)).toThrow(
      /rewards has 1 entries but the rollouts have 2 responses/,
    );
    expect(() => computeAdvantages([1, 2], rs, { kind: "reinforce_plus_plus" })).toThrow(
      /needs token counts/,
    );
  });
});

const raggedArb = fc
  .array(
    fc.record({
      advantage: fc.double({ min: -3, max: 3, noNaN: true }),
      entropies: fc.array(fc.double({ min: 0, max: 4, noNaN: true }), { maxLength: 6 }),
    }),
    { maxLength: 8 },
  )
  .map((rows) => ({
    advantages: rows.map((r) => r.advantage),
    entropies: rows.flatMap((r) => r.entropies),
    offsets: offsetsFromLengths(rows.map((r) => r.entropies.length)),
  }));

describe("negative-gradient clipping", () => {
  it("never masks a token of a response with A ≥ 0, and masks exactly the tokens Eq. 9 names", () => {
    fc.assert(
      fc.property(
        raggedArb,
        fc.constantFrom("token" as const, "sequence" as const),
        fc.constantFrom("above" as const, "below" as const),
        fc.double({ min: 0, max: 4, noNaN: true }),
        ({ advantages, entropies, offsets }, level, when, threshold) => {
          const r = negativeGradientClip(advantages, entropies, offsets, {
            level,
            when,
            threshold,
          });
          let masked = 0;
          for (let i = 0; i < advantages.length; i++) {
            const seq = entropies.slice(offsets[i]!, offsets[i + 1]!);
            const mean = seq.reduce((s, h) => s + h, 0) / seq.length;
            seq.forEach((h, k) => {
              const kept = r.keep[offsets[i]! + k];
              if (advantages[i]! >= 0) expect(kept).toBe(1);
              const x = level === "token" ? h : mean;
              const beyond = when === "above" ? x > threshold : x < threshold;
              expect(kept).toBe(advantages[i]! < 0 && beyond ? 0 : 1);
              masked += 1 - kept!;
            });
          }
          expect(r.maskedTokens).toBe(masked);
          expect(r.metrics[RL_METRICS.clipMaskedTokenFrac]).toBe(
            entropies.length ? masked / entropies.length : 0,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects entropies that do not match the responses", () => {
    expect(() =>
      negativeGradientClip([1, -1], [0.1, 0.2, 0.3], [0, 1, 2], {
        level: "token",
        when: "above",
        threshold: 1,
      }),
    ).toThrow(/advantages vs entropies\): offsets end at 2 but there are 3 token values/);
  });
});

describe("AEPO", () => {
  it("changes state only when the batch entropy crosses H_high (→ masked) or H_low (→ unmasked)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.array(fc.option(fc.double({ min: 0, max: 5, noNaN: true })), { maxLength: 40 }),
        (a, b, entropies) => {
          const opts = { low: Math.min(a, b), high: Math.max(a, b) + 0.5 };
          const c = new AepoController(opts);
          let prev = false;
          for (const h of entropies) {
            // One response with one token of entropy h, or an empty batch when h is null.
            const r = h === null ? c.step([], [], [0]) : c.step([-1], [h], [0, 1]);
            const now = r.state.negativesMasked;
            if (now !== prev) {
              expect(h).not.toBeNull();
              expect(now ? h! > opts.high : h! < opts.low).toBe(true);
            } else if (h !== null) {
              expect(now ? h >= opts.low : h <= opts.high).toBe(true);
            }
            expect(r.switched).toBe(now !== prev);
            expect(now).toBe(aepoNextMasked(prev, h, opts));
            if (h !== null) expect(Array.from(r.keep)).toEqual([now ? 0 : 1]);
            prev = now;
          }
          expect(c.state().steps).toBe(entropies.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("resumes from its serialised state and guards the empty batch", () => {
    const c = new AepoController({ low: 1, high: 2 });
    c.step([-1, 1], [3, 3, 3], [0, 2, 3]);
    const saved = JSON.parse(JSON.stringify(c.state()));
    expect(saved).toEqual({ negativesMasked: true, steps: 1, lastEntropy: 3 });
    const resumed = new AepoController({ low: 1, high: 2 }, saved);
    const r = resumed.step([-1, 0.5], [1.5, 1.5], [0, 1, 2]);
    expect(r.state.negativesMasked).toBe(true); // inside the band: keeps the previous state
    expect(Array.from(r.keep)).toEqual([0, 1]);
    const empty = resumed.step([], [], [0]);
    expect(empty.entropy).toBeNull();
    expect(empty.state.negativesMasked).toBe(true);
    expect(empty.metrics[RL_METRICS.aepoEntropy]).toBeUndefined();
    // Eq. 11 averages per-response means, not tokens: (3 + (0+0+0)/3) / 2.
    expect(batchEntropy([3, 0, 0, 0], [0, 1, 4])).toBe(1.5);
    expect(() => new AepoController({ low: 2, high: 1 })).toThrow(/low ≤ high/);
  });
});

describe("loss aggregation weights", () => {
  it("token_mean: weights of the batch sum to 1 and each group's to its share of kept tokens", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.integer({ min: 0, max: 1000 }),
        (groupLengths, maskSeed) => {
          const lengths = groupLengths.flat();
          const offsets = offsetsFromLengths(lengths);
          const total = offsets[lengths.length]!;
          const keep = Uint8Array.from({ length: total }, (_, t) =>
            (t * 7 + maskSeed) % 5 === 0 ? 0 : 1,
          );
          const kept = keep.reduce((s, k) => s + k, 0);
          const w = lossWeights(offsets, keep, { mode: "token_mean" });
          const sum = w.reduce((s, x) => s + x, 0);
          expect(sum).toBeCloseTo(kept > 0 ? 1 : 0, 12);
          let r = 0;
          for (const g of groupLengths) {
            const a = offsets[r]!;
            const b = offsets[r + g.length]!;
            r += g.length;
            const gw = w.subarray(a, b).reduce((s, x) => s + x, 0);
            const gk = keep.subarray(a, b).reduce((s, x) => s + x, 0);
            expect(gw).toBeCloseTo(kept > 0 ? gk / kept : 0, 12);
          }
          for (let t = 0; t < total; t++) if (!keep[t]) expect(w[t]).toBe(0);
          // A batch holding a single group: the group's weights sum to 1 (Eq. 4's 1/Σ|y_j|).
          const g0 = groupLengths[0]!;
          const single = lossWeights(offsetsFromLengths(g0), undefined, { mode: "token_mean" });
          const n0 = g0.reduce((s, x) => s + x, 0);
          expect(single.reduce((s, x) => s + x, 0)).toBeCloseTo(n0 > 0 ? 1 : 0, 12);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("needs a positive constant for seq_mean_token_sum_norm", () => {
    expect(() => lossWeights([0, 2], undefined, { mode: "seq_mean_token_sum_norm" })).toThrow(
      /normLength must be a positive constant/,
    );
  });
});

describe("policy loss", () => {
  it("with ratio 1 (on-policy) the clip is inactive and the loss is −Σ w·A (Eq. 4)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.double({ min: -3, max: 3, noNaN: true }),
            fc.double({ min: -5, max: 0, noNaN: true }),
          ),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        (tokens) => {
          const n = tokens.length;
          const logp = tokens.map(([, l]) => l);
          const advantages = tokens.map(([a]) => a);
          const weights = new Array<number>(n).fill(1 / n);
          const zeros = new Array<number>(n).fill(0);
          const opts = {
            clipLow: 0.2,
            clipHigh: 0.28,
            dualClip: 3,
            klCoef: 0,
            klEstimator: "k3" as const,
            entropyCoef: 0,
          };
          const r = policyLoss({ logp, oldLogp: logp, advantages, entropy: zeros, weights }, opts);
          expect(r.loss).toBeCloseTo(-advantages.reduce((s, a) => s + a / n, 0), 12);
          expect(r.metrics[RL_METRICS.lossClipFrac]).toBe(0);
        },
      ),
    );
  });

  it("applies the dual clip only to negative advantages, and checks shapes and options", () => {
    const opts = {
      clipLow: 0.2,
      clipHigh: 0.2,
      dualClip: 3,
      klCoef: 0,
      klEstimator: "k1" as const,
      entropyCoef: 0,
    };
    // ratio e^2 ≈ 7.39 with A = −1: PPO loss 7.39, dual clip caps at 3.
    expect(policyTokenTerm(2, 0, -1, undefined, 0, opts).term).toBeCloseTo(3, 12);
    expect(policyTokenTerm(2, 0, -1, undefined, 0, { ...opts, dualClip: 0 }).term).toBeCloseTo(
      Math.exp(2),
      12,
    );
    // A > 0 with a large ratio: clipped at 1 + ε_high.
    expect(policyTokenTerm(2, 0, 1, undefined, 0, opts).term).toBeCloseTo(-1.2, 12);
    expect(() =>
      policyLoss({ logp: [0], oldLogp: [0, 0], advantages: [0], entropy: [0], weights: [1] }, opts),
    ).toThrow(/oldLogp has 2 tokens but weights has 1/);
    expect(() =>
      policyLoss(
        { logp: [0], oldLogp: [0], advantages: [0], entropy: [0], weights: [1] },
        { ...opts, dualClip: 0.5 },
      ),
    ).toThrow(/dualClip must be 0 \(off\) or > 1/);
    expect(() => klShapedRewards([1, 2], [0], [0], [0, 1], 0.1, "k1")).toThrow(
      /rewards vs log-probs/,
    );
  });
});
