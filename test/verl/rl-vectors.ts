// Shared test vectors for the parity of the verl plugin (Python, torch) with the built-in RL
// library (runtime/rl). Drawn from counter-based RNG streams, so the committed file
// test/fixtures/vectors/rl-parity.json is reproducible; `QLX_UPDATE_GOLDEN=1` rewrites it.
// Batches are ragged (offsets), as the runtime takes them; the Python side pads them to verl's
// [B, T] layout with a response mask.
import { Rng } from "../../runtime/rng.ts";

export interface RaggedBatch {
  /** Tokens per response (0 allowed: an empty response). */
  readonly lengths: number[];
  /** Per-token entropies, flat. */
  readonly entropies: number[];
  /** One advantage per response. */
  readonly advantages: number[];
  readonly rewards: number[];
}

export interface AdvantageCase {
  readonly name: string;
  readonly rewards: number[];
  readonly groups: number[];
  readonly tasks: string[];
  readonly tokenCounts: number[];
}

export interface LossCase {
  readonly name: string;
  readonly lengths: number[];
  readonly keep: number[];
  readonly logp: number[];
  readonly oldLogp: number[];
  readonly refLogp: number[];
  readonly advantages: number[];
  readonly entropy: number[];
  readonly clipLow: number;
  readonly clipHigh: number;
  readonly dualClip: number;
  readonly klCoef: number;
  readonly klEstimator: "k1" | "k2" | "k3";
  readonly entropyCoef: number;
}

export interface RlVectors {
  readonly version: 1;
  readonly advantages: AdvantageCase[];
  readonly batches: RaggedBatch[];
  readonly thresholds: number[];
  /** AEPO runs: a sequence of batches through one controller. */
  readonly aepo: { readonly low: number; readonly high: number; readonly steps: RaggedBatch[] }[];
  readonly losses: LossCase[];
  readonly normLength: number;
}

const TASKS = ["mc", "multihop", "reading", "dialogue", "numeric"];

