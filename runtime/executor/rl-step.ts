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
import type { StepResult } from "../tensor/train.ts";
import { RL_METRICS } from "../rl/metrics.ts";
import { negativeGradientClip } from "../rl/clipping.ts";
import { broadcastToTokens, klShapedRewards, policyLoss } from "../rl/policyLoss.ts";
import { byteTokenizer } from "../tokenizer/byte.ts";
import type { Example } from "./examples.ts";
import { advantageOptions, clipOptions, type StageNodes } from "./plan.ts";
import { packBatch, responseValues, type Policy, type TrainSequence } from "./policy.ts";

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

  // PPO updates beyond the first and KL penalties need the rollout policy's and the reference
  // policy's log-probs of every response token, scored like the training step (logits / T).
  const steps = generated.map((r) => r.steps);
  const tokensTotal = offsets[offsets.length - 1]!;
  const { loss: lossNode, reward: rewardNode } = nodes;
  const offPolicy = lossNode.updates_per_batch > 1 || lossNode.kl_coef > 0;
  const needRef = lossNode.kl_coef > 0 || rewardNode.kl_coef > 0;
  let oldLogp: Float64Array | undefined;
  let refLogp: Float64Array | undefined;
  if (offPolicy || needRef) {
    const zeros = new Float64Array(tokensTotal);
    const scoringSeqs = stepSequences(steps, layout, zeros, zeros);
    const scoring = packBatch(scoringSeqs, byteTokenizer.special.pad);
    const unpack = (packed: Float32Array) => responseValues(scoring, packed, scoringSeqs);
    oldLogp = unpack(await policy.logProbs(scoring, rollout.temperature, "current"));
    if (needRef) refLogp = unpack(await policy.logProbs(scoring, rollout.temperature, "reference"));
  }
  let shaped = forAdvantage;
  const klMetrics: Record<string, number> = {};
  if (rewardNode.kl_coef > 0) {
    const k = klShapedRewards(
      forAdvantage,
      oldLogp!,
      refLogp!,
      offsets,
      rewardNode.kl_coef,
      rewardNode.kl_estimator,
    );
    shaped = Array.from(k.rewards);
    Object.assign(klMetrics, k.metrics);
  }

  const adv = computeAdvantages(shaped, responses, advantageOptions(nodes.advantage), lengths);
  const keep = new Uint8Array(entropies.length).fill(1);
  const metrics: Record<string, number> = { ...adv.metrics, ...rolloutMetrics, ...klMetrics };
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

  const tokenAdv = broadcastToTokens(adv.advantages, offsets);
  const lossHyper = {
    clipLow: lossNode.clip_low,
    clipHigh: lossNode.clip_high,
    dualClip: lossNode.dual_clip ?? 0,
    klCoef: lossNode.kl_coef,
    entropyCoef: lossNode.entropy_coef,
    temperature: rollout.temperature,
  };
  const o = nodes.optimizer;
  const optHyper = {
    lr: inp.lr,
    beta1: o.betas[0],
    beta2: o.betas[1],
    eps: o.eps,
    weightDecay: o.weight_decay,
    maxGradNorm: o.grad_clip,
  };
  // One optimizer update per mini-batch of `mini_batch` prompts, `updates_per_batch` passes
  // over the batch (verl's ppo_mini_batch_size and ppo_epochs); the loss is aggregated within
  // each update. The on-policy case (one update of the whole batch, no KL) trains with ratio 1.
  const promptsPerUpdate = Math.min(lossNode.mini_batch, inp.batch.length);
  const trainSeqs: TrainSequence[] = [];
  let result: StepResult | undefined;
  let lossTokens = 0;
  let updates = 0;
  const lossParts: Record<string, number> = {};
  for (let epoch = 0; epoch < lossNode.updates_per_batch; epoch++) {
    for (let first = 0; first < inp.batch.length; first += promptsPerUpdate) {
      const from = first * g;
      const to = Math.min(inp.batch.length, first + promptsPerUpdate) * g;
      const sub = trajectoryLayout(steps.slice(from, to));
      const base = offsets[from]!;
      const slice = (x: Float64Array | undefined) => x?.subarray(base, offsets[to]!);
      const subWeights = lossWeights(sub.offsets, keep.subarray(base, offsets[to]!), {
        mode: lossNode.aggregate,
        normLength: rollout.max_output,
      });
      const seqs = stepSequences(steps.slice(from, to), sub, subWeights, slice(tokenAdv)!, {
        ...(offPolicy ? { oldLogp: slice(oldLogp) } : {}),
        ...(lossNode.kl_coef > 0 ? { refLogp: slice(refLogp) } : {}),
      });
      const packed = packBatch(seqs, byteTokenizer.special.pad);
      result = await policy.trainStep(
        packed,
        lossHyper,
        optHyper,
        offPolicy
          ? {
              oldLogp: "input",
              ...(lossNode.kl_coef > 0 ? { klEstimator: lossNode.kl_estimator } : {}),
            }
          : { oldLogp: "self" },
      );
      lossTokens += packed.lossTokens;
      if (epoch === 0) trainSeqs.push(...seqs);
      // The loss's parts and clip fractions (runtime/rl/policyLoss.ts), from the log-probs the
      // update saw; averaged over the step's updates.
      const scored = (name: string) => responseValues(packed, result!.outputs[name]!, seqs);
      const logp = scored("logp");
      const parts = policyLoss(
        {
          logp,
          oldLogp: offPolicy ? slice(oldLogp)! : logp,
          advantages: slice(tokenAdv)!,
          ...(lossNode.kl_coef > 0 ? { refLogp: slice(refLogp)! } : {}),
          entropy: scored("entropy"),
          weights: subWeights,
        },
        { ...lossHyper, klEstimator: lossNode.kl_estimator },
      ).metrics;
      updates++;
      for (const [k, v] of Object.entries(parts)) lossParts[k] = (lossParts[k] ?? 0) + v;
    }
  }
  for (const [k, v] of Object.entries(lossParts)) metrics[k] = v / updates;
  const t2 = performance.now();

  const passRates = new Map<number, number>();
  let mixed = 0;
  inp.batch.forEach((idx, p) => {
    const grp = rewardValues.slice(p * g, (p + 1) * g);
    passRates.set(idx, mean(grp));
    if (Math.max(...grp) !== Math.min(...grp)) mixed++;
  });
  const totalTokens = trainSeqs.reduce((a, s) => a + s.tokens.length, 0);
  Object.assign(metrics, {
    [STEP_METRICS.reward]: mean(rewardValues.filter((_, i) => !failed[i])),
    [STEP_METRICS.rewardFailed]: failed.filter(Boolean).length,
    [STEP_METRICS.entropy]: mean(entropies),
    [STEP_METRICS.responseLength]: mean(lengths),
    [STEP_METRICS.truncatedFrac]: mean(generated.map((s) => (s.finish === "length" ? 1 : 0))),
    [STEP_METRICS.mixedGroupFrac]: inp.batch.length > 0 ? mixed / inp.batch.length : 0,
    [STEP_METRICS.lr]: inp.lr,
    [STEP_METRICS.loss]: result!.loss,
    [RL_METRICS.gradNorm]: result!.gradNorm,
    [STEP_METRICS.lossTokens]: lossTokens,
    [STEP_METRICS.tokensPerSecond]: totalTokens / ((t2 - t0) / 1000),
    [STEP_METRICS.rolloutSeconds]: (t1 - t0) / 1000,
    [STEP_METRICS.updateSeconds]: (t2 - t1) / 1000,
  });
  return { metrics, passRates };
}
