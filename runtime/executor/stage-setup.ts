// The per-stage objects an RL stage's steps share, built from its IR nodes: the prompt sampler,
// the AEPO controller (Eq. 11) and the learning-rate schedule. `qlx run` and the executor
// benchmark build them here, so the benchmark times the step the run takes.
import type { Stage } from "../../compiler/ir/schema.ts";
import { AepoController, type AepoState } from "../rl/aepo.ts";
import { TaskBalancedSampler, type TaskBalancedState } from "../rl/samplers/taskBalanced.ts";
import { UniformSampler, type UniformSamplerState } from "../rl/samplers/uniform.ts";
import { hashKeys } from "../rng.ts";
import type { StageNodes } from "./plan.ts";

export type StageSampler = TaskBalancedSampler | UniformSampler;

/**
 * The stage's sampler over its examples (`tasks[i]`: example i's task): task-balanced when the
 * IR asks for it or names tasks to balance over, else uniform; seeded per stage, resumed from
 * `state` when given.
 */
export function stageSampler(
  seed: number,
  stage: Stage,
  nodes: StageNodes,
  tasks: readonly string[],
  state?: TaskBalancedState | UniformSamplerState,
): StageSampler {
  const samplerSeed = hashKeys(seed, "sampler", stage.name);
  const balanced = nodes.sampler.op === "task_balanced" || nodes.sampler.over.length > 0;
  return balanced
    ? new TaskBalancedSampler(
        tasks,
        { batchSize: nodes.sampler.batch, over: "task", tasks: nodes.sampler.over },
        samplerSeed,
        state as TaskBalancedState | undefined,
      )
    : new UniformSampler(
        tasks.length,
        nodes.sampler.batch,
        samplerSeed,
        state as UniformSamplerState | undefined,
      );
}

/** The stage's AEPO controller, or undefined without `control = aepo(...)`. */
export function stageAepo(nodes: StageNodes, state?: AepoState): AepoController | undefined {
  return nodes.control.op === "aepo"
    ? new AepoController({ low: nodes.control.low!, high: nodes.control.high! }, state)
    : undefined;
}

/** The learning rate at `step` (1-based): linear warm-up over `warmup_steps`, then constant. */
export function stageLearningRate(optimizer: StageNodes["optimizer"], step: number): number {
  return optimizer.warmup_steps > 0
    ? optimizer.lr * Math.min(1, step / optimizer.warmup_steps)
    : optimizer.lr;
}
