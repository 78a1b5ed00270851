// One RL step of a stage, node by node as the IR lays it out: sampler → rollout (G responses
// per prompt) → reward → advantage → mask (negative-gradient clipping, Eq. 8-9) → control
// (AEPO, Eq. 11) → loss (aggregation folded into per-token weights) → optimizer.
// With `agent = memory(...)` the rollout is the memory agent's (§2.3): a response is a whole
// trajectory, its tokens those of every step, each step one training sequence
// (runtime/agent/trajectory.ts).
import type { Stage } from "../../compiler/ir/schema.ts";
import { agentMetrics, runMemoryAgent } from "../agent/memory.ts";
import { agentSettings, recordTask } from "../agent/rollout.ts";
import {
  concatStepValues,
  stepSequences,
  trajectoryLayout,
  type StepTokens,
} from "../agent/trajectory.ts";
import type { FinishReason } from "../model/generate.ts";
import type { Reward } from "../rewards/registry.ts";
import { computeAdvantages, type ResponseInfo } from "../rl/advantages.ts";
import { aepoFragment, AepoController } from "../rl/aepo.ts";
import { lossWeights } from "../rl/aggregation.ts";
import { RL_METRICS } from "../rl/metrics.ts";
import { negativeGradientClip } from "../rl/clipping.ts";
import { broadcastToTokens } from "../rl/policyLoss.ts";
import { byteTokenizer } from "../tokenizer/byte.ts";
import type { Example } from "./examples.ts";
import { advantageOptions, clipOptions, type StageNodes } from "./plan.ts";
import { packBatch, type Policy } from "./policy.ts";

/** Metric names the executor adds to the RL library's (runtime/rl/metrics.ts). */
export const STEP_METRICS = {
  reward: "reward/mean",
  rewardFailed: "reward/failed",
  entropy: "entropy/mean",
  responseLength: "response/length_mean",
  truncatedFrac: "response/truncated_frac",
  mixedGroupFrac: "groups/mixed_frac",
  lr: "train/lr",
  loss: "train/loss",
  lossTokens: "train/loss_tokens",
  tokensPerSecond: "perf/tokens_per_s",
  rolloutSeconds: "perf/rollout_s",
  updateSeconds: "perf/update_s",
} as const;

export interface StepInputs {
  readonly seed: number;
  readonly stage: Stage;
  readonly nodes: StageNodes;
  readonly step: number;
  readonly examples: readonly Example[];
  /** Dataset indices of this step's prompts (from the sampler). */
  readonly batch: readonly number[];
  readonly rewards: ReadonlyMap<string, Reward>;
  readonly policy: Policy;
  /** The AEPO controller when the stage's control is `aepo` (its state persists across steps). */
  readonly aepo: AepoController | undefined;
  readonly lr: number;
}

export interface StepOutcome {
  readonly metrics: Record<string, number>;
  /** Per prompt of the batch: mean reward of its G responses (for retrospective sampling). */
  readonly passRates: ReadonlyMap<number, number>;
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length > 0 ? s / xs.length : 0;
}

/** One response of the batch: its generate calls (one, or a memory-agent trajectory's). */
interface Response {
  readonly steps: readonly (StepTokens & { readonly entropy: Float32Array })[];
  readonly text: string;
  readonly finish: FinishReason;
}

/** G responses per prompt of the batch, prompt-major: single-pass, or memory-agent trajectories. */
async function rolloutResponses(
  inp: StepInputs,
): Promise<{ responses: Response[]; metrics: Record<string, number> }> {
  const { rollout } = inp.nodes;
  const g = rollout.group;
  const sampling = { temperature: rollout.temperature, topP: rollout.top_p, greedy: false };
  const streamKeys = ["rollout", inp.stage.name, inp.step];
  if (rollout.agent) {
    const agent = rollout.agent;
    const trajectories = await runMemoryAgent(
      inp.policy,
      inp.batch.map((i) => recordTask(inp.examples[i]!.record, agent)),
      {
        group: g,
        settings: agentSettings(agent, rollout.max_output),
        decode: { sampling, seed: inp.seed, streamKeys },
        keepSteps: true,
      },
    );
    const responses = trajectories.map((t) => ({
      steps: t.steps.map((s) => ({
        prompt: s.prompt,
        tokens: s.output.tokens,
        entropy: s.output.entropy,
      })),
      text: t.answer,
      finish: t.answerFinish,
    }));
    return { responses, metrics: agentMetrics(trajectories) };
  }
  const prompts = inp.batch.flatMap((i) =>
    Array.from({ length: g }, () => inp.examples[i]!.prompt),
  );
  const generated = await inp.policy.generate(prompts, {
    maxNewTokens: rollout.max_output,
    stopTokens: [byteTokenizer.special.eos],
    sampling,
    seed: inp.seed,
    streamKeys,
    padToken: byteTokenizer.special.pad,
  });
  const responses = generated.map((s, i) => ({
    steps: [{ prompt: prompts[i]!, tokens: s.tokens, entropy: s.entropy }],
    text: byteTokenizer.decode(s.tokens),
    finish: s.finish,
  }));
  return { responses, metrics: {} };
}

