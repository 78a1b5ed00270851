// Lowers a checked experiment (no error diagnostics) to the runtime-graph IR: one typed DAG
// per stage, merges between them, and every default and derived number written out.
import * as nodePath from "node:path";
import { lookupStd } from "../language/builtins.ts";
import { agentBudget } from "./agent-budget.ts";
import type { ExperimentModel, MergeModel, StageModel } from "./check.ts";
import {
  IR_VERSION,
  type ExperimentIr,
  type GraphNode,
  type Merge,
  type Reward,
  type Stage,
} from "./ir/schema.ts";
import { scheduleGraph } from "./schedule.ts";
import { call, list, num, refNames, str, type Val } from "./values.ts";

export interface LowerOptions {
  /** The entry file relative to the project directory. */
  readonly source: string;
  readonly profile: string | null;
  /** Data paths are written relative to this directory. */
  readonly projectDir: string;
}

/** The value of a field or argument the checker has established; a bug if it is missing. */
function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`lowering: ${what} is missing after a clean check`);
  return v;
}

const n = (v: Val | undefined, what: string): number => need(num(v), what);
const s = (v: Val | undefined, what: string): string => need(str(v), what);
const nullableNum = (v: Val | undefined): number | null => num(v) ?? null;

export function lowerReward(v: Val): Reward {
  const c = need(call(v), "reward");
  if (c.fn === "max" || c.fn === "fallback")
    return { op: c.fn, of: list(c.args.get("rewards")).map(lowerReward) };
  if (c.fn === "numeric_match")
    return {
      op: "numeric_match",
      rel_tol: n(c.args.get("rel_tol"), "rel_tol"),
      abs_tol: n(c.args.get("abs_tol"), "abs_tol"),
    };
  return { op: c.fn as Extract<Reward, { op: "contains" }>["op"] };
}

function usesJudge(r: Reward): boolean {
  return r.op === "judge" || ("of" in r && r.of.some(usesJudge));
}

function secret(
  v: Val | undefined,
): { kind: "env"; name: string } | { kind: "literal"; value: string } | null {
  if (v?.k === "env") return { kind: "env", name: v.name };
  if (v?.k === "str") return { kind: "literal", value: v.v };
  return null;
}

