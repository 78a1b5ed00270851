// Trajectory-level RL bookkeeping (paper §2.3): which tokens get which advantage and weight,
// at exact offsets, when a response is a memory-agent trajectory of several steps.
import { describe, expect, it } from "vitest";
import {
  concatStepValues,
  stepSequences,
  trajectoryLayout,
  type StepTokens,
} from "../../../runtime/agent/trajectory.ts";
import { lossWeights } from "../../../runtime/rl/aggregation.ts";
import { negativeGradientClip } from "../../../runtime/rl/clipping.ts";
import { broadcastToTokens } from "../../../runtime/rl/policyLoss.ts";
import { packBatch } from "../../../runtime/executor/policy.ts";

const step = (prompt: number[], tokens: number[]): StepTokens => ({ prompt, tokens });

// Trajectory 0: three reading steps (3, 2, 1 tokens) and the answer (2 tokens);
// trajectory 1: one reading step (4 tokens) and the answer (1 token).
const TRAJECTORIES: StepTokens[][] = [
  [step([1, 2], [10, 11, 12]), step([3], [13, 14]), step([4, 5, 6], [15]), step([7], [16, 17])],
  [step([8, 9], [20, 21, 22, 23]), step([5], [24])],
];

describe("trajectoryLayout", () => {
  it("concatenates every step's tokens into one response per trajectory", () => {
    const layout = trajectoryLayout(TRAJECTORIES);
    expect([...layout.lengths]).toEqual([8, 5]);
    expect([...layout.offsets]).toEqual([0, 8, 13]);
    expect(layout.stepStarts.map((s) => [...s])).toEqual([
      [0, 3, 5, 6],
      [8, 12],
    ]);
  });

  it("places each step's per-token values at its start", () => {
    const layout = trajectoryLayout(TRAJECTORIES);
    const values = concatStepValues(
      TRAJECTORIES.map((steps) => steps.map((s) => ({ values: s.tokens }))),
      layout,
    );
    expect([...values]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24]);
  });
});

describe("stepSequences", () => {
  it("gives every step of a trajectory that trajectory's advantage, and only its own tokens", () => {
    const layout = trajectoryLayout(TRAJECTORIES);
    const adv = broadcastToTokens([0.5, -2], layout.offsets);
    const weights = lossWeights(layout.offsets, undefined, { mode: "token_mean" });
    const seqs = stepSequences(TRAJECTORIES, layout, weights, adv);
    expect(seqs).toHaveLength(6);
    expect(seqs.map((s) => s.tokens)).toEqual([
      [1, 2, 10, 11, 12],
      [3, 13, 14],
      [4, 5, 6, 15],
      [7, 16, 17],
      [8, 9, 20, 21, 22, 23],
      [5, 24],
    ]);
    expect(seqs.map((s) => s.responseStart)).toEqual([2, 1, 3, 1, 2, 1]);
    expect(seqs.map((s) => Array.from(s.advantages))).toEqual([
      [0.5, 0.5, 0.5],
      [0.5, 0.5],
      [0.5],
      [0.5, 0.5],
      [-2, -2, -2, -2],
      [-2],
    ]);
    // token_mean over all 13 generated tokens of the batch.
    for (const s of seqs) for (const w of Array.from(s.weights)) expect(w).toBeCloseTo(1 / 13, 12);
    // Each step packs into its own row with its advantages under its own response tokens.
    const packed = packBatch(seqs, 0);
    expect(packed.batch).toBe(6);
    expect(packed.lossTokens).toBe(13);
    const row = (i: number) =>
      Array.from(packed.feeds.advantages.subarray(i * packed.seq, (i + 1) * packed.seq));
    expect(row(2).slice(0, 4)).toEqual([0, 0, 0.5, 0]);
    expect(row(4).slice(0, 6)).toEqual([0, -2, -2, -2, -2, 0]);
  });

  it("normalises seq_mean_token_mean over the whole trajectory, not per step", () => {
    const layout = trajectoryLayout(TRAJECTORIES);
    const weights = lossWeights(layout.offsets, undefined, { mode: "seq_mean_token_mean" });
    const seqs = stepSequences(TRAJECTORIES, layout, weights, new Float64Array(13));
    const sum = (from: number, to: number) =>
      seqs.slice(from, to).reduce((a, s) => a + Array.from(s.weights).reduce((x, y) => x + y), 0);
    // Two trajectories: each one's tokens, over all its steps, weigh 1/2 in total.
    expect(sum(0, 4)).toBeCloseTo(0.5, 12);
    expect(sum(4, 6)).toBeCloseTo(0.5, 12);
    expect(seqs[0]!.weights[0]).toBeCloseTo(1 / (2 * 8), 12);
    expect(seqs[4]!.weights[0]).toBeCloseTo(1 / (2 * 5), 12);
  });

  it("masks a whole negative trajectory, every step, under sequence-level clipping", () => {
    const layout = trajectoryLayout(TRAJECTORIES);
    // Trajectory 1 (negative advantage) has mean entropy 0.9 over its two steps; 0 is calm.
    const entropy = new Float64Array(13);
    entropy.fill(0.9, 8, 13);
    const clip = negativeGradientClip([0.5, -2], entropy, layout.offsets, {
      level: "sequence",
      when: "above",
      threshold: 0.8,
    });
    const weights = lossWeights(layout.offsets, clip.keep, { mode: "token_mean" });
    const seqs = stepSequences(
      TRAJECTORIES,
      layout,
      weights,
      broadcastToTokens([0.5, -2], layout.offsets),
    );
    expect(seqs.slice(4).flatMap((s) => Array.from(s.weights))).toEqual([0, 0, 0, 0, 0]);
    for (const s of seqs.slice(0, 4))
      for (const w of Array.from(s.weights)) expect(w).toBeCloseTo(1 / 8, 12);
  });
});
