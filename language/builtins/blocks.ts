// Every built-in block and its fields. The root spec lists what may appear at the top of a
// file; `experiment` holds the recipe, `ablation … of …` its rows.
import { BENCHMARKS } from "./functions.ts";
import type { BlockSpec, FieldSpec, Ty } from "./types.ts";

const steps: Ty = { kind: "int", range: { min: 1 }, unit: "steps" };
const positiveTokens: Ty = { kind: "tokens", range: { min: 1 } };

function f(
  name: string,
  type: Ty,
  doc: string,
  extra: Partial<Omit<FieldSpec, "name" | "type" | "doc">> = {},
): FieldSpec {
  return { name, type, doc, ...extra };
}

const model: BlockSpec = {
  keyword: "model",
  name: "required",
  repeatable: true,
  doc: "A policy model: its initial weights and its context window.",
  fields: [
    f(
      "init",
      { kind: "oneOf", of: [{ kind: "string" }, { kind: "fn", category: "init" }] },
      'Initial weights: a Hugging Face id such as "Qwen/Qwen3-30B-A3B-Thinking-2507" (verl backend) or `tiny(layers, dim, heads)` trained from scratch (built-in runtime).',
      { required: true },
    ),
    f(
      "context",
      positiveTokens,
      "Context window in tokens; every stage's input + output must fit.",
      { required: true },
    ),
  ],
  blocks: [],
};

const task: BlockSpec = {
  keyword: "<task>",
  name: "none",
  doc: "A task type: its data and its reward. The block's keyword is the task's name.",
  fields: [
    f(
      "data",
      { kind: "oneOf", of: [{ kind: "path" }, { kind: "fn", category: "data" }] },
      "A JSONL file inside the project, or `generate(kind = …)` for a built-in synthetic task.",
      { required: true },
    ),
    f(
      "reward",
      { kind: "fn", category: "reward" },
      "The outcome reward of a response, in [0, 1]; every task needs one (QLX5003).",
      { cite: { paper: "§5.1" } },
    ),
  ],
  blocks: [],
};

const tasks: BlockSpec = {
  keyword: "tasks",
  name: "none",
  doc: "The task types trained on; each entry `name { data = …, reward = … }`.",
  cite: { paper: "§4.2 (five task types)" },
  fields: [],
  blocks: [],
  entries: task,
};

const judge: BlockSpec = {
  keyword: "judge",
  name: "none",
  doc: "The LLM judge for `judge` rewards: an OpenAI-compatible chat endpoint, the only network access a file may declare.",
  cite: { paper: "§5.1, Table 6" },
  fields: [
    f(
      "endpoint",
      { kind: "secret" },
      'Base URL of the chat-completions endpoint, usually `env("QLX_JUDGE_URL")`.',
      { required: true },
    ),
    f("model", { kind: "string" }, "Judge model name sent to the endpoint.", { required: true }),
    f(
      "prompt",
      { kind: "prompt" },
      "The judge prompt; `std.prompts.equivalence` is the paper's Table 6 prompt in our words.",
      { default: "std.prompts.equivalence" },
    ),
    f(
      "api_key",
      { kind: "secret", envOnly: true },
      'API key; must come from `env("NAME")`, never a literal.',
    ),
    f(
      "timeout",
      { kind: "real", range: { min: 0, minExclusive: true } },
      "Seconds per request before a retry.",
      { default: 60 },
    ),
    f(
      "retries",
      { kind: "int", range: { min: 0 } },
      "Retries with exponential backoff before the call is recorded as failed.",
      { default: 3 },
    ),
  ],
  blocks: [],
};

const rollout: BlockSpec = {
  keyword: "rollout",
  name: "none",
  doc: "How responses are sampled: G responses per prompt, temperature and nucleus sampling, prompt truncation.",
  cite: { paper: "§5.1" },
  fields: [
    f("group", { kind: "int", range: { min: 1 } }, "G, responses per prompt.", { default: 8 }),
    f(
      "temperature",
      { kind: "real", range: { min: 0, minExclusive: true } },
      "Sampling temperature.",
      { default: 1 },
    ),
    f(
      "top_p",
      { kind: "real", range: { min: 0, max: 1, minExclusive: true } },
      "Nucleus sampling mass.",
      { default: 1 },
    ),
    f(
      "truncate",
      { kind: "enum", values: ["middle", "left", "right"] },
      "How prompts longer than the stage input are cut: middle keeps head and tail.",
      { default: "middle" },
    ),
  ],
  blocks: [],
};

