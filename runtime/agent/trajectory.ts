// Trajectory-level RL bookkeeping (paper §2.3 "Memory Optimization via RL"): a response is a
// whole trajectory — the concatenation of every step's generated tokens — so the RL library's
// ragged functions (advantage broadcast, negative-gradient clipping, AEPO, loss aggregation)
// see one response per trajectory and need no change. For training, each step is one sequence
// (its own prompt ‖ its generated tokens), taking its slice of the trajectory's per-token
// weights and advantages. A single-pass response is the one-step case.
import { offsetsFromLengths } from "../rl/ragged.ts";
import type { TrainSequence } from "../executor/policy.ts";

/** What the bookkeeping needs of a step: its prompt and its generated tokens. */
export interface StepTokens {
  readonly prompt: readonly number[];
  readonly tokens: ArrayLike<number>;
}

export interface TrajectoryLayout {
  /** Per trajectory: total generated tokens over its steps. */
  readonly lengths: Int32Array;
  /** Ragged offsets over trajectories: trajectory r's tokens are [offsets[r], offsets[r+1]). */
  readonly offsets: Int32Array;
  /** Per trajectory, per step: the step's first token in the flat token array. */
  readonly stepStarts: readonly Int32Array[];
}

export function trajectoryLayout(
  trajectories: readonly (readonly StepTokens[])[],
): TrajectoryLayout {
  const lengths = new Int32Array(trajectories.length);
  trajectories.forEach((steps, r) => {
    for (const s of steps) lengths[r]! += s.tokens.length;
  });
  const offsets = offsetsFromLengths(lengths);
  const stepStarts = trajectories.map((steps, r) => {
    const starts = new Int32Array(steps.length);
    let at = offsets[r]!;
    steps.forEach((s, j) => {
      starts[j] = at;
      at += s.tokens.length;
    });
    return starts;
  });
  return { lengths, offsets, stepStarts };
}

/** Per-token values (entropy, logp) of every step, concatenated in layout order. */
export function concatStepValues(
  trajectories: readonly (readonly { readonly values: ArrayLike<number> }[])[],
  layout: TrajectoryLayout,
): Float64Array {
  const out = new Float64Array(layout.offsets[layout.offsets.length - 1]!);
  trajectories.forEach((steps, r) =>
    steps.forEach((s, j) => {
      const start = layout.stepStarts[r]![j]!;
      for (let k = 0; k < s.values.length; k++) out[start + k] = s.values[k]!;
    }),
  );
  return out;
}

/**
 * One training sequence per step, in trajectory-major, step order: the step's prompt ‖ its
 * tokens, with its slice of the flat per-token `weights` and `advantages`.
 */
export function stepSequences(
  trajectories: readonly (readonly StepTokens[])[],
  layout: TrajectoryLayout,
  weights: Float64Array,
  advantages: Float64Array,
  logProbs: { readonly oldLogp?: Float64Array; readonly refLogp?: Float64Array } = {},
): TrainSequence[] {
  const out: TrainSequence[] = [];
  trajectories.forEach((steps, r) =>
    steps.forEach((s, j) => {
      const start = layout.stepStarts[r]![j]!;
      const end = start + s.tokens.length;
      out.push({
        tokens: [...s.prompt, ...Array.from(s.tokens)],
        responseStart: s.prompt.length,
        weights: weights.subarray(start, end),
        advantages: advantages.subarray(start, end),
        ...(logProbs.oldLogp ? { oldLogp: logProbs.oldLogp.subarray(start, end) } : {}),
        ...(logProbs.refLogp ? { refLogp: logProbs.refLogp.subarray(start, end) } : {}),
      });
    }),
  );
  return out;
}
