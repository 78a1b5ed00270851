"""The token-level policy loss of the shared loss spec and its aggregation weights.

The loss is sum_t w_t * term_t (runtime/rl/policyLoss.ts and aggregation.ts are the reference):
    ratio = exp(logp - old_logp)
    pg    = max(-A * ratio, -A * clip(ratio, 1 - eps_low, 1 + eps_high))         PPO / DAPO clip-higher
    if A < 0 and c > 0: pg = min(pg, -A * c)                                     dual clip
    term  = pg + beta * KL_est(logp, ref) - entropy_coef * H
    KL_est: k1 = logp - ref; k2 = (logp - ref)^2 / 2; k3 = exp(ref - logp) - (ref - logp) - 1 (unclamped;
            verl clamps k3 to [-10, 10])
Weights fold the aggregation in (m = valid and kept token, N kept tokens, n_i kept tokens of
response i, B responses with at least one kept token):
    token_mean               w = 1/N              (verl "token-mean"; DAPO, Eq. 4 and 8)
    seq_mean_token_sum       w = 1/B              (verl "seq-mean-token-sum")
    seq_mean_token_mean      w = 1/(B * n_i)      (verl "seq-mean-token-mean")
    seq_mean_token_sum_norm  w = 1/L_norm         (verl "seq-mean-token-sum-norm", L_norm = max response length)
Masked tokens get weight 0 and leave every denominator. In verl the weights are computed per
micro-batch (its agg_loss runs per micro-batch and divides by gradient accumulation); the
runtime computes them over the whole batch. With one micro-batch per mini-batch they agree.
"""

from __future__ import annotations

from typing import Dict, Optional

LOSS_AGG_MODES = ("token_mean", "seq_mean_token_sum", "seq_mean_token_mean", "seq_mean_token_sum_norm")


def loss_weights(keep, mode: str, norm_length: Optional[float] = None):
    """Per-token weights [B, T] from the keep mask [B, T] (valid and kept tokens = 1)."""
    import torch

    if mode not in LOSS_AGG_MODES:
        raise ValueError(f"loss aggregation: unknown mode {mode!r}, expected one of {LOSS_AGG_MODES}")
    m = keep.to(torch.float64) if not keep.is_floating_point() else keep
    per_response = m.sum(-1)
    total = float(per_response.sum())
    w = torch.zeros_like(m)
    if total == 0:
        return w
    non_empty = int((per_response > 0).sum())
    if mode == "token_mean":
        w = m / total
    elif mode == "seq_mean_token_sum":
        w = m / non_empty
    elif mode == "seq_mean_token_mean":
        w = m / (non_empty * per_response.clamp(min=1)).unsqueeze(-1)
    else:
        if norm_length is None or not norm_length > 0:
            raise ValueError(f"loss aggregation seq_mean_token_sum_norm: norm_length must be a positive constant, got {norm_length}")
        w = m / norm_length
    return w


def kl_estimate(logp, ref_logp, estimator: str):
    d = logp - ref_logp
    if estimator == "k1":
        return d
    if estimator == "k2":
        return 0.5 * d * d
    if estimator == "k3":
        import torch

        return torch.exp(-d) + d - 1
    raise ValueError(f"KL estimator must be k1, k2 or k3, got {estimator!r}")


def check_loss_options(clip_low: float, clip_high: float, dual_clip: float) -> None:
    if not (0 <= clip_low < 1):
        raise ValueError(f"policy loss: clip_low must be in [0, 1), got {clip_low}")
    if not clip_high >= 0:
        raise ValueError(f"policy loss: clip_high must be >= 0, got {clip_high}")
    if not (dual_clip == 0 or dual_clip > 1):
        raise ValueError(f"policy loss: dual_clip must be 0 (off) or > 1, got {dual_clip}")