const warmup: BlockSpec = {
  keyword: "warmup",
  name: "required",
  doc: "Supervised warm-up before RL (`warmup sft { … }`), needed by models trained from scratch so that RL has non-zero rewards to work with.",
  fields: [
    f("steps", steps, "Maximum warm-up steps.", { required: true }),
    f("lr", { kind: "real", range: { min: 0, minExclusive: true } }, "Learning rate.", {
      required: true,
    }),
    f("batch", { kind: "int", range: { min: 1 } }, "Examples per step.", { default: 32 }),
    f(
      "until",
      { kind: "predicate", subjects: ["accuracy"], range: { min: 0, max: 1 } },
      "Stop early once greedy accuracy satisfies it, e.g. `accuracy >= 0.3`.",
    ),
    f("check_every", steps, "Steps between accuracy checks.", { default: 20 }),
  ],
  blocks: [],
};

const stage: BlockSpec = {
  keyword: "stage",
  name: "required",
  from: true,
  repeatable: true,
  doc: "One RL stage with its length limits; `from` names the stage or merge whose weights it starts from (default: the previous stage).",
  cite: { paper: "§4.1" },
  fields: [
    f("input", positiveTokens, "Maximum prompt tokens.", { required: true }),
    f("output", positiveTokens, "Maximum response tokens.", { required: true }),
    f("steps", steps, "RL steps.", { required: true }),
    f(
      "retrospective",
      { kind: "fn", category: "retrospective" },
      "Carry hard examples of the previous stage into this one, e.g. `hard(pass_rate < 0.5)`.",
    ),
    f(
      "agent",
      { kind: "fn", category: "agent" },
      "Train as a memory agent instead of full-context, e.g. `memory(chunk = 32K, memory = 4K)`.",
      { cite: { paper: "§2.3" } },
    ),
    f(
      "model",
      { kind: "ref", to: "model" },
      "The initial model of a stage without `from`; default: the first model.",
    ),
  ],
  blocks: [],
};

const schedule: BlockSpec = {
  keyword: "schedule",
  name: "none",
  doc: "The stage graph: stages in order and merges of their results.",
  cite: { paper: "§4.1, Figure 6" },
  fields: [],
  blocks: [stage],
  keywordAssignments: [
    {
      keyword: "merge",
      type: { kind: "fn", category: "merge" },
      doc: "`merge name = sce(models = [a, b], base = a)` declares a merged model.",
    },
  ],
};

const evaluate: BlockSpec = {
  keyword: "evaluate",
  name: "none",
  doc: "Evaluation on long-context benchmarks, periodically and after chosen stages.",
  cite: { paper: "§5.1, Table 10" },
  fields: [
    f(
      "benchmarks",
      { kind: "list", of: { kind: "enum", values: BENCHMARKS }, minItems: 1, unique: true },
      "Benchmarks (the paper's six columns).",
      { required: true },
    ),
    f(
      "every",
      { kind: "int", range: { min: 0 }, unit: "steps" },
      "Evaluate every N steps within a stage; 0: only after stages.",
      { default: 0 },
    ),
    f(
      "after",
      { kind: "list", of: { kind: "ref", to: "stageOrMerge" }, unique: true },
      "Stages and merges evaluated when they finish; default: the final one.",
    ),
    f(
      "samples",
      { kind: "int", range: { min: 1 } },
      "Sampled answers per question (scores are averaged).",
      { default: 1 },
    ),
    f("limit", { kind: "int", range: { min: 0 } }, "Questions per benchmark; 0: all.", {
      default: 0,
    }),
    f(
      "input",
      positiveTokens,
      "Maximum input tokens (middle truncation); default: the last stage's input (the paper evaluates at 128K, §5.1).",
    ),
    f("output", positiveTokens, "Maximum generated tokens; default: the last stage's output."),
  ],
  blocks: [],
};

