"""Negative-gradient clipping (paper Eq. 8-9) and the channel that carries keep masks to verl's actor.

For a response with A_i < 0, Eq. 9's indicator zeroes the loss of
  - token level:    each token whose entropy H(t|i) is above (or below) tau_token,
  - sequence level: every token of a response whose mean token entropy is above (or below) tau_sequence.
Eq. 9 states "above" with a strict >; Table 4 also ablates "below", taken strictly (<). Responses
with A_i >= 0 are never touched. A masked token leaves the loss and the aggregation denominators
(runtime/rl/clipping.ts is the reference). Tensors are verl's padded [B, T] layout with a 0/1
response mask; entropies are the full-vocabulary entropies of the old-log-prob pass.

verl v0.4.0's actor sees only `advantages` of the driver's batch (dp_actor.update_policy selects
responses, input_ids, attention_mask, position_ids, old_log_probs, advantages), so a keep mask
travels inside the advantages: a masked token's advantage is set to -0.0 and every kept token's
advantage is normalised to never be -0.0 (x + 0.0 turns -0.0 into +0.0). The worker patch
(worker_patch.py) reads the sign bit back. A masked token's advantage is zero, so anything else
that reads the advantages (verl's metrics) sees an ordinary 0.
"""

from __future__ import annotations

from typing import Dict, Tuple


def negative_gradient_keep(advantages, entropies, response_mask, level: str, when: str, threshold: float):
    """Keep mask [B, T] (float, 1 = kept valid token, 0 = masked or padding) of Eq. 9.

    `advantages` is one value per response [B]; `entropies` and `response_mask` are [B, T].
    """
    import torch

    if level not in ("token", "sequence"):
        raise ValueError(f"negative-gradient clip: level must be token or sequence, got {level!r}")
    if when not in ("above", "below"):
        raise ValueError(f"negative-gradient clip: when must be above or below, got {when!r}")
    if not torch.isfinite(torch.tensor(float(threshold))):
        raise ValueError(f"negative-gradient clip: threshold must be finite, got {threshold}")
    mask = response_mask.to(entropies.dtype)
    adv = torch.as_tensor(advantages, dtype=entropies.dtype, device=entropies.device)
    negative = (adv < 0).unsqueeze(-1)
    if level == "token":
        beyond = entropies > threshold if when == "above" else entropies < threshold
    else:
        counts = mask.sum(-1)
        means = (entropies * mask).sum(-1) / counts.clamp(min=1)
        seq_beyond = means > threshold if when == "above" else means < threshold
        beyond = (seq_beyond & (counts > 0)).unsqueeze(-1).expand_as(entropies)
    dropped = negative & beyond & (mask > 0)
    return mask * (~dropped).to(mask.dtype)


def keep_summary(keep, response_mask, token_frac_name, seq_frac_name: str) -> Dict[str, float]:
    """Fractions of masked valid tokens and of responses with at least one masked token."""
    mask = response_mask.to(keep.dtype)
    masked = (mask - keep * mask).sum(-1)
    responses = mask.shape[0]
    out = {seq_frac_name: float((masked > 0).sum()) / responses if responses > 0 else 0.0}
    if token_frac_name is not None:
        total = float(mask.sum())
        out[token_frac_name] = float(masked.sum()) / total if total > 0 else 0.0
    return out


def clip_metrics(keep, response_mask) -> Dict[str, float]:
    return keep_summary(keep, response_mask, "clip/masked_token_frac", "clip/masked_seq_frac")


def encode_keep(token_advantages, keep):
    """Advantages [B, T] carrying `keep` [B, T]: masked tokens -0.0, kept tokens never -0.0."""
    import torch

    kept = token_advantages + 0.0
    return torch.where(keep > 0, kept, torch.full_like(kept, -0.0))


def decode_keep(token_advantages) -> Tuple[object, object]:
    """(keep mask as float [B, T], advantages with -0.0 read as masked)."""
    import torch

    masked = (token_advantages == 0) & torch.signbit(token_advantages)
    return (~masked).to(token_advantages.dtype), token_advantages
