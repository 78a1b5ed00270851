// Every verl-specific name the backend uses, in one table with one column per verl version:
// config keys, enum values, metric names and the module paths of the hook points. The emitter
// and the generated Python (through `qlx_verl/config.json`) read names only from here, so
// supporting a newer verl means adding a column (and its generated key table), not editing
// the emitter. Facts are from the v0.4.0 source (see docs/verl.md for the line references).
import type { VerlSchema } from "./schema/types.ts";
import { VERL_SCHEMA_V0_4_0 } from "./schema/v0.4.0.generated.ts";

export const VERL_VERSIONS = ["0.4.0"] as const;
export type VerlVersion = (typeof VERL_VERSIONS)[number];
export const DEFAULT_VERL_VERSION: VerlVersion = "0.4.0";

/** The config key table of each version, generated from its `ppo_trainer.yaml`. */
export const VERL_SCHEMAS: Readonly<Record<VerlVersion, VerlSchema>> = {
  "0.4.0": VERL_SCHEMA_V0_4_0,
};

type Column = Readonly<Record<VerlVersion, string>>;

/** Config keys the emitter sets or the validator reasons about. */
export const VERL_CONFIG_KEYS = {
  trainFiles: { "0.4.0": "data.train_files" },
  valFiles: { "0.4.0": "data.val_files" },
  maxPromptLength: { "0.4.0": "data.max_prompt_length" },
  maxResponseLength: { "0.4.0": "data.max_response_length" },
  trainBatchSize: { "0.4.0": "data.train_batch_size" },
  truncation: { "0.4.0": "data.truncation" },
  filterOverlongPrompts: { "0.4.0": "data.filter_overlong_prompts" },
  shuffle: { "0.4.0": "data.shuffle" },
  rewardFnKey: { "0.4.0": "data.reward_fn_key" },
  returnRawChat: { "0.4.0": "data.return_raw_chat" },
  modelPath: { "0.4.0": "actor_rollout_ref.model.path" },
  externalLib: { "0.4.0": "actor_rollout_ref.model.external_lib" },
  actorStrategy: { "0.4.0": "actor_rollout_ref.actor.strategy" },
  ppoMiniBatchSize: { "0.4.0": "actor_rollout_ref.actor.ppo_mini_batch_size" },
  ppoMicroBatchSize: { "0.4.0": "actor_rollout_ref.actor.ppo_micro_batch_size" },
  ppoMicroBatchSizePerGpu: { "0.4.0": "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu" },
  useDynamicBsz: { "0.4.0": "actor_rollout_ref.actor.use_dynamic_bsz" },
  ppoMaxTokenLenPerGpu: { "0.4.0": "actor_rollout_ref.actor.ppo_max_token_len_per_gpu" },
  ppoEpochs: { "0.4.0": "actor_rollout_ref.actor.ppo_epochs" },
  clipRatioLow: { "0.4.0": "actor_rollout_ref.actor.clip_ratio_low" },
  clipRatioHigh: { "0.4.0": "actor_rollout_ref.actor.clip_ratio_high" },
  clipRatioC: { "0.4.0": "actor_rollout_ref.actor.clip_ratio_c" },
  lossAggMode: { "0.4.0": "actor_rollout_ref.actor.loss_agg_mode" },
  entropyCoeff: { "0.4.0": "actor_rollout_ref.actor.entropy_coeff" },
  useKlLoss: { "0.4.0": "actor_rollout_ref.actor.use_kl_loss" },
  klLossCoef: { "0.4.0": "actor_rollout_ref.actor.kl_loss_coef" },
  klLossType: { "0.4.0": "actor_rollout_ref.actor.kl_loss_type" },
  actorLr: { "0.4.0": "actor_rollout_ref.actor.optim.lr" },
  actorWarmupSteps: { "0.4.0": "actor_rollout_ref.actor.optim.lr_warmup_steps" },
  actorGradClip: { "0.4.0": "actor_rollout_ref.actor.grad_clip" },
  checkpointContents: { "0.4.0": "actor_rollout_ref.actor.checkpoint.contents" },
  actorWeightDecay: { "0.4.0": "actor_rollout_ref.actor.optim.weight_decay" },
  actorSpSize: { "0.4.0": "actor_rollout_ref.actor.ulysses_sequence_parallel_size" },
  refSpSize: { "0.4.0": "actor_rollout_ref.ref.ulysses_sequence_parallel_size" },
  useRemovePadding: { "0.4.0": "actor_rollout_ref.model.use_remove_padding" },
  refLogProbMicroBatchSize: { "0.4.0": "actor_rollout_ref.ref.log_prob_micro_batch_size" },
  refLogProbMicroBatchSizePerGpu: {
    "0.4.0": "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu",
  },
  rolloutName: { "0.4.0": "actor_rollout_ref.rollout.name" },
  rolloutMode: { "0.4.0": "actor_rollout_ref.rollout.mode" },
  rolloutN: { "0.4.0": "actor_rollout_ref.rollout.n" },
  rolloutTemperature: { "0.4.0": "actor_rollout_ref.rollout.temperature" },
  rolloutTopP: { "0.4.0": "actor_rollout_ref.rollout.top_p" },
  rolloutTp: { "0.4.0": "actor_rollout_ref.rollout.tensor_model_parallel_size" },
  rolloutLogProbMicroBatchSize: { "0.4.0": "actor_rollout_ref.rollout.log_prob_micro_batch_size" },
  rolloutLogProbMicroBatchSizePerGpu: {
    "0.4.0": "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu",
  },
  rolloutMaxNumBatchedTokens: { "0.4.0": "actor_rollout_ref.rollout.max_num_batched_tokens" },
  rolloutValTemperature: { "0.4.0": "actor_rollout_ref.rollout.val_kwargs.temperature" },
  rolloutValTopP: { "0.4.0": "actor_rollout_ref.rollout.val_kwargs.top_p" },
  rolloutValDoSample: { "0.4.0": "actor_rollout_ref.rollout.val_kwargs.do_sample" },
  rolloutValN: { "0.4.0": "actor_rollout_ref.rollout.val_kwargs.n" },
  customRewardPath: { "0.4.0": "custom_reward_function.path" },
  customRewardName: { "0.4.0": "custom_reward_function.name" },
  rewardManager: { "0.4.0": "reward_model.reward_manager" },
  /** Not in the yaml: Hydra needs `+` (reward.py binds it as keyword arguments). */
  customRewardKwargs: { "0.4.0": "custom_reward_function.reward_kwargs" },
  advEstimator: { "0.4.0": "algorithm.adv_estimator" },
  normAdvByStd: { "0.4.0": "algorithm.norm_adv_by_std_in_grpo" },
  useKlInReward: { "0.4.0": "algorithm.use_kl_in_reward" },
  klPenalty: { "0.4.0": "algorithm.kl_penalty" },
  klCtrlCoef: { "0.4.0": "algorithm.kl_ctrl.kl_coef" },
  criticMiniBatchSize: { "0.4.0": "critic.ppo_mini_batch_size" },
  balanceBatch: { "0.4.0": "trainer.balance_batch" },
  totalEpochs: { "0.4.0": "trainer.total_epochs" },
  totalTrainingSteps: { "0.4.0": "trainer.total_training_steps" },
  projectName: { "0.4.0": "trainer.project_name" },
  experimentName: { "0.4.0": "trainer.experiment_name" },
  logger: { "0.4.0": "trainer.logger" },
  nnodes: { "0.4.0": "trainer.nnodes" },
  nGpusPerNode: { "0.4.0": "trainer.n_gpus_per_node" },
  saveFreq: { "0.4.0": "trainer.save_freq" },
  testFreq: { "0.4.0": "trainer.test_freq" },
  valBeforeTrain: { "0.4.0": "trainer.val_before_train" },
  defaultLocalDir: { "0.4.0": "trainer.default_local_dir" },
  resumeMode: { "0.4.0": "trainer.resume_mode" },
  resumeFromPath: { "0.4.0": "trainer.resume_from_path" },
  /** Read with `data.get("seed", 1)` by create_rl_sampler; not in the yaml (needs `+`). */
  seed: { "0.4.0": "data.seed" },
  /** qlx's own key (`+qlx.stage=NAME`): which stage of config.json qlx_verl.main runs. */
  qlxStage: { "0.4.0": "qlx.stage" },
} as const satisfies Record<string, Column>;