/** Fields of `experiment` that profiles and ablation rows most often override. */
const experimentFields: FieldSpec[] = [
  f("seed", { kind: "int", range: { min: 0 } }, "The root seed of every random stream.", {
    default: 0,
  }),
  f(
    "train",
    { kind: "bool" },
    "false: no RL, only evaluate the initial model (the base-model rows of Tables 2, 4, 5).",
    { default: true },
  ),
  f(
    "batch",
    { kind: "int", range: { min: 1 } },
    "Prompts per RL step; responses per step = batch × group.",
    { default: 128, cite: { paper: "§5.1" } },
  ),
  f(
    "mini_batch",
    { kind: "int", range: { min: 1 } },
    "Prompts per optimizer update when updates_per_batch > 1; must divide batch. Default: batch.",
  ),
  f(
    "data_parallel",
    { kind: "int", range: { min: 1 } },
    "Data-parallel workers; responses per step must divide evenly across them.",
    { default: 1 },
  ),
  f("sampler", { kind: "fn", category: "sampler" }, "Which prompts form a batch.", {
    default: "uniform",
    cite: { paper: "§4.2" },
  }),
  f("advantage", { kind: "fn", category: "advantage" }, "Advantage estimator.", {
    default: "grpo",
    cite: { paper: "Eq. 3, Eq. 7" },
  }),
  f("loss", { kind: "fn", category: "loss" }, "Policy loss.", {
    default: "policy_gradient",
    cite: { paper: "Eq. 8" },
  }),
  f("clip", { kind: "fn", category: "clip" }, "Negative-gradient clipping.", {
    default: "none",
    cite: { paper: "Eq. 9" },
  }),
  f("control", { kind: "fn", category: "control" }, "Entropy controller (AEPO).", {
    default: "none",
    cite: { paper: "Eq. 11" },
  }),
  f("optimizer", { kind: "fn", category: "optimizer" }, "Optimizer.", { required: true }),
];

export const EXPERIMENT: BlockSpec = {
  keyword: "experiment",
  name: "required",
  repeatable: true,
  doc: "One RL experiment: model, tasks, rollout, algorithm, stage schedule, evaluation and profiles.",
  fields: experimentFields,
  blocks: [model, tasks, judge, rollout, warmup, schedule, evaluate],
};

/** `profile tiny { … }` inside an experiment: overrides (`=`) and scale factors (`*=`). */
export const PROFILE: BlockSpec = {
  keyword: "profile",
  name: "required",
  repeatable: true,
  doc: "A named variant of the experiment: items override the experiment's fields and blocks; `x *= k` scales a number (`steps *= 0.1` scales every stage's steps). Selected with `--profile NAME`.",
  fields: [],
  blocks: [],
};

export const ROWS: BlockSpec = {
  keyword: "rows",
  name: "none",
  doc: 'The rows of the table: `"name" { overrides }`, or `for x in [..] { "name {x}" { … } }` grids.',
  fields: [],
  blocks: [],
};

export const ABLATION: BlockSpec = {
  keyword: "ablation",
  name: "required",
  of: true,
  repeatable: true,
  doc: "A table of variants of a base experiment: each row overrides fields of the base and compiles to its own graph.",
  cite: { paper: "Tables 2, 4, 5" },
  fields: [
    f(
      "seeds",
      { kind: "int", range: { min: 1 } },
      "Independent runs per row (seeds seed, seed + 1, …).",
      { default: 3 },
    ),
    f("profile", { kind: "string" }, "A profile of the base experiment applied before the rows."),
    f(
      "baseline",
      { kind: "string" },
      'The row the table compares every other row with (its name, e.g. "+ GRPO"). Default: the first row.',
    ),
  ],
  blocks: [ROWS],
};

/** The top of a file. */
export const ROOT: BlockSpec = {
  keyword: "<file>",
  name: "none",
  doc: "A .qlx file: `use` imports, experiments and ablations.",
  fields: [],
  blocks: [EXPERIMENT, ABLATION],
};

/** Every block spec, for docs and the LSP. */
export const ALL_BLOCKS: readonly BlockSpec[] = [
  EXPERIMENT,
  model,
  tasks,
  task,
  judge,
  rollout,
  warmup,
  schedule,
  stage,
  evaluate,
  PROFILE,
  ABLATION,
  ROWS,
];
