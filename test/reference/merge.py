"""PyTorch reference for qlx merges (runtime/merge/tensorMerge.ts), following mergekit's
generalized task arithmetic and SCE as written in PyTorch (torch.topk, torch.var, sign masks).

Reads a JSON list of cases (argv[1]); prints the merged tensors as a JSON list. DARE's random keep
masks come from the case (the TypeScript side draws them from its seeded stream), so this checks
the arithmetic. Run with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import sys

import torch

torch.set_default_dtype(torch.float64)


def sign_mask(delta):
    """mergekit get_mask(method="sum"): keep entries whose sign equals the sign of the sum."""
    majority = (delta.sum(dim=0) >= 0).double() * 2 - 1
    return delta.sign() == majority


def magnitude(t, density):
    if density >= 1:
        return t
    k = int(density * t.numel())
    mask = torch.zeros_like(t)
    if k > 0:
        mask[torch.topk(t.abs(), k=k, largest=True).indices] = 1
    return t * mask


def generalized(case, sparsify, consensus, normalize):
    base = torch.tensor(case["base"])
    tvs = [torch.tensor(m) - base for m in case["models"]]
    tvs = [sparsify(tv, i) for i, tv in enumerate(tvs)]
    weights = torch.tensor(case.get("weights") or [1.0] * len(tvs)).unsqueeze(-1)
    deltas = torch.stack(tvs)
    weighted = deltas * weights
    if consensus:
        mask = sign_mask(weighted)
        mixed = (weighted * mask).sum(dim=0)
        divisor = (weights * mask).sum(dim=0)
        divisor[divisor == 0] = 1
    else:
        mixed = weighted.sum(dim=0)
        divisor = weights.sum(dim=0)
    if normalize:
        mixed = mixed / divisor
    return base + case.get("lambda", 1.0) * mixed


def sce(case):
    base = torch.tensor(case["base"])
    tvs = torch.stack([torch.tensor(m) - base for m in case["models"]])
    topk = case["topk"]
    if topk < 1:
        if topk <= 0:
            mask = torch.zeros_like(base)
        else:
            var = torch.var(tvs, dim=0, unbiased=False)
            k = int(torch.count_nonzero(var).item() * topk)
            mask = torch.zeros_like(var)
            if k > 0:
                mask[torch.topk(var.abs(), k=k, largest=True).indices] = 1
        tvs = tvs * mask.unsqueeze(0)
    erase = sign_mask(tvs)
    w = torch.mean(tvs ** 2, dim=1)
    w = torch.ones_like(w) / w.shape[0] if abs(w.sum().item()) < 1e-6 else w / w.sum()
    ew = w.unsqueeze(-1) * erase
    return base + (tvs * ew).sum(dim=0) / ew.sum(dim=0).clamp(min=1e-6)


def merge(case):
    kind = case["kind"]
    if kind == "linear":
        models = torch.stack([torch.tensor(m) for m in case["models"]])
        w = torch.tensor(case.get("weights") or [1.0] * len(models)).unsqueeze(-1)
        return (models * w).sum(dim=0) / w.sum()
    if kind == "task_arithmetic":
        return generalized(case, lambda tv, i: tv, False, False)
    if kind == "ties":
        return generalized(case, lambda tv, i: magnitude(tv, case["density"]), True, True)
    if kind == "dare":
        masks = case["dareMasks"]
        return generalized(case, lambda tv, i: tv * torch.tensor(masks[i], dtype=torch.float64) / case["density"], False, False)
    if kind == "sce":
        return sce(case)
    raise ValueError(kind)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    print(json.dumps([merge(c).tolist() for c in cases]))
