"""Outcome advantages, one per response, broadcast to its tokens (paper Eq. 3-4 and Eq. 7).

Definitions are those of the built-in runtime (runtime/rl/advantages.ts), which this module must
reproduce to the last bit on shared vectors:

    mu_g   mean reward of the response's group (the G responses to one prompt)
    s(S)   standard deviation with Bessel's correction (n - 1), as torch.std; 0 for one value
    grpo std=group        A = (r - mu_g) / (s(group) + eps)                          Eq. 3
    grpo std=batch        A = (r - mu_g) / (s(all rewards of the batch) + eps)
    grpo std=task_batch   A = (r - mu_g) / (s(rewards of the same task in the batch) + eps)   Eq. 7
    grpo std=none         A = r - mu_g                                               (Dr. GRPO)
    rloo                  A = G / (G - 1) * (r - mu_g)   (leave-one-out baseline)
    reinforce_plus_plus   token-weighted whitening of r over the batch, variance + 1e-8

Degenerate cases give 0, never NaN: a lone response in its group (no comparison, so no signal;
verl and the authors' fragment instead use baseline 0 there), and equal rewards (r - mu_g = 0).
The means are shifted by the first value so equal values give exactly that value.
"""

from __future__ import annotations

import math
from typing import Dict, Hashable, List, Optional, Sequence

DEFAULT_EPS = 1e-6
WHITEN_EPS = 1e-8


def shifted_mean(xs: Sequence[float]) -> float:
    if len(xs) == 0:
        return 0.0
    x0 = xs[0]
    s = 0.0
    for x in xs:
        s += x - x0
    return x0 + s / len(xs)


def sample_std(xs: Sequence[float]) -> float:
    if len(xs) < 2:
        return 0.0
    m = shifted_mean(xs)
    ss = 0.0
    for x in xs:
        ss += (x - m) ** 2
    return math.sqrt(ss / (len(xs) - 1))


def _index_by(keys: Sequence[Hashable]) -> Dict[Hashable, List[int]]:
    out: Dict[Hashable, List[int]] = {}
    for i, k in enumerate(keys):
        out.setdefault(k, []).append(i)
    return out


def outcome_advantages(
    rewards: Sequence[float],
    groups: Sequence[Hashable],
    tasks: Sequence[Hashable],
    kind: str,
    std: str = "group",
    eps: float = DEFAULT_EPS,
    token_counts: Optional[Sequence[int]] = None,
) -> List[float]:
    """Per-response advantages as Python floats (float64), in the order of `rewards`.

    `groups[i]` identifies the prompt of response i (verl's `uid`), `tasks[i]` its task (verl's
    `data_source`). `kind` is grpo | rloo | reinforce_plus_plus; `std` applies to grpo.
    """
    n = len(rewards)
    if len(groups) != n or len(tasks) != n:
        raise ValueError(f"advantages: {n} rewards but {len(groups)} groups and {len(tasks)} tasks")
    r = [float(x) for x in rewards]
    for i, x in enumerate(r):
        if not math.isfinite(x):
            raise ValueError(f"advantages: reward of response {i} (task {tasks[i]!r}) is {x}")
    by_group = _index_by(groups)
    group_mean = [0.0] * n
    group_size = [0] * n
    for members in by_group.values():
        m = shifted_mean([r[i] for i in members])
        for i in members:
            group_mean[i] = m
            group_size[i] = len(members)

    adv = [0.0] * n
    if kind == "grpo":
        if not eps >= 0:
            raise ValueError(f"advantage grpo: eps must be >= 0, got {eps}")
        denom = _grpo_denominators(r, groups, tasks, by_group, std)
        for i in range(n):
            centred = r[i] - group_mean[i] if group_size[i] > 1 else 0.0
            adv[i] = centred if std == "none" or centred == 0 else centred / (denom[i] + eps)
    elif kind == "rloo":
        for i in range(n):
            g = group_size[i]
            adv[i] = (g / (g - 1)) * (r[i] - group_mean[i]) if g > 1 else 0.0
    elif kind == "reinforce_plus_plus":
        if token_counts is None or len(token_counts) != n:
            raise ValueError(f"advantage reinforce_plus_plus: needs token counts for each of the {n} responses")
        tokens = sum(token_counts)
        s = sum(c * x for c, x in zip(token_counts, r))
        m = s / tokens if tokens > 0 else 0.0
        ss = sum(c * (x - m) ** 2 for c, x in zip(token_counts, r))
        variance = ss / (tokens - 1) if tokens > 1 else 0.0
        scale = 1 / math.sqrt(variance + WHITEN_EPS)
        adv = [(x - m) * scale if tokens > 1 else 0.0 for x in r]
    else:
        raise ValueError(f"advantage: unknown kind {kind!r}")
    return adv


def _grpo_denominators(r, groups, tasks, by_group, std: str) -> List[float]:
    n = len(r)
    if std == "none":
        return [0.0] * n
    if std == "batch":
        return [sample_std(r)] * n
    if std == "group":
        members_of = by_group
    elif std == "task_batch":
        members_of = _index_by(tasks)
    else:
        raise ValueError(f"advantage grpo: unknown std {std!r}")
    out = [0.0] * n
    for members in members_of.values():
        s = sample_std([r[i] for i in members])
        for i in members:
            out[i] = s
    return out


def per_task_stats(rewards: Sequence[float], advantages: Sequence[float], tasks: Sequence[Hashable]) -> Dict[str, float]:
    """The runtime's per-task metrics: adv/mean/<task>, adv/std/<task>, reward/mean/<task>."""
    out: Dict[str, float] = {}
    for task, members in sorted(_index_by(tasks).items(), key=lambda kv: str(kv[0])):
        a = [advantages[i] for i in members]
        out[f"adv/mean/{task}"] = shifted_mean(a)
        out[f"adv/std/{task}"] = sample_std(a)
        out[f"reward/mean/{task}"] = shifted_mean([rewards[i] for i in members])
    return out


def broadcast_to_tokens(per_response, response_mask):
    """[B] advantages -> [B, T] tensor, zero on padding (verl's `scores.unsqueeze(-1) * mask`)."""
    import torch

    adv = torch.as_tensor(per_response, dtype=response_mask.dtype if response_mask.is_floating_point() else torch.float32)
    return adv.to(response_mask.device).unsqueeze(-1) * response_mask.to(adv.dtype)