export function lowerExperiment(m: ExperimentModel, opts: LowerOptions): ExperimentIr {
  const root = m.root.fields;
  const graph = scheduleGraph(m);
  const dataParallel = n(root.get("data_parallel"), "data_parallel");
  const judge = m.judge?.fields;
  const warm = m.warmup?.fields;
  const evaluate = m.evaluate?.fields;
  const rollout = m.rollout.fields;
  const stageNames = m.schedule.filter((x) => x.kind === "stage").map((x) => x.name);
  const train = root.get("train")?.k === "bool" ? (root.get("train") as { v: boolean }).v : true;
  const after = evaluate === undefined ? [] : refNames(evaluate.get("after"));
  const evalAfter =
    evaluate === undefined ? [] : after.length > 0 ? after : train ? graph.order.slice(-1) : [];
  const schedule = train
    ? m.schedule.map((x, index) =>
        x.kind === "stage"
          ? lowerStage(
              m,
              x,
              index,
              graph.startOf.get(x.name) ?? null,
              graph.modelOf.get(x.name),
              stageNames,
              evalAfter,
            )
          : lowerMerge(x, index),
      )
    : [];
  const until = warm?.get("until");
  const lastStage = m.schedule.filter((x) => x.kind === "stage").at(-1);
  return {
    version: IR_VERSION,
    kind: "experiment",
    name: m.name,
    source: opts.source,
    profile: opts.profile,
    seed: n(root.get("seed"), "seed"),
    train,
    data_parallel: dataParallel,
    models: m.models.map((x) => {
      const init = x.fields.get("init");
      const tiny = call(init);
      return {
        name: x.name,
        init:
          tiny === undefined
            ? { kind: "hf" as const, id: s(init, "init") }
            : {
                kind: "tiny" as const,
                layers: n(tiny.args.get("layers"), "layers"),
                dim: n(tiny.args.get("dim"), "dim"),
                heads: n(tiny.args.get("heads"), "heads"),
                vocab: n(tiny.args.get("vocab"), "vocab"),
                seed: n(tiny.args.get("seed"), "seed"),
              },
        context: n(x.fields.get("context"), "context"),
      };
    }),
    tasks: m.tasks.map((t, index) => {
      const tinyPolicy = m.models.some((x) => call(x.fields.get("init")) !== undefined);
      const data = t.fields.get("data");
      const gen = call(data);
      const factsArg = gen?.args.get("facts");
      const facts = factsArg === undefined ? [] : list(factsArg).map((f) => n(f, "facts"));
      return {
        name: t.name,
        index,
        data:
          gen === undefined
            ? { kind: "path" as const, path: projectRelative(opts.projectDir, need(data, "data")) }
            : {
                kind: "generate" as const,
                generator: s(gen.args.get("kind"), "kind") as "multihop",
                count: n(gen.args.get("count"), "count"),
                // A tiny from-scratch policy learns only the compact rendering.
                style: (str(gen.args.get("style")) ?? (tinyPolicy ? "tiny" : "natural")) as
                  "tiny" | "natural",
                facts:
                  facts.length === 0
                    ? null
                    : ([facts[0], facts[facts.length - 1]] as [number, number]),
                hops: nullableNum(gen.args.get("hops")),
                choices: nullableNum(gen.args.get("choices")),
                seed: n(gen.args.get("seed"), "seed"),
              },
        reward: lowerReward(need(t.fields.get("reward"), "reward")),
      };
    }),
    judge:
      judge === undefined ||
      !m.tasks.some((t) => usesJudge(lowerReward(need(t.fields.get("reward"), "reward"))))
        ? null
        : {
            endpoint: need(secret(judge.get("endpoint")) ?? undefined, "endpoint"),
            api_key: secret(judge.get("api_key")),
            model: s(judge.get("model"), "judge model"),
            prompt: promptOf(need(judge.get("prompt"), "prompt")),
            timeout_s: n(judge.get("timeout"), "timeout"),
            retries: n(judge.get("retries"), "retries"),
          },
    warmup:
      warm === undefined
        ? null
        : {
            method: "sft",
            steps: n(warm.get("steps"), "warmup steps"),
            lr: n(warm.get("lr"), "warmup lr"),
            batch: n(warm.get("batch"), "warmup batch"),
            until_accuracy: until?.k === "pred" ? { op: until.op, value: until.value } : null,
            check_every: n(warm.get("check_every"), "check_every"),
          },
    schedule,
    evaluate:
      evaluate === undefined
        ? null
        : {
            benchmarks: list(evaluate.get("benchmarks")).map((b) => s(b, "benchmark")),
            every: n(evaluate.get("every"), "every"),
            after: evalAfter,
            samples: n(evaluate.get("samples"), "samples"),
            limit: n(evaluate.get("limit"), "limit"),
            input:
              num(evaluate.get("input")) ?? n(lastStage?.fields.get("input"), "evaluate input"),
            output:
              num(evaluate.get("output")) ?? n(lastStage?.fields.get("output"), "evaluate output"),
            temperature: n(rollout.get("temperature"), "temperature"),
            top_p: n(rollout.get("top_p"), "top_p"),
            truncate: s(rollout.get("truncate"), "truncate") as "middle",
          },
  };
}

/** A data path as the IR stores it: relative to the project directory, with `/` separators. */
function projectRelative(projectDir: string, v: Val): string {
  const abs = nodePath.resolve(nodePath.dirname(v.span.file), s(v, "data"));
  return nodePath.relative(projectDir, abs).split(nodePath.sep).join("/");
}

function promptOf(v: Val): { source: string; text: string } {
  if (v.k === "std") return { source: v.path, text: need(lookupStd(v.path), v.path).text };
  return { source: "inline", text: s(v, "prompt") };
}

