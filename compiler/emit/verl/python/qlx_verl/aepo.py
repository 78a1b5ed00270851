"""Adaptive Entropy-controlled Policy Optimization (paper Section 4.4, Eq. 11) and the authors' fragment.

`aepo`, the paper's controller. The batch entropy is
    H(pi, B) = (1/|B|) sum_i (1/|y_i|) sum_t H(t|i)                                    (Eq. 11)
the mean over responses (with tokens) of their mean token entropy. With hysteresis:
    H > H_high         -> mask every negative-advantage response
    H < H_low          -> bring the negative gradients back
    otherwise          -> keep the previous state.
A step's decision uses that step's batch entropy and applies to that step's update. A batch with no
tokens leaves the state unchanged and masks nothing. In verl the step runs after the advantage step
and before update_actor, on the entropies of the old-log-prob pass (trainer.py).

`aepo_fragment`, the authors' code (001_..., "AEPO"): while low < H < high (strict, no memory)
keep only responses with A > 0 and reward > 0; H is the token-mean entropy (verl's
actor/entropy_loss under loss_agg_mode token-mean); the kept rows are truncated to a multiple of
the data-parallel world size (the fragment's undefined `final_kept_count` read as the number of
kept rows); dropping rows is a keep mask here, which leaves them out of every loss denominator.
runtime/rl/aepo.ts is the reference for both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Dict, Optional, Tuple


def batch_entropy(entropies, response_mask) -> Optional[float]:
    """Eq. 11 over responses that have tokens; None when none has."""
    mask = response_mask.to(entropies.dtype)
    counts = mask.sum(-1)
    has = counts > 0
    if not bool(has.any()):
        return None
    means = (entropies * mask).sum(-1)[has] / counts[has]
    return float(means.sum()) / int(has.sum())


def next_masked(previous: bool, entropy: Optional[float], low: float, high: float) -> bool:
    if entropy is None:
        return previous
    if entropy > high:
        return True
    if entropy < low:
        return False
    return previous


def _check_bounds(what: str, low: float, high: float) -> None:
    if not (low <= high) or low != low or high != high or abs(low) == float("inf") or abs(high) == float("inf"):
        raise ValueError(f"{what}: need finite low <= high, got low = {low}, high = {high}")


@dataclass
class AepoState:
    negatives_masked: bool = False
    steps: int = 0
    last_entropy: Optional[float] = None


class AepoController:
    """The paper's controller; `state_dict`/`load_state_dict` make it resumable with verl checkpoints."""

    def __init__(self, low: float, high: float, state: Optional[AepoState] = None):
        _check_bounds("aepo", low, high)
        self.low = low
        self.high = high
        self.state = state if state is not None else AepoState()

    def step(self, advantages, entropies, response_mask) -> Tuple[object, Dict[str, float]]:
        """Updates the state from this batch; returns (keep mask [B, T], metrics)."""
        import torch

        entropy = batch_entropy(entropies, response_mask)
        masked = next_masked(self.state.negatives_masked, entropy, self.low, self.high)
        self.state = AepoState(
            negatives_masked=masked,
            steps=self.state.steps + 1,
            last_entropy=entropy if entropy is not None else self.state.last_entropy,
        )
        mask = response_mask.to(entropies.dtype)
        adv = torch.as_tensor(advantages, dtype=entropies.dtype, device=entropies.device)
        drop = (adv < 0) if masked else torch.zeros_like(adv, dtype=torch.bool)
        keep = mask * (~drop).to(mask.dtype).unsqueeze(-1)
        n = adv.shape[0]
        metrics = {"aepo/state": 1.0 if masked else 0.0, "aepo/masked_seq_frac": float(drop.sum()) / n if n > 0 else 0.0}
        if entropy is not None:
            metrics["aepo/entropy"] = entropy
        return keep, metrics

    def state_dict(self) -> Dict[str, object]:
        return asdict(self.state)

    def load_state_dict(self, d: Dict[str, object]) -> None:
        self.state = AepoState(**d)


def aepo_fragment(advantages, rewards, entropies, response_mask, low: float, high: float, world_size: int = 1):
    """The authors' stateless filter; returns (keep mask [B, T], metrics)."""
    import torch

    _check_bounds("aepo_fragment", low, high)
    if not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"aepo_fragment: world_size must be a positive integer, got {world_size}")
    mask = response_mask.to(entropies.dtype)
    total = float(mask.sum())
    entropy = float((entropies * mask).sum()) / total if total > 0 else None
    active = entropy is not None and low < entropy < high
    adv = torch.as_tensor(advantages, dtype=entropies.dtype, device=entropies.device)
    rew = torch.as_tensor(rewards, dtype=entropies.dtype, device=entropies.device)
    n = adv.shape[0]
    keep = mask.clone()
    kept_rows = n
    if active:
        kept = torch.nonzero((adv > 0) & (rew > 0)).flatten().tolist()
        kept = kept[: (len(kept) // world_size) * world_size]
        row_keep = torch.zeros(n, dtype=mask.dtype, device=mask.device)
        if kept:
            row_keep[kept] = 1
        keep = mask * row_keep.unsqueeze(-1)
        kept_rows = len(kept)
    metrics = {"aepo/state": 1.0 if active else 0.0, "aepo/masked_seq_frac": 1 - kept_rows / n if n > 0 else 0.0}
    if entropy is not None:
        metrics["aepo/entropy"] = entropy
    return keep, metrics
