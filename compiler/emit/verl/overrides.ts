// One stage of the IR → Hydra overrides for verl's trainer config (run through
// `python3 -m qlx_verl.main`, which takes the same overrides as `verl.trainer.main_ppo`). Every
// key comes from the version table (keys.ts); the driver fills the placeholders {data_dir},
// {checkpoint_dir} and {model_path} at launch. The qlx-specific algorithms (advantage, clipping,
// AEPO, sampler) are not verl keys: they run in qlx_verl from config.json.
import { MEMORY_TEMPLATE_TOKENS } from "../../../language/builtins/functions.ts";
import type { ExperimentIr, GraphNode, Stage } from "../../ir/schema.ts";
import type { VerlOverrides, VerlValue } from "./config-schema.ts";
import { VERL_ENUMS, VERL_SCHEMAS, verlKey, type VerlConfigKey, type VerlVersion } from "./keys.ts";

export interface VerlClusterOptions {
  readonly nnodes: number;
  readonly gpusPerNode: number;
  /** vLLM tensor-parallel size of the rollout. */
  readonly rolloutTp: number;
  /** Ulysses sequence-parallel size of the actor (long contexts). */
  readonly sequenceParallel: number;
  readonly loggers: readonly string[];
}

/**
 * Dual clip "off" (IR `dual_clip: null`): verl v0.4.0 always applies the dual clip and asserts
 * c > 1, so a bound no loss reaches stands for "off".
 */
export const DUAL_CLIP_OFF = 1e9;

/** Epochs are not a qlx notion: a stage runs `steps` steps; verl stops at total_training_steps. */
const EPOCHS_UNBOUNDED = 100000;

type NodeOf<K extends GraphNode["kind"]> = Extract<GraphNode, { kind: K }>;

export function stageNode<K extends GraphNode["kind"]>(stage: Stage, kind: K): NodeOf<K> {
  const n = stage.nodes.find((x): x is NodeOf<K> => x.kind === kind);
  if (n === undefined) throw new Error(`IR stage '${stage.name}' has no ${kind} node`);
  return n;
}

/** The longest prompt of a memory-agent step verl is given room for (data.max_prompt_length). */
export function agentPromptLength(agent: { chunk: number; memory: number }): number {
  return agent.chunk + agent.memory + MEMORY_TEMPLATE_TOKENS.natural;
}

