"""PyTorch reference for the qlx RL library (runtime/rl/*.ts), written from the equations.

Reads a JSON file of cases (argv[1]) and prints a JSON object of results. Ragged per-token inputs
come as lists of lists (one list per response) and are padded into [B, T] tensors with a mask, the
way verl holds them, so this is an independent formulation of the same contracts:
advantages (paper Eq. 3, 7; verl core_algos), negative-gradient clipping (Eq. 9), AEPO (Eq. 11)
and the authors' fragment, agg_loss weights, the per-token policy loss and KL in the reward.
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import sys
from collections import defaultdict

import torch

torch.set_default_dtype(torch.float64)


def pad(rows):
    b = len(rows)
    t = max([len(r) for r in rows] + [0])
    values = torch.zeros(b, t)
    mask = torch.zeros(b, t)
    for i, r in enumerate(rows):
        if r:
            values[i, : len(r)] = torch.tensor(r, dtype=torch.float64)
            mask[i, : len(r)] = 1
    return values, mask


def std_bessel(x):
    return torch.std(x) if x.numel() > 1 else torch.tensor(0.0)


def advantages(case):
    r = torch.tensor(case["rewards"], dtype=torch.float64)
    groups, tasks = case["groups"], case["tasks"]
    kind = case["kind"]
    by_group, by_task = defaultdict(list), defaultdict(list)
    for i, (g, t) in enumerate(zip(groups, tasks)):
        by_group[g].append(i)
        by_task[t].append(i)
    out = torch.zeros_like(r)
    if kind == "reinforce_plus_plus":
        counts = case["tokenCounts"]
        scores = [[r[i].item()] * counts[i] for i in range(len(counts))]
        values, mask = pad(scores)
        n = mask.sum()
        if n > 1:
            m = (values * mask).sum() / n
            var = (((values - m) ** 2) * mask).sum() / n * (n / (n - 1))
            for i in range(len(counts)):
                out[i] = (r[i] - m) * torch.rsqrt(var + 1e-8)
        return out.tolist()
    for g, idx in by_group.items():
        x = r[idx]
        if len(idx) == 1:
            continue  # a lone response has no relative signal: A = 0
        centred = x - x.mean()
        if kind == "rloo":
            # mean of the others: (sum - r_i) / (G - 1)
            others = (x.sum() - x) / (len(idx) - 1)
            out[idx] = x - others
            continue
        std = case["std"]
        eps = case.get("eps", 1e-6)
        if std == "none":
            out[idx] = centred
            continue
        if std == "group":
            denom = (std_bessel(x) + eps).expand_as(x)
        elif std == "batch":
            denom = (std_bessel(r) + eps).expand_as(x)
        elif std == "task_batch":
            denom = torch.stack([std_bessel(r[by_task[tasks[j]]]) + eps for j in idx])
        # A centred reward of exactly 0 stays 0 even when std + eps is 0 (eps = 0, equal rewards).
        out[idx] = torch.where(centred == 0, torch.zeros_like(x), centred / denom)
    return out.tolist()


def clip(case):
    ent, mask = pad(case["entropies"])
    adv = torch.tensor(case["advantages"], dtype=torch.float64).unsqueeze(-1)
    tau = case["threshold"]
    if case["level"] == "token":
        h = ent
    else:
        h = ((ent * mask).sum(-1) / mask.sum(-1).clamp(min=1)).unsqueeze(-1).expand_as(ent)
    beyond = h > tau if case["when"] == "above" else h < tau
    indicator = ~((adv < 0) & beyond)
    keep = (indicator.double() * mask)
    return [keep[i, : len(e)].tolist() for i, e in enumerate(case["entropies"])]


def aepo(case):
    low, high = case["low"], case["high"]
    masked = False
    states, keeps = [], []
    for step in case["steps"]:
        ent, mask = pad(step["entropies"])
        lens = mask.sum(-1)
        has = lens > 0
        if has.any():
            per_resp = (ent * mask).sum(-1)[has] / lens[has]
            h = per_resp.mean().item()
            if h > high:
                masked = True
            elif h < low:
                masked = False
        adv = torch.tensor(step["advantages"], dtype=torch.float64)
        keep_rows = ~(masked & (adv < 0)) if len(adv) else adv.bool()
        states.append(masked)
        keeps.append([[float(keep_rows[i])] * len(e) for i, e in enumerate(step["entropies"])])
    return {"states": states, "keeps": keeps}


def aepo_fragment(case):
    ent, mask = pad(case["entropies"])
    h = (ent * mask).sum() / mask.sum() if mask.sum() > 0 else None
    adv = torch.tensor(case["advantages"], dtype=torch.float64)
    rew = torch.tensor(case["rewards"], dtype=torch.float64)
    n = len(case["advantages"])
    kept = list(range(n))
    active = h is not None and case["low"] < h.item() < case["high"]
    if active:
        kept = torch.where((adv > 0) & (rew > 0))[0].tolist()
        ws = case.get("worldSize", 1)
        kept = kept[: (len(kept) // ws) * ws]
    return {"active": active, "keep": [[1.0 if i in kept else 0.0] * len(e) for i, e in enumerate(case["entropies"])]}


def agg_weights(case):
    """Weights w with sum(w * loss) == agg_loss(loss, mask); found by differentiating agg_loss."""
    keep, mask = pad(case["keep"])
    mask = keep * mask
    loss = torch.zeros_like(mask, requires_grad=True)
    mode = case["mode"]
    rows = mask.sum(-1) > 0  # responses with a kept token (see aggregation.ts)
    if mask.sum() == 0:
        return [[0.0] * len(k) for k in case["keep"]]
    if mode == "token_mean":
        total = (loss * mask).sum() / mask.sum()
    elif mode == "seq_mean_token_sum":
        total = (loss * mask).sum(-1)[rows].mean()
    elif mode == "seq_mean_token_mean":
        total = ((loss * mask).sum(-1)[rows] / mask.sum(-1)[rows]).mean()
    elif mode == "seq_mean_token_sum_norm":
        total = (loss * mask).sum(-1).sum() / case["normLength"]
    total.backward()
    return [loss.grad[i, : len(k)].tolist() for i, k in enumerate(case["keep"])]


def kl_est(logp, ref, est):
    if est == "k1":
        return logp - ref
    if est == "k2":
        return 0.5 * (logp - ref) ** 2
    kl = ref - logp
    return torch.exp(kl) - kl - 1


def policy_loss(case):
    o = case["opts"]
    logp = torch.tensor(case["logp"])
    old = torch.tensor(case["oldLogp"])
    adv = torch.tensor(case["advantages"])
    ent = torch.tensor(case["entropy"])
    w = torch.tensor(case["weights"])
    ratio = torch.exp(logp - old)
    l1 = -adv * ratio
    l2 = -adv * torch.clamp(ratio, 1 - o["clipLow"], 1 + o["clipHigh"])
    pg = torch.maximum(l1, l2)
    if o["dualClip"] > 0:
        pg = torch.where(adv < 0, torch.minimum(pg, -adv * o["dualClip"]), pg)
    kl = kl_est(logp, torch.tensor(case["refLogp"]), o["klEstimator"]) if o["klCoef"] != 0 else torch.zeros_like(logp)
    term = pg + o["klCoef"] * kl - o["entropyCoef"] * ent
    active = w != 0
    clipfrac = (l2 > l1)[active].double().mean().item() if active.any() else 0.0
    return {"loss": (w * term).sum().item(), "pg": (w * pg).sum().item(), "kl": (w * kl).sum().item(), "clipFrac": clipfrac}


def kl_reward(case):
    old, mask = pad(case["oldLogp"])
    ref, _ = pad(case["refLogp"])
    kld = kl_est(old, ref, case["estimator"]) * mask
    r = torch.tensor(case["rewards"])
    shaped = r - case["beta"] * kld.sum(-1)
    return shaped.tolist()


HANDLERS = {
    "advantages": advantages,
    "clip": clip,
    "aepo": aepo,
    "aepo_fragment": aepo_fragment,
    "agg": agg_weights,
    "policy_loss": policy_loss,
    "kl_reward": kl_reward,
}

if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    print(json.dumps({k: [HANDLERS[k](c) for c in v] for k, v in cases.items()}))