def policy_token_terms(logp, old_logp, advantages, ref_logp, entropy, clip_low, clip_high, dual_clip, kl_coef, kl_estimator, entropy_coef):
    """Per-token (term, pg, kl, clipped, dual_clipped) tensors, shapes as the inputs."""
    import torch

    check_loss_options(clip_low, clip_high, dual_clip)
    ratio = torch.exp(logp - old_logp)
    unclipped = -advantages * ratio
    clipped_loss = -advantages * torch.clamp(ratio, 1 - clip_low, 1 + clip_high)
    pg = torch.maximum(unclipped, clipped_loss)
    dual_clipped = torch.zeros_like(pg, dtype=torch.bool)
    if dual_clip > 0:
        bound = -advantages * dual_clip
        dual_clipped = (advantages < 0) & (pg > bound)
        pg = torch.where(advantages < 0, torch.minimum(pg, bound), pg)
    if kl_coef != 0:
        if ref_logp is None:
            raise ValueError(f"policy loss: kl_coef is {kl_coef} but no ref_logp was given")
        kl = kl_estimate(logp, ref_logp, kl_estimator)
    else:
        kl = torch.zeros_like(pg)
    term = pg + kl_coef * kl - entropy_coef * entropy
    return term, pg, kl, clipped_loss > unclipped, dual_clipped


def policy_loss(logp, old_logp, advantages, ref_logp, entropy, weights, clip_low, clip_high, dual_clip, kl_coef, kl_estimator, entropy_coef):
    """(sum_t w_t * term_t, metrics) with the runtime's metric names."""
    term, pg, kl, clipped, dual = policy_token_terms(logp, old_logp, advantages, ref_logp, entropy, clip_low, clip_high, dual_clip, kl_coef, kl_estimator, entropy_coef)
    active = weights != 0
    n_active = int(active.sum())

    def frac(x) -> float:
        return float((x & active).sum()) / n_active if n_active > 0 else 0.0

    loss = (weights * term).sum()
    metrics: Dict[str, float] = {
        "loss/total": float(loss),
        "loss/pg": float((weights * pg).sum()),
        "loss/kl": float((weights * kl).sum()),
        "loss/entropy": float((weights * entropy).sum()),
        "loss/clip_frac": frac(clipped),
        "loss/dual_clip_frac": frac(dual),
        "loss/ppo_kl": float(((old_logp - logp) * active).sum()) / n_active if n_active > 0 else 0.0,
    }
    return loss, metrics


VERL_TO_QLX_AGG = {
    "token-mean": "token_mean",
    "seq-mean-token-sum": "seq_mean_token_sum",
    "seq-mean-token-mean": "seq_mean_token_mean",
    "seq-mean-token-sum-norm": "seq_mean_token_sum_norm",
}


def verl_policy_loss(old_log_prob, log_prob, advantages, response_mask, cliprange=None, cliprange_low=None, cliprange_high=None, clip_ratio_c=3.0, loss_agg_mode="token-mean"):
    """Drop-in for verl v0.4.0's core_algos.compute_policy_loss, honouring keep masks in `advantages`.

    Returns verl's (pg_loss, pg_clipfrac, ppo_kl, pg_clipfrac_lower). The keep mask (masks.py)
    multiplies the response mask, so masked tokens leave the aggregation denominators; verl's own
    agg_loss would instead count them (and divide 0/0 for a wholly masked response under
    seq-mean-token-mean).
    """
    import torch

    from .masks import decode_keep

    keep, adv = decode_keep(advantages)
    mask = response_mask.to(log_prob.dtype) * keep.to(log_prob.dtype)
    low = cliprange if cliprange_low is None else cliprange_low
    high = cliprange if cliprange_high is None else cliprange_high
    mode = VERL_TO_QLX_AGG[loss_agg_mode]
    weights = loss_weights(mask, mode, norm_length=float(mask.shape[-1]))
    zeros = torch.zeros_like(log_prob)
    term, pg, _kl, clipped, dual = policy_token_terms(log_prob, old_log_prob, adv, None, zeros, low, high, clip_ratio_c, 0.0, "k1", 0.0)
    active = mask > 0
    n_active = active.sum().clamp(min=1)
    pg_loss = (weights * term).sum()
    pg_clipfrac = (clipped & active).sum().to(log_prob.dtype) / n_active
    ppo_kl = ((old_log_prob - log_prob) * mask).sum() / n_active
    pg_clipfrac_lower = (dual & active).sum().to(log_prob.dtype) / n_active
    return pg_loss, pg_clipfrac.detach(), ppo_kl.detach(), pg_clipfrac_lower.detach()
