// `npm run bench -- executor [--steps N]`: how much of an RL step the executor spends outside
// the tensor engine at the recipe's tiny profile (issue 7: under 10%). The engine's share is
// the time inside Policy.generate / trainStep / logProbs (ONNX Runtime runs, KV-cache
// bookkeeping and token sampling); the rest — rewards, advantages, masks, AEPO, loss weights,
// packing, metrics — is the executor's overhead. Reported, not asserted.
import { mkdirSync, writeFileSync } from "node:fs";
import { compileFile } from "../compiler/index.ts";
import type { ExperimentIr } from "../compiler/ir/schema.ts";
import { stageExamples, taskStyle } from "../runtime/executor/examples.ts";
import { stageNodes, stages } from "../runtime/executor/plan.ts";
import { Policy } from "../runtime/executor/policy.ts";
import { rlStep } from "../runtime/executor/rl-step.ts";
import { stageAepo, stageLearningRate, stageSampler } from "../runtime/executor/stage-setup.ts";
import { modelConfig } from "../runtime/model/config.ts";
import { initWeights } from "../runtime/model/transformer.ts";
import { buildReward, rewardSpecFromIr } from "../runtime/rewards/registry.ts";

const RECIPE = new URL("../examples/qwenlong-l1.5/recipe.qlx", import.meta.url).pathname;

export async function main(args: string[]): Promise<void> {
  const stepsArg = args.indexOf("--steps");
  const steps = stepsArg >= 0 ? Number(args[stepsArg + 1]) : 30;
  const compiled = compileFile(RECIPE, { profile: "tiny" });
  const ir = compiled.ir as ExperimentIr;
  const stage = stages(ir)[0]!;
  const nodes = stageNodes(stage);
  const init = ir.models[0]!.init;
  if (init.kind !== "tiny") throw new Error("the recipe's tiny profile should use a tiny model");
  const config = modelConfig({
    vocab: 260,
    dim: init.dim,
    layers: init.layers,
    heads: init.heads,
    context: ir.models[0]!.context,
  });
  const policy = Policy.fromWeights(config, initWeights(config, ir.seed), { device: "cpu" });
  const examples = await stageExamples(ir.tasks, stage.input, {
    projectDir: ".",
    seed: ir.seed,
    style: taskStyle(ir),
  });
  const rewards = new Map(ir.tasks.map((t) => [t.name, buildReward(rewardSpecFromIr(t.reward))]));
  const sampler = stageSampler(
    ir.seed,
    stage,
    nodes,
    examples.map((e) => e.task),
  );
  const aepo = stageAepo(nodes);

  // Time inside the engine: wrap the policy's engine entry points.
  let engineMs = 0;
  for (const name of ["generate", "trainStep", "logProbs"] as const) {
    const original = policy[name].bind(policy) as (...a: unknown[]) => Promise<unknown>;
    (policy as unknown as Record<string, unknown>)[name] = async (...a: unknown[]) => {
      const t = performance.now();
      try {
        return await original(...a);
      } finally {
        engineMs += performance.now() - t;
      }
    };
  }
  const run = (step: number) =>
    rlStep({
      seed: ir.seed,
      stage,
      nodes,
      step,
      examples,
      batch: sampler.nextBatch(),
      rewards,
      policy,
      aepo,
      lr: stageLearningRate(nodes.optimizer, step),
    });
  for (let s = 1; s <= 3; s++) await run(s); // compile the graphs
  engineMs = 0;
  const t0 = performance.now();
  for (let s = 4; s < 4 + steps; s++) await run(s);
  const totalMs = performance.now() - t0;
  const overhead = (totalMs - engineMs) / totalMs;
  const result = {
    steps,
    msPerStep: totalMs / steps,
    engineMsPerStep: engineMs / steps,
    executorMsPerStep: (totalMs - engineMs) / steps,
    overheadFraction: overhead,
    target: "< 10% of a step",
    config: {
      model: config,
      stage: stage.name,
      prompts: nodes.sampler.batch,
      group: nodes.rollout.group,
    },
  };
  console.log(
    `executor overhead at the recipe's tiny profile (${steps} steps of ${stage.name}, ${nodes.sampler.batch} prompts × G ${nodes.rollout.group}):\n` +
      `  step ${result.msPerStep.toFixed(1)} ms = engine ${result.engineMsPerStep.toFixed(1)} ms + executor ${result.executorMsPerStep.toFixed(1)} ms` +
      ` → overhead ${(100 * overhead).toFixed(1)}% (target < 10%)`,
  );
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(
    new URL("./results/executor.json", import.meta.url),
    JSON.stringify(result, null, 2) + "\n",
  );
  await policy.release();
}