/** Names the generated Python looks up at run time (written into `qlx_verl/config.json`). */
export const VERL_RUNTIME_NAMES = {
  /** The batch entropy metric of the old-log-prob pass (`actor/entropy` from v0.4.1 on). */
  entropyMetric: { "0.4.0": "actor/entropy_loss" },
  /** Module whose global `compute_advantage` `fit()` calls (ray_trainer.py L1134). */
  trainerModule: { "0.4.0": "verl.trainer.ppo.ray_trainer" },
  trainerClass: { "0.4.0": "RayPPOTrainer" },
  advantageFunction: { "0.4.0": "compute_advantage" },
  /** `fit()` imports the metrics logger from here when it starts (ray_trainer.py L954). */
  trackingModule: { "0.4.0": "verl.utils.tracking" },
  /**
   * The class `fit()` builds each batch with, looked up in trainerModule (ray_trainer.py L989);
   * a memory-agent stage rebinds it for the call (qlx_verl/agent_rollout.py).
   */
  dataProtoClass: { "0.4.0": "DataProto" },
  trackingClass: { "0.4.0": "Tracking" },
  mainModule: { "0.4.0": "verl.trainer.main_ppo" },
  datasetFactory: { "0.4.0": "create_rl_dataset" },
  collateModule: { "0.4.0": "verl.utils.dataset.rl_dataset" },
  rolloutTokenEntropyKey: { "0.4.0": "entropys" },
  configPackage: { "0.4.0": "verl.trainer" },
  configName: { "0.4.0": "ppo_trainer" },
} as const satisfies Record<string, Column>;

