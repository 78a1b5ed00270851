// The runtime-graph IR: the contract between the compiler and every backend. All defaults and
// derived numbers are resolved here, so a backend translates, never re-derives. Key order of
// the emitted JSON is the order of the fields below (zod parses into schema order), which makes
// the output canonical. Bump IR_VERSION on any incompatible change.
import { z } from "zod";

export const IR_VERSION = "qlx-ir/1";

const Name = z.string().min(1);
const Count = z.number().int().nonnegative();
const Positive = z.number().int().positive();
const CompareOp = z.enum(["<", "<=", ">", ">="]);

export const Comparison = z.object({ op: CompareOp, value: z.number() });
export type Comparison = z.infer<typeof Comparison>;

export type Reward =
  | {
      op:
        | "choice_accuracy"
        | "contains"
        | "cem"
        | "em"
        | "f1"
        | "sequence_ratio"
        | "mrcr_grade"
        | "judge";
    }
  | { op: "numeric_match"; rel_tol: number; abs_tol: number }
  | { op: "max" | "fallback"; of: Reward[] };
export const Reward: z.ZodType<Reward> = z.lazy(() =>
  z.union([
    z.object({
      op: z.enum([
        "choice_accuracy",
        "contains",
        "cem",
        "em",
        "f1",
        "sequence_ratio",
        "mrcr_grade",
        "judge",
      ]),
    }),
    z.object({ op: z.literal("numeric_match"), rel_tol: z.number(), abs_tol: z.number() }),
    z.object({ op: z.enum(["max", "fallback"]), of: z.array(Reward).min(1) }),
  ]),
);

export const Secret = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("env"), name: Name }),
  z.object({ kind: z.literal("literal"), value: z.string() }),
]);

export const TaskData = z.discriminatedUnion("kind", [
  /** Relative to the project directory. */
  z.object({ kind: z.literal("path"), path: z.string() }),
  z.object({
    kind: z.literal("generate"),
    generator: z.enum([
      "multiple_choice",
      "multihop",
      "reading",
      "dialogue_memory",
      "corpus_numeric",
    ]),
    count: Positive,
    style: z.enum(["tiny", "natural"]),
    /** Difficulty knobs; null: the generator's default for the style. */
    facts: z.tuple([Positive, Positive]).nullable(),
    hops: Positive.nullable(),
    choices: Positive.nullable(),
    seed: Count,
  }),
]);

export const Task = z.object({ name: Name, index: Count, data: TaskData, reward: Reward });

export const ModelInit = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("hf"), id: z.string() }),
  z.object({
    kind: z.literal("tiny"),
    layers: Positive,
    dim: Positive,
    heads: Positive,
    vocab: Positive,
    seed: Count,
  }),
]);

export const Model = z.object({ name: Name, init: ModelInit, context: Positive });

export const Judge = z.object({
  endpoint: Secret,
  api_key: Secret.nullable(),
  model: z.string(),
  prompt: z.object({ source: z.string(), text: z.string() }),
  timeout_s: z.number().positive(),
  retries: Count,
});

export const Warmup = z.object({
  method: z.literal("sft"),
  steps: Positive,
  lr: z.number().positive(),
  batch: Positive,
  until_accuracy: Comparison.nullable(),
  check_every: Positive,
});

// ── stage graph nodes (typed ports: `out` names what the node produces) ───────────────────
const node = <K extends string, T extends z.ZodRawShape>(kind: K, out: string, shape: T) =>
  z.object({
    id: Name,
    kind: z.literal(kind),
    out: z.literal(out),
    inputs: z.array(Name),
    ...shape,
  });

export const DatasetNode = node("dataset", "Examples", {
  tasks: z.array(Name),
  max_input: Positive,
  truncate: z.enum(["middle", "left", "right"]),
  /** Hard examples carried from the previous stage (§4.1); null: none. */
  retrospective: z.object({ from_stage: Name, pass_rate: Comparison }).nullable(),
});

export const SamplerNode = node("sampler", "Prompts[B]", {
  op: z.enum(["uniform", "task_balanced", "pass_rate_binned"]),
  batch: Positive,
  /** Tasks balanced over, in order; empty for uniform. */
  over: z.array(Name),
  /** ⌊batch / tasks⌋ prompts of each task per batch; 0 for uniform. */
  share: Count,
  /** batch mod tasks extra prompts per batch, one each to tasks chosen by rotation (§4.2). */
  remainder: Count,
  pass_rate: z.object({ k: Positive, bins: Positive, per_bin: Count }).nullable(),
});

export const RolloutNode = node("rollout", "Rollouts[B,G]", {
  group: Positive,
  temperature: z.number().positive(),
  top_p: z.number().positive().max(1),
  max_input: Positive,
  max_output: Positive,
  agent: z
    .object({
      kind: z.literal("memory"),
      chunk: Positive,
      memory: Positive,
      plan: z.boolean(),
      max_chunks: Count,
    })
    .nullable(),
});

export const RewardNode = node("reward", "Tensor<f32,[B*G]>", {
  per_task: z.array(z.object({ task: Name, reward: Reward })),
  kl_coef: z.number().nonnegative(),
  kl_estimator: z.enum(["k1", "k2", "k3"]),
});

export const AdvantageNode = node("advantage", "Tensor<f32,[B*G]>", {
  op: z.enum(["grpo", "rloo", "reinforce_plus_plus"]),
  baseline: z.enum(["group_mean", "leave_one_out", "batch_mean", "none"]),
  std: z.enum(["group", "batch", "task_batch", "none"]),
  eps: z.number().nonnegative(),
});