function round(x: number, digits = 6): number {
  // Rewards like the paper's (0/1 and sequence ratios) have few digits; rounding also makes
  // ties between responses likely, which exercises the degenerate cases.
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function advantageCase(
  rng: Rng,
  name: string,
  groupsN: number,
  g: number,
  binary: boolean,
): AdvantageCase {
  const rewards: number[] = [];
  const groups: number[] = [];
  const tasks: string[] = [];
  const tokenCounts: number[] = [];
  for (let p = 0; p < groupsN; p++) {
    const task = TASKS[rng.int(TASKS.length)]!;
    for (let k = 0; k < g; k++) {
      rewards.push(binary ? rng.int(2) : round(rng.next(), 3));
      groups.push(p);
      tasks.push(task);
      tokenCounts.push(1 + rng.int(40));
    }
  }
  return { name, rewards, groups, tasks, tokenCounts };
}

function ragged(rng: Rng, responses: number, maxLen: number, entropyScale: number): RaggedBatch {
  const lengths = Array.from({ length: responses }, () => rng.int(maxLen + 1));
  const total = lengths.reduce((a, b) => a + b, 0);
  return {
    lengths,
    entropies: Array.from({ length: total }, () => entropyScale * rng.next() ** 2),
    advantages: Array.from({ length: responses }, () =>
      rng.int(5) === 0 ? 0 : round(rng.normal(), 4),
    ),
    rewards: Array.from({ length: responses }, () => rng.int(2)),
  };
}

function lossCase(
  rng: Rng,
  name: string,
  opts: Omit<
    LossCase,
    "name" | "lengths" | "keep" | "logp" | "oldLogp" | "refLogp" | "advantages" | "entropy"
  >,
): LossCase {
  const lengths = Array.from({ length: 6 }, () => rng.int(9));
  lengths[2] = 5; // at least one response with tokens
  const total = lengths.reduce((a, b) => a + b, 0);
  const adv = lengths.map(() => round(rng.normal(), 4));
  const advantages = lengths.flatMap((n, i) => Array<number>(n).fill(adv[i]!));
  const logp = Array.from({ length: total }, () => -3 * rng.next());
  // Old log-probs near the current ones, some far enough for the PPO and dual clips to bind.
  const oldLogp = logp.map((x) => x + (rng.int(3) === 0 ? 1.2 : 0.1) * rng.normal());
  const refLogp = logp.map((x) => x + 0.3 * rng.normal());
  // Keep mask: a whole response masked (as AEPO does) plus scattered tokens (token-level clipping).
  const keep = lengths.flatMap((n, i) =>
    Array.from({ length: n }, () => (i === 4 ? 0 : rng.int(6) === 0 ? 0 : 1)),
  );
  return {
    name,
    lengths,
    keep,
    logp,
    oldLogp,
    refLogp,
    advantages,
    entropy: Array.from({ length: total }, () => 2 * rng.next()),
    ...opts,
  };
}

export function generateRlVectors(seed = 20251125): RlVectors {
  const rng = (k: string) => Rng.stream(seed, "verl-parity", k);
  const a = rng("advantages");
  const advantages: AdvantageCase[] = [
    advantageCase(a, "binary rewards, 6 groups of 8", 6, 8, true),
    advantageCase(a, "graded rewards, 5 groups of 4", 5, 4, false),
    advantageCase(a, "groups of 2", 7, 2, true),
    {
      name: "degenerate: lone responses, equal rewards, one-sample task",
      rewards: [1, 0.5, 0.5, 0.5, 0, 1, 0.25],
      groups: [0, 1, 1, 1, 2, 2, 3],
      tasks: ["mc", "reading", "reading", "reading", "reading", "reading", "numeric"],
      tokenCounts: [3, 4, 5, 6, 7, 8, 9],
    },
    {
      name: "degenerate: all rewards equal",
      rewards: [1, 1, 1, 1],
      groups: [0, 0, 1, 1],
      tasks: ["mc", "mc", "mc", "mc"],
      tokenCounts: [1, 2, 3, 4],
    },
  ];
  const b = rng("batches");
  const batches = [ragged(b, 12, 10, 2), ragged(b, 16, 24, 1.5), ragged(b, 5, 3, 3)];
  const e = rng("aepo");
  const aepo = [
    // Entropy scales walk up through H_high and back down through H_low.
    {
      low: 0.3,
      high: 0.5,
      steps: [0.6, 1.2, 2.0, 1.4, 0.9, 0.5, 0.3, 1.0, 2.4].map((scale) => ragged(e, 10, 12, scale)),
    },
    { low: 0.2, high: 0.2, steps: [0.3, 0.9, 0.1, 0.6].map((scale) => ragged(e, 8, 6, scale)) },
  ];
  const l = rng("losses");
  const losses = [
    lossCase(l, "on-policy, no KL", {
      clipLow: 0.2,
      clipHigh: 0.28,
      dualClip: 3,
      klCoef: 0,
      klEstimator: "k1",
      entropyCoef: 0,
    }),
    lossCase(l, "k1 KL, entropy bonus, no dual clip", {
      clipLow: 0.2,
      clipHigh: 0.2,
      dualClip: 0,
      klCoef: 0.01,
      klEstimator: "k1",
      entropyCoef: 0.001,
    }),
    lossCase(l, "k2 KL", {
      clipLow: 0.1,
      clipHigh: 0.3,
      dualClip: 2,
      klCoef: 0.1,
      klEstimator: "k2",
      entropyCoef: 0,
    }),
    lossCase(l, "k3 KL", {
      clipLow: 0.2,
      clipHigh: 0.28,
      dualClip: 3,
      klCoef: 0.05,
      klEstimator: "k3",
      entropyCoef: 0.01,
    }),
  ];
  return {
    version: 1,
    advantages,
    batches,
    thresholds: [0.2, 0.5, 1.0],
    aepo,
    losses,
    normLength: 24,
  };
}
