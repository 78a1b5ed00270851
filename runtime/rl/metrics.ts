// Every metric the RL library reports, under one stable name each. The executor writes these
// names to the metrics JSONL and reports/dashboards key on them, so a name here is a contract:
// add names, never rename. Per-task names end in "/<task>".

export const RL_METRICS = {
  /** Mean of the advantages of the responses of one task in the batch. */
  advMean: "adv/mean",
  /** Standard deviation (n − 1) of those advantages. */
  advStd: "adv/std",
  /** Mean outcome reward of one task's responses in the batch. */
  rewardMean: "reward/mean",
  /** Fraction of valid tokens whose loss weight negative-gradient clipping set to zero (Eq. 9). */
  clipMaskedTokenFrac: "clip/masked_token_frac",
  /** Fraction of responses with at least one token masked by negative-gradient clipping. */
  clipMaskedSeqFrac: "clip/masked_seq_frac",
  /** AEPO state after this step: 1 = negative-advantage responses masked, 0 = not (Eq. 11). */
  aepoState: "aepo/state",
  /** AEPO batch entropy H(π_θ, B) of Eq. 11 (absent for a batch with no tokens). */
  aepoEntropy: "aepo/entropy",
  /** Fraction of responses AEPO (or the authors' fragment) removed from the update. */
  aepoMaskedSeqFrac: "aepo/masked_seq_frac",
  /** Aggregated policy-gradient part of the loss. */
  lossPg: "loss/pg",
  /** Aggregated KL estimate to the reference policy (in the loss). */
  lossKl: "loss/kl",
  /** Aggregated token entropy (the entropy bonus is −entropyCoef times this). */
  lossEntropy: "loss/entropy",
  /** The total loss Σ w·term. */
  loss: "loss/total",
  /** Fraction of kept tokens where the PPO clip is active (verl's pg_clipfrac). */
  lossClipFrac: "loss/clip_frac",
  /** Fraction of kept tokens where the dual clip is active (verl's pg_clipfrac_lower). */
  lossDualClipFrac: "loss/dual_clip_frac",
  /** Mean over kept tokens of oldLogp − logp (verl's ppo_kl). */
  lossPpoKl: "loss/ppo_kl",
  /** Mean over responses of the per-response mean KL folded into the reward. */
  rewardKl: "reward/kl",
  /** Global gradient norm before clipping (reported by the optimizer node). */
  gradNorm: "train/grad_norm",
} as const;

export type RlMetricName = (typeof RL_METRICS)[keyof typeof RL_METRICS];

/** Names ending in "/<task>". */
export const PER_TASK_METRICS: readonly RlMetricName[] = [
  RL_METRICS.advMean,
  RL_METRICS.advStd,
  RL_METRICS.rewardMean,
];

export function perTaskMetric(name: (typeof PER_TASK_METRICS)[number], task: string): string {
  return `${name}/${task}`;
}

export type Metrics = Record<string, number>;