export const MaskNode = node("mask", "Mask<[B*G,T]>", {
  op: z.enum(["none", "negative_gradient"]),
  level: z.enum(["token", "sequence"]).nullable(),
  entropy: Comparison.nullable(),
});

export const ControlNode = node("control", "Mask<[B*G]>", {
  op: z.enum(["none", "aepo", "aepo_fragment"]),
  low: z.number().nullable(),
  high: z.number().nullable(),
});

export const LossNode = node("loss", "Scalar", {
  op: z.literal("policy_gradient"),
  aggregate: z.enum([
    "token_mean",
    "seq_mean_token_sum",
    "seq_mean_token_mean",
    "seq_mean_token_sum_norm",
  ]),
  clip_low: z.number().nonnegative(),
  clip_high: z.number().nonnegative(),
  dual_clip: z.number().nullable(),
  kl_coef: z.number().nonnegative(),
  kl_estimator: z.enum(["k1", "k2", "k3"]),
  entropy_coef: z.number().nonnegative(),
  updates_per_batch: Positive,
  mini_batch: Positive,
});

export const OptimizerNode = node("optimizer", "Params", {
  op: z.literal("adamw"),
  lr: z.number().positive(),
  betas: z.tuple([z.number(), z.number()]),
  weight_decay: z.number().nonnegative(),
  eps: z.number().positive(),
  grad_clip: z.number().positive(),
  warmup_steps: Count,
});

export const CheckpointNode = node("checkpoint", "Checkpoint", { at_end: z.literal(true) });

export const EvaluateNode = node("evaluate", "Scores", {
  benchmarks: z.array(Name),
  every: Count,
  at_end: z.boolean(),
});

export const GraphNode = z.discriminatedUnion("kind", [
  DatasetNode,
  SamplerNode,
  RolloutNode,
  RewardNode,
  AdvantageNode,
  MaskNode,
  ControlNode,
  LossNode,
  OptimizerNode,
  CheckpointNode,
  EvaluateNode,
]);
export type GraphNode = z.infer<typeof GraphNode>;

export const StageDerived = z.object({
  prompts_per_step: Positive,
  responses_per_step: Positive,
  responses_per_worker: Positive,
  /** Upper bound of tokens in one step's rollouts: responses × (input + output). */
  max_tokens_per_step: Positive,
  max_response_tokens_per_step: Positive,
  total_responses: Positive,
});

export const Stage = z.object({
  kind: z.literal("stage"),
  name: Name,
  index: Count,
  /** The stage or merge whose weights it starts from; null: the initial model. */
  from: Name.nullable(),
  model: Name,
  steps: Positive,
  input: Positive,
  output: Positive,
  nodes: z.array(GraphNode),
  derived: StageDerived,
});
export type Stage = z.infer<typeof Stage>;

export const Merge = z.object({
  kind: z.literal("merge"),
  name: Name,
  index: Count,
  op: z.enum(["linear", "task_arithmetic", "ties", "dare", "sce"]),
  models: z.array(Name).min(2),
  base: Name.nullable(),
  weights: z.array(z.number()),
  scale: z.number().nullable(),
  density: z.number().nullable(),
  topk: z.number().nullable(),
  seed: Count.nullable(),
});
export type Merge = z.infer<typeof Merge>;

export const Evaluation = z.object({
  benchmarks: z.array(Name),
  every: Count,
  after: z.array(Name),
  samples: Positive,
  limit: Count,
  input: Positive,
  output: Positive,
  temperature: z.number().positive(),
  top_p: z.number().positive().max(1),
  truncate: z.enum(["middle", "left", "right"]),
});

export const ExperimentIr = z.object({
  version: z.literal(IR_VERSION),
  kind: z.literal("experiment"),
  name: Name,
  /** The entry file, relative to the project directory. */
  source: z.string(),
  profile: z.string().nullable(),
  seed: Count,
  /** false: the schedule is empty and only the initial model is evaluated (baseline rows). */
  train: z.boolean(),
  data_parallel: Positive,
  models: z.array(Model).min(1),
  tasks: z.array(Task),
  /** null when no task's reward calls the judge (a profile may drop judge rewards). */
  judge: Judge.nullable(),
  warmup: Warmup.nullable(),
  /** Stages and merges in execution order. */
  schedule: z.array(z.discriminatedUnion("kind", [Stage, Merge])),
  evaluate: Evaluation.nullable(),
});
export type ExperimentIr = z.infer<typeof ExperimentIr>;

export const AblationRow = z.object({
  name: z.string(),
  index: Count,
  seeds: z.array(Count).min(1),
  graph: ExperimentIr,
});

export const AblationIr = z.object({
  version: z.literal(IR_VERSION),
  kind: z.literal("ablation"),
  name: Name,
  base: Name,
  source: z.string(),
  profile: z.string().nullable(),
  seeds: Positive,
  /** The row the table compares the others with. */
  baseline: z.string(),
  /** Table columns: the evaluated benchmarks, then the average. */
  columns: z.array(Name),
  rows: z.array(AblationRow).min(1),
});
export type AblationIr = z.infer<typeof AblationIr>;

export const IrDocument = z.discriminatedUnion("kind", [ExperimentIr, AblationIr]);
export type IrDocument = z.infer<typeof IrDocument>;
