"""Runs the generated qlx_verl functions on the shared vectors and prints their results as JSON.

Usage: /usr/bin/python3 parity.py VECTORS.json [cpu|cuda]
Ragged vectors are padded to verl's [B, T] layout with a response mask; results are read back
at the valid tokens only, so the TypeScript side compares them with its ragged outputs.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "compiler", "emit", "verl", "python"))

import torch  # noqa: E402

from qlx_verl import advantage, aepo, loss, masks  # noqa: E402

DEVICE = sys.argv[2] if len(sys.argv) > 2 else "cpu"
DT = torch.float64


def pad(lengths, flat, fill=0.0):
    t = max(max(lengths, default=0), 1)
    out = torch.full((len(lengths), t), fill, dtype=DT)
    mask = torch.zeros((len(lengths), t), dtype=DT)
    k = 0
    for i, n in enumerate(lengths):
        out[i, :n] = torch.tensor(flat[k : k + n], dtype=DT)
        mask[i, :n] = 1
        k += n
    return out.to(DEVICE), mask.to(DEVICE)


def unpad(lengths, x):
    x = x.detach().cpu()
    return [float(v) for i, n in enumerate(lengths) for v in x[i, :n].tolist()]


def advantage_results(case):
    out = {}
    for std in ("group", "batch", "task_batch", "none"):
        out["grpo_" + std] = advantage.outcome_advantages(case["rewards"], case["groups"], case["tasks"], "grpo", std)
    out["rloo"] = advantage.outcome_advantages(case["rewards"], case["groups"], case["tasks"], "rloo")
    out["reinforce_plus_plus"] = advantage.outcome_advantages(case["rewards"], case["groups"], case["tasks"], "reinforce_plus_plus", token_counts=case["tokenCounts"])
    task_batch = out["grpo_task_batch"]
    out["task_metrics"] = advantage.per_task_stats(case["rewards"], task_batch, case["tasks"])
    return out


def clip_results(batch, thresholds):
    ent, mask = pad(batch["lengths"], batch["entropies"])
    out = {}
    for level in ("token", "sequence"):
        for when in ("above", "below"):
            for thr in thresholds:
                keep = masks.negative_gradient_keep(batch["advantages"], ent, mask, level, when, thr)
                out[f"{level}-{when}-{thr}"] = {"keep": unpad(batch["lengths"], keep), "metrics": masks.clip_metrics(keep, mask)}
    return out


def aepo_results(run):
    ctl = aepo.AepoController(run["low"], run["high"])
    steps = []
    for batch in run["steps"]:
        ent, mask = pad(batch["lengths"], batch["entropies"])
        keep, metrics = ctl.step(batch["advantages"], ent, mask)
        steps.append({"keep": unpad(batch["lengths"], keep), "metrics": metrics, "state": ctl.state_dict()})
    return steps


def fragment_results(batch):
    ent, mask = pad(batch["lengths"], batch["entropies"])
    out = {}
    for ws in (1, 2):
        keep, metrics = aepo.aepo_fragment(batch["advantages"], batch["rewards"], ent, mask, 0.3, 1.0, ws)
        out[str(ws)] = {"keep": unpad(batch["lengths"], keep), "metrics": metrics}
    return out


def loss_results(case, norm_length):
    lengths = case["lengths"]
    keep, _ = pad(lengths, case["keep"])
    weights = {}
    for mode in loss.LOSS_AGG_MODES:
        weights[mode] = unpad(lengths, loss.loss_weights(keep, mode, norm_length=norm_length))
    w = loss.loss_weights(keep, "token_mean")
    tensors = {k: pad(lengths, case[k])[0] for k in ("logp", "oldLogp", "refLogp", "advantages", "entropy")}
    total, metrics = loss.policy_loss(
        tensors["logp"], tensors["oldLogp"], tensors["advantages"], tensors["refLogp"], tensors["entropy"], w,
        case["clipLow"], case["clipHigh"], case["dualClip"], case["klCoef"], case["klEstimator"], case["entropyCoef"],
    )
    out = {"weights": weights, "loss": float(total), "metrics": metrics}
    if case["dualClip"] > 1:
        # The worker patch: verl's compute_policy_loss signature, keep mask carried in the advantages.
        _, valid = pad(lengths, case["keep"])
        carried = masks.encode_keep(tensors["advantages"], keep)
        pg_loss, clipfrac, ppo_kl, clipfrac_lower = loss.verl_policy_loss(
            tensors["oldLogp"], tensors["logp"], carried, valid,
            cliprange=case["clipLow"], cliprange_low=case["clipLow"], cliprange_high=case["clipHigh"],
            clip_ratio_c=case["dualClip"], loss_agg_mode="token-mean",
        )
        out["verl_pg_loss"] = float(pg_loss)
        out["verl_pg_clipfrac"] = float(clipfrac)
        out["verl_ppo_kl"] = float(ppo_kl)
        out["verl_pg_clipfrac_lower"] = float(clipfrac_lower)
    return out


def main():
    with open(sys.argv[1]) as f:
        v = json.load(f)
    result = {
        "device": str(torch.device(DEVICE)) + ((" " + torch.cuda.get_device_name(0)) if DEVICE == "cuda" else ""),
        "torch": torch.__version__,
        "advantages": [advantage_results(c) for c in v["advantages"]],
        "clip": [clip_results(b, v["thresholds"]) for b in v["batches"]],
        "aepo": [aepo_results(r) for r in v["aepo"]],
        "fragment": [fragment_results(b) for b in v["batches"]],
        "losses": [loss_results(c, v["normLength"]) for c in v["losses"]],
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