export async function rlStep(inp: StepInputs): Promise<StepOutcome> {
  const { nodes, policy } = inp;
  const { rollout } = nodes;
  const g = rollout.group;
  const t0 = performance.now();
  const { responses: generated, metrics: rolloutMetrics } = await rolloutResponses(inp);
  const t1 = performance.now();

  // Rewards: one per response. A failed reward (the judge could not answer) takes no part in
  // the update: its response gets weight 0, and it is counted, never scored as 0.
  const responses: ResponseInfo[] = [];
  const rewardValues: number[] = [];
  const failed: boolean[] = [];
  for (let r = 0; r < generated.length; r++) {
    const ex = inp.examples[inp.batch[Math.floor(r / g)]!]!;
    const reward = inp.rewards.get(ex.task);
    if (!reward) throw new Error(`stage ${inp.stage.name}: no reward for task ${ex.task}`);
    const outcome = await reward.score(generated[r]!.text, ex.record);
    responses.push({ groupIndex: Math.floor(r / g), task: ex.task, sampleId: ex.record.id });
    rewardValues.push(outcome.ok ? outcome.score : 0);
    failed.push(!outcome.ok);
  }
  // Failed responses are left out of the baseline statistics by giving them their group's mean.
  const forAdvantage = rewardValues.map((v, i) => {
    if (!failed[i]) return v;
    const grp = rewardValues.filter(
      (_, j) => Math.floor(j / g) === Math.floor(i / g) && !failed[j],
    );
    return grp.length > 0 ? mean(grp) : 0;
  });

  // A response's tokens are all its steps' generated tokens, concatenated (trajectory.ts).
  const layout = trajectoryLayout(generated.map((r) => r.steps));
  const { lengths, offsets } = layout;
  const entropies = concatStepValues(
    generated.map((r) => r.steps.map((s) => ({ values: s.entropy }))),
    layout,
  );

  const adv = computeAdvantages(
    forAdvantage,
    responses,
    advantageOptions(nodes.advantage),
    lengths,
  );
  const keep = new Uint8Array(entropies.length).fill(1);
  const metrics: Record<string, number> = { ...adv.metrics, ...rolloutMetrics };
  failed.forEach((f, i) => {
    if (f) keep.fill(0, offsets[i]!, offsets[i + 1]!);
  });
  const clip = clipOptions(nodes.mask);
  if (clip) {
    const m = negativeGradientClip(adv.advantages, entropies, offsets, clip);
    for (let k = 0; k < keep.length; k++) keep[k]! &= m.keep[k]!;
    Object.assign(metrics, m.metrics);
  }
  if (nodes.control.op === "aepo") {
    if (!inp.aepo) throw new Error(`stage ${inp.stage.name}: aepo control without a controller`);
    const a = inp.aepo.step(adv.advantages, entropies, offsets);
    for (let k = 0; k < keep.length; k++) keep[k]! &= a.keep[k]!;
    Object.assign(metrics, a.metrics);
  } else if (nodes.control.op === "aepo_fragment") {
    const a = aepoFragment(adv.advantages, forAdvantage, entropies, offsets, {
      low: nodes.control.low!,
      high: nodes.control.high!,
    });
    for (let k = 0; k < keep.length; k++) keep[k]! &= a.keep[k]!;
    Object.assign(metrics, a.metrics);
  }

  const weights = lossWeights(offsets, keep, {
    mode: nodes.loss.aggregate,
    normLength: rollout.max_output,
  });
  const tokenAdv = broadcastToTokens(adv.advantages, offsets);
  const seqs = stepSequences(
    generated.map((r) => r.steps),
    layout,
    weights,
    tokenAdv,
  );
  const packed = packBatch(seqs, byteTokenizer.special.pad);
  const o = nodes.optimizer;
  const result = await policy.trainStep(
    packed,
    {
      clipLow: nodes.loss.clip_low,
      clipHigh: nodes.loss.clip_high,
      dualClip: nodes.loss.dual_clip ?? 0,
      entropyCoef: nodes.loss.entropy_coef,
      temperature: rollout.temperature,
    },
    {
      lr: inp.lr,
      beta1: o.betas[0],
      beta2: o.betas[1],
      eps: o.eps,
      weightDecay: o.weight_decay,
      maxGradNorm: o.grad_clip,
    },
  );
  const t2 = performance.now();

  const passRates = new Map<number, number>();
  let mixed = 0;
  inp.batch.forEach((idx, p) => {
    const grp = rewardValues.slice(p * g, (p + 1) * g);
    passRates.set(idx, mean(grp));
    if (Math.max(...grp) !== Math.min(...grp)) mixed++;
  });
  const totalTokens = seqs.reduce((a, s) => a + s.tokens.length, 0);
  Object.assign(metrics, {
    [STEP_METRICS.reward]: mean(rewardValues.filter((_, i) => !failed[i])),
    [STEP_METRICS.rewardFailed]: failed.filter(Boolean).length,
    [STEP_METRICS.entropy]: mean(entropies),
    [STEP_METRICS.responseLength]: mean(lengths),
    [STEP_METRICS.truncatedFrac]: mean(generated.map((s) => (s.finish === "length" ? 1 : 0))),
    [STEP_METRICS.mixedGroupFrac]: inp.batch.length > 0 ? mixed / inp.batch.length : 0,
    [STEP_METRICS.lr]: inp.lr,
    [STEP_METRICS.loss]: result.loss,
    [RL_METRICS.gradNorm]: result.gradNorm,
    [STEP_METRICS.lossTokens]: packed.lossTokens,
    [STEP_METRICS.tokensPerSecond]: totalTokens / ((t2 - t0) / 1000),
    [STEP_METRICS.rolloutSeconds]: (t1 - t0) / 1000,
    [STEP_METRICS.updateSeconds]: (t2 - t1) / 1000,
  });
  return { metrics, passRates };
}