/** Enum values of verl config keys, keyed by the qlx name of the choice. */
export const VERL_ENUMS = {
  /** qlx `aggregate` → `actor.loss_agg_mode` (core_algos.agg_loss). */
  lossAggMode: {
    token_mean: { "0.4.0": "token-mean" },
    seq_mean_token_sum: { "0.4.0": "seq-mean-token-sum" },
    seq_mean_token_mean: { "0.4.0": "seq-mean-token-mean" },
    seq_mean_token_sum_norm: { "0.4.0": "seq-mean-token-sum-norm" },
  },
  /** qlx KL estimator → `actor.kl_loss_type` / `algorithm.kl_penalty` (core_algos.kl_penalty). */
  klEstimator: {
    k1: { "0.4.0": "kl" },
    k2: { "0.4.0": "mse" },
    k3: { "0.4.0": "low_var_kl" },
  },
  /**
   * verl's estimator the plugin declares: it makes verl skip the critic, and the plugin
   * replaces the advantage step itself (verl v0.4.0 has no advantage registry).
   */
  pluginAdvEstimator: { grpo: { "0.4.0": "grpo" } },
  /** The reward manager that calls compute_score_batch with the whole step (reward.py L60-80). */
  rewardManager: { batch: { "0.4.0": "batch" } },
} as const satisfies Record<string, Record<string, Column>>;

/** Values verl accepts for enum-valued keys (asserted in `_validate_config` or on use). */
export const VERL_ENUM_DOMAINS: Readonly<
  Record<VerlVersion, Readonly<Record<string, readonly string[]>>>
> = {
  "0.4.0": {
    "actor_rollout_ref.actor.loss_agg_mode": [
      "token-mean",
      "seq-mean-token-sum",
      "seq-mean-token-mean",
      "seq-mean-token-sum-norm",
    ],
    "algorithm.adv_estimator": [
      "gae",
      "grpo",
      "reinforce_plus_plus",
      "reinforce_plus_plus_baseline",
      "remax",
      "rloo",
      "opo",
      "grpo_passk",
    ],
    "actor_rollout_ref.actor.kl_loss_type": ["kl", "k1", "abs", "mse", "k2", "low_var_kl", "k3"],
    "algorithm.kl_penalty": ["kl", "k1", "abs", "mse", "k2", "low_var_kl", "k3"],
    "actor_rollout_ref.actor.strategy": ["fsdp", "fsdp2", "megatron"],
    "actor_rollout_ref.rollout.mode": ["sync", "async"],
    "data.truncation": ["error", "left", "right", "middle"],
    "reward_model.reward_manager": ["naive", "prime", "batch", "dapo"],
  },
};

export type VerlConfigKey = keyof typeof VERL_CONFIG_KEYS;
export type VerlRuntimeName = keyof typeof VERL_RUNTIME_NAMES;

export function verlKey(version: VerlVersion, key: VerlConfigKey): string {
  return VERL_CONFIG_KEYS[key][version];
}

export function verlRuntimeName(version: VerlVersion, name: VerlRuntimeName): string {
  return VERL_RUNTIME_NAMES[name][version];
}

/** All runtime names of one version, as the generated Python reads them. */
export function verlRuntimeNames(version: VerlVersion): Record<VerlRuntimeName, string> {
  const out = {} as Record<VerlRuntimeName, string>;
  for (const name of Object.keys(VERL_RUNTIME_NAMES) as VerlRuntimeName[]) {
    out[name] = VERL_RUNTIME_NAMES[name][version];
  }
  return out;
}