function lowerStage(
  m: ExperimentModel,
  st: StageModel,
  index: number,
  from: string | null,
  model: string | undefined,
  stageNames: readonly string[],
  evalAfter: readonly string[],
): Stage {
  const root = m.root.fields;
  const rollout = m.rollout.fields;
  const f = st.fields;
  const batch = n(root.get("batch"), "batch");
  const group = n(rollout.get("group"), "group");
  const dp = n(root.get("data_parallel"), "data_parallel");
  const steps = n(f.get("steps"), "steps");
  const input = n(f.get("input"), "input");
  const output = n(f.get("output"), "output");
  const sampler = need(call(root.get("sampler")), "sampler");
  const advantage = need(call(root.get("advantage")), "advantage");
  const loss = need(call(root.get("loss")), "loss");
  const clip = need(call(root.get("clip")), "clip");
  const control = need(call(root.get("control")), "control");
  const optimizer = need(call(root.get("optimizer")), "optimizer");
  const retro = call(f.get("retrospective"));
  const agent = call(f.get("agent"));
  const previousStage = stageNames[stageNames.indexOf(st.name) - 1];
  const over =
    sampler.fn === "uniform"
      ? []
      : sampler.fn === "pass_rate_binned"
        ? m.tasks.map((t) => t.name)
        : refNames(sampler.args.get("over"));
  const klLoss = n(loss.args.get("kl"), "kl");
  const klReward = n(loss.args.get("kl_reward"), "kl_reward");
  const estimator = s(loss.args.get("kl_estimator"), "kl_estimator") as "k3";
  const when = clip.args.get("when");
  const evaluate = m.evaluate?.fields;
  const every = evaluate === undefined ? 0 : n(evaluate.get("every"), "every");
  const id = (kind: string) => `${st.name}.${kind}`;
  const nodes: GraphNode[] = [
    {
      id: id("dataset"),
      kind: "dataset",
      out: "Examples",
      inputs: [],
      tasks: m.tasks.map((t) => t.name),
      max_input: input,
      truncate: s(rollout.get("truncate"), "truncate") as "middle",
      retrospective:
        retro === undefined || previousStage === undefined
          ? null
          : { from_stage: previousStage, pass_rate: predicate(retro.args.get("when")) },
    },
    {
      id: id("sampler"),
      kind: "sampler",
      out: "Prompts[B]",
      inputs: [id("dataset")],
      op: sampler.fn as "uniform",
      batch,
      over,
      share: over.length === 0 ? 0 : Math.floor(batch / over.length),
      remainder: over.length === 0 ? 0 : batch % over.length,
      pass_rate:
        sampler.fn === "pass_rate_binned"
          ? {
              k: n(sampler.args.get("k"), "k"),
              bins: n(sampler.args.get("bins"), "bins"),
              per_bin: n(sampler.args.get("per_bin"), "per_bin"),
            }
          : null,
    },
    {
      id: id("rollout"),
      kind: "rollout",
      out: "Rollouts[B,G]",
      inputs: [id("sampler")],
      group,
      temperature: n(rollout.get("temperature"), "temperature"),
      top_p: n(rollout.get("top_p"), "top_p"),
      max_input: input,
      max_output: output,
      agent:
        agent === undefined
          ? null
          : {
              kind: "memory",
              chunk: n(agent.args.get("chunk"), "chunk"),
              memory: n(agent.args.get("memory"), "memory"),
              plan:
                agent.args.get("plan")?.k === "bool"
                  ? (agent.args.get("plan") as { v: boolean }).v
                  : true,
              max_chunks: n(agent.args.get("max_chunks"), "max_chunks"),
            },
    },
    {
      id: id("reward"),
      kind: "reward",
      out: "Tensor<f32,[B*G]>",
      inputs: [id("rollout")],
      per_task: m.tasks.map((t) => ({
        task: t.name,
        reward: lowerReward(need(t.fields.get("reward"), "reward")),
      })),
      kl_coef: klReward,
      kl_estimator: estimator,
    },
    {
      id: id("advantage"),
      kind: "advantage",
      out: "Tensor<f32,[B*G]>",
      inputs: [id("reward")],
      op: advantage.fn as "grpo",
      baseline:
        advantage.fn === "rloo"
          ? "leave_one_out"
          : advantage.fn === "reinforce_plus_plus"
            ? "batch_mean"
            : (s(advantage.args.get("baseline"), "baseline") as "group_mean"),
      std:
        advantage.fn === "rloo"
          ? "none"
          : advantage.fn === "reinforce_plus_plus"
            ? "batch"
            : (s(advantage.args.get("std"), "std") as "group"),
      eps: advantage.fn === "rloo" ? 0 : n(advantage.args.get("eps"), "eps"),
    },
    {
      id: id("mask"),
      kind: "mask",
      out: "Mask<[B*G,T]>",
      inputs: [id("rollout"), id("advantage")],
      op: clip.fn as "none",
      level: clip.fn === "none" ? null : (s(clip.args.get("level"), "level") as "token"),
      entropy: clip.fn === "none" ? null : predicate(when),
    },
    {
      id: id("control"),
      kind: "control",
      out: "Mask<[B*G]>",
      inputs: [id("rollout"), id("advantage")],
      op: control.fn as "aepo",
      low: nullableNum(control.args.get("low")),
      high: nullableNum(control.args.get("high")),
    },
    {
      id: id("loss"),
      kind: "loss",
      out: "Scalar",
      inputs: [id("rollout"), id("advantage"), id("mask"), id("control")],
      op: "policy_gradient",
      aggregate: s(loss.args.get("aggregate"), "aggregate") as "token_mean",
      clip_low: n(loss.args.get("clip_low"), "clip_low"),
      clip_high: n(loss.args.get("clip_high"), "clip_high"),
      dual_clip: nullableNum(loss.args.get("dual_clip")),
      kl_coef: klLoss,
      kl_estimator: estimator,
      entropy_coef: n(loss.args.get("entropy"), "entropy"),
      updates_per_batch: n(loss.args.get("updates_per_batch"), "updates_per_batch"),
      mini_batch: num(root.get("mini_batch")) ?? batch,
    },
    {
      id: id("optimizer"),
      kind: "optimizer",
      out: "Params",
      inputs: [id("loss")],
      op: "adamw",
      lr: n(optimizer.args.get("lr"), "lr"),
      betas: list(optimizer.args.get("betas"))
        .map((b) => n(b, "betas"))
        .slice(0, 2) as [number, number],
      weight_decay: n(optimizer.args.get("weight_decay"), "weight_decay"),
      eps: n(optimizer.args.get("eps"), "eps"),
      grad_clip: n(optimizer.args.get("grad_clip"), "grad_clip"),
      warmup_steps: n(optimizer.args.get("warmup"), "warmup"),
    },
    {
      id: id("checkpoint"),
      kind: "checkpoint",
      out: "Checkpoint",
      inputs: [id("optimizer")],
      at_end: true,
    },
  ];
  if (evaluate !== undefined && (every > 0 || evalAfter.includes(st.name))) {
    nodes.push({
      id: id("evaluate"),
      kind: "evaluate",
      out: "Scores",
      inputs: [id("optimizer")],
      benchmarks: list(evaluate.get("benchmarks")).map((b) => s(b, "benchmark")),
      every,
      at_end: evalAfter.includes(st.name),
    });
  }
  const responses = batch * group;
  const budget =
    agent === undefined
      ? undefined
      : agentBudget({
          input,
          output,
          chunk: n(agent.args.get("chunk"), "chunk"),
          memory: n(agent.args.get("memory"), "memory"),
          maxChunks: n(agent.args.get("max_chunks"), "max_chunks"),
          tinyModel: m.models.some(
            (x) => x.name === model && call(x.fields.get("init")) !== undefined,
          ),
        });
  return {
    kind: "stage",
    name: st.name,
    index,
    from,
    model: need(model, "stage model"),
    steps,
    input,
    output,
    nodes,
    derived: {
      prompts_per_step: batch,
      responses_per_step: responses,
      responses_per_worker: responses / dp,
      // With the memory agent a response is a trajectory of K + 1 steps (§2.3).
      max_tokens_per_step: responses * (budget?.trajectoryTokens ?? input + output),
      max_response_tokens_per_step: responses * (budget?.trajectoryResponseTokens ?? output),
      total_responses: responses * steps,
    },
  };
}

function predicate(v: Val | undefined): { op: "<" | "<=" | ">" | ">="; value: number } {
  const p = need(v?.k === "pred" ? v : undefined, "condition");
  return { op: p.op, value: p.value };
}

function lowerMerge(mg: MergeModel, index: number): Merge {
  const c = need(call(mg.value), "merge");
  const opt = (name: string) => nullableNum(c.args.get(name));
  return {
    kind: "merge",
    name: mg.name,
    index,
    op: c.fn as "sce",
    models: refNames(c.args.get("models")),
    base: c.args.get("base")?.k === "ref" ? s(c.args.get("base"), "base") : null,
    weights: list(c.args.get("weights")).map((w) => n(w, "weights")),
    scale: opt("scale"),
    density: opt("density"),
    topk: opt("topk"),
    seed: opt("seed"),
  };
}