export function stageOverrides(
  ir: ExperimentIr,
  stage: Stage,
  version: VerlVersion,
  cluster: VerlClusterOptions,
): VerlOverrides {
  const out = new Map<string, VerlValue>();
  const set = (key: VerlConfigKey, value: VerlValue) => out.set(verlKey(version, key), value);
  const dataset = stageNode(stage, "dataset");
  const sampler = stageNode(stage, "sampler");
  const rollout = stageNode(stage, "rollout");
  const reward = stageNode(stage, "reward");
  const loss = stageNode(stage, "loss");
  const optimizer = stageNode(stage, "optimizer");
  // A memory-agent stage's rows are its steps (§2.3): a prompt holds a chunk, the previous
  // memory and plan (written within `memory` tokens), the template and the question — not the
  // document, whose length is the stage's input; a reading step generates up to `memory`
  // tokens, the answer step up to the stage's output, and verl pads every row to one response
  // length. The template budget is the checker's (QLX4011), which leaves the question and the
  // chat template several hundred tokens; a longer step prompt stops the run with its length.
  const agent = rollout.agent;
  const promptLength = agent === null ? rollout.max_input : agentPromptLength(agent);
  const responseLength = Math.max(rollout.max_output, agent?.memory ?? 0);
  const tokensPerSequence = promptLength + responseLength;

  set("trainFiles", `{data_dir}/${stage.name}/train.parquet`);
  set("valFiles", `{data_dir}/${stage.name}/val.parquet`);
  set("maxPromptLength", promptLength);
  set("maxResponseLength", responseLength);
  set("trainBatchSize", sampler.batch);
  set("truncation", dataset.truncate);
  set("shuffle", sampler.op === "uniform");

  set("modelPath", "{model_path}");
  set("externalLib", "qlx_verl.worker_patch");
  set("useRemovePadding", true);
  set("ppoMiniBatchSize", loss.mini_batch);
  // Long contexts: token-budgeted micro-batches (one full-length sequence per GPU at most)
  // instead of a fixed count, which is what verl recommends for long sequences.
  set("useDynamicBsz", true);
  set("ppoMaxTokenLenPerGpu", tokensPerSequence);
  set("ppoEpochs", loss.updates_per_batch);
  set("clipRatioLow", loss.clip_low);
  set("clipRatioHigh", loss.clip_high);
  set("clipRatioC", loss.dual_clip ?? DUAL_CLIP_OFF);
  set("lossAggMode", VERL_ENUMS.lossAggMode[loss.aggregate][version]);
  set("entropyCoeff", loss.entropy_coef);
  set("useKlLoss", loss.kl_coef > 0);
  if (loss.kl_coef > 0) {
    set("klLossCoef", loss.kl_coef);
    set("klLossType", VERL_ENUMS.klEstimator[loss.kl_estimator][version]);
  }
  set("actorLr", optimizer.lr);
  set("actorWeightDecay", optimizer.weight_decay);
  set("actorGradClip", optimizer.grad_clip);
  set("actorWarmupSteps", optimizer.warmup_steps);
  set("actorSpSize", cluster.sequenceParallel);
  set("checkpointContents", ["model", "optimizer", "extra", "hf_model"]);

  set("rolloutN", rollout.group);
  set("rolloutTemperature", rollout.temperature);
  set("rolloutTopP", rollout.top_p);
  set("rolloutTp", cluster.rolloutTp);
  set("rolloutMaxNumBatchedTokens", tokensPerSequence);
  const evaluation = ir.evaluate;
  if (evaluation !== null) {
    set("rolloutValTemperature", evaluation.temperature);
    set("rolloutValTopP", evaluation.top_p);
    set("rolloutValN", evaluation.samples);
    set("rolloutValDoSample", true);
  }

  // Relative to the bundle, which is every Ray process's working directory (main.py ships it
  // as the runtime_env working_dir), so the path holds on every node.
  set("customRewardPath", "qlx_verl/reward_fn.py");
  set("customRewardName", "compute_score_batch");
  set("rewardManager", VERL_ENUMS.rewardManager.batch[version]);
  set("advEstimator", VERL_ENUMS.pluginAdvEstimator.grpo[version]);
  set("useKlInReward", reward.kl_coef > 0);
  if (reward.kl_coef > 0) {
    set("klPenalty", VERL_ENUMS.klEstimator[reward.kl_estimator][version]);
    set("klCtrlCoef", reward.kl_coef);
  }

  set("projectName", ir.name);
  set("experimentName", `${ir.name}-${stage.name}`);
  set("logger", [...cluster.loggers]);
  set("nnodes", cluster.nnodes);
  set("nGpusPerNode", cluster.gpusPerNode);
  set("totalEpochs", EPOCHS_UNBOUNDED);
  set("totalTrainingSteps", stage.steps);
  const every = evaluation !== null && evaluation.every > 0 ? evaluation.every : stage.steps;
  set("saveFreq", every);
  set("testFreq", evaluation !== null ? every : -1);
  set("valBeforeTrain", evaluation !== null);
  set("defaultLocalDir", `{checkpoint_dir}/${stage.name}`);
  set("resumeMode", "auto");
  out.set(`+${verlKey(version, "seed")}`, ir.seed);
  out.set(`+${verlKey(version, "qlxStage")}`, stage.name);
  return out;
}

function quoteIfNeeded(s: string): string {
  // Hydra's override grammar takes plain paths and identifiers unquoted; anything with
  // spaces, quotes, commas, brackets or '=' is quoted.
  return /^[A-Za-z0-9_./:{}@+-]+$/.test(s) && !/^(true|false|null)$/i.test(s)
    ? s
    : `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

function renderScalar(v: VerlValue, float: boolean): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") {
    // A float key with an integral value keeps its type visible: `top_p=1.0`.
    return float && Number.isInteger(v) && Math.abs(v) < 1e15 ? v.toFixed(1) : String(v);
  }
  if (Array.isArray(v)) return `[${v.map((x) => renderScalar(x, false)).join(",")}]`;
  return quoteIfNeeded(v as string);
}

/** `key=value` lines, one per override, in insertion order. */
export function renderOverrides(version: VerlVersion, overrides: VerlOverrides): string[] {
  const schema = VERL_SCHEMAS[version];
  return [...overrides].map(([key, value]) => {
    const spec = schema[key.replace(/^\+/, "")];
    return `${key}=${renderScalar(value, spec?.type === "float")}`;
  });
}
