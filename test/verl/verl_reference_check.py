"""qlx_verl against verl v0.4.0's own formulas (core_algos.py), where the two must agree.

Usage: /usr/bin/python3 verl_reference_check.py VERL_SRC
VERL_SRC is the reference copy of verl's source (../shared/reference/verl-v0.4.0/src). Third-party
packages core_algos does not need at run time are stubbed (as that folder's README describes);
flash_attn is left absent so torch_functional takes its pure-torch path. Prints JSON: the largest
absolute difference per check.
"""

import importlib.abc
import importlib.machinery
import json
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "compiler", "emit", "verl", "python"))
sys.path.insert(0, sys.argv[1])

STUBBED = {"tensordict", "transformers", "ray", "omegaconf", "hydra", "codetiming", "torchdata", "datasets", "pandas", "tqdm", "filelock", "packaging", "pkg_resources", "psutil"}


class _Permissive(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return type(name, (), {"__init__": lambda self, *a, **k: None})


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return _Permissive(spec.name)

    def exec_module(self, module):
        module.__path__ = []


sys.meta_path.insert(0, _StubFinder())

import torch  # noqa: E402

from qlx_verl import advantage, loss, masks  # noqa: E402
from verl.trainer.ppo import core_algos  # noqa: E402

torch.manual_seed(0)
B, T = 12, 9
DT = torch.float64
lengths = torch.randint(1, T + 1, (B,))
mask = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).to(DT)
logp = -3 * torch.rand(B, T, dtype=DT)
old = logp + 0.5 * torch.randn(B, T, dtype=DT)
adv_seq = torch.randn(B, dtype=DT)
adv = adv_seq.unsqueeze(-1) * mask
out = {}

# Policy loss: verl's compute_policy_loss vs the worker patch with every token kept.
carried = masks.encode_keep(adv, mask)
for mode in ("token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"):
    theirs = core_algos.compute_policy_loss(old, logp, adv, mask, cliprange=0.2, cliprange_low=0.2, cliprange_high=0.28, clip_ratio_c=3.0, loss_agg_mode=mode)
    ours = loss.verl_policy_loss(old, logp, carried, mask, cliprange=0.2, cliprange_low=0.2, cliprange_high=0.28, clip_ratio_c=3.0, loss_agg_mode=mode)
    out[f"policy_loss {mode}"] = max(abs(float(a) - float(b)) for a, b in zip(theirs, ours))

# agg_loss vs the aggregation weights (no response wholly masked: there verl divides 0/0).
values = torch.randn(B, T, dtype=DT)
for mode, ours_mode in loss.VERL_TO_QLX_AGG.items():
    theirs = core_algos.agg_loss(values, mask, mode)
    w = loss.loss_weights(mask, ours_mode, norm_length=float(T))
    out[f"agg_loss {mode}"] = abs(float(theirs) - float((w * values).sum()))

# KL estimators (k3 inside verl's clamp range).
ref = logp + 0.3 * torch.randn(B, T, dtype=DT)
for name, ours_name in (("kl", "k1"), ("mse", "k2"), ("low_var_kl", "k3")):
    out[f"kl {name}"] = float((core_algos.kl_penalty(logp, ref, name) - loss.kl_estimate(logp, ref, ours_name)).abs().max())

# GRPO outcome advantage, groups of 4 (verl gives a lone response baseline 0; qlx gives it 0).
scores = torch.randint(0, 3, (B,)).to(DT) / 2
uid = [f"p{i // 4}" for i in range(B)]
rewards_tok = torch.zeros(B, T, dtype=DT)
rewards_tok[torch.arange(B), lengths - 1] = scores
for norm, std in ((True, "group"), (False, "none")):
    theirs, _ = core_algos.compute_grpo_outcome_advantage(rewards_tok, mask, uid, norm_adv_by_std_in_grpo=norm)
    ours = advantage.broadcast_to_tokens(advantage.outcome_advantages(scores.tolist(), uid, ["t"] * B, "grpo", std), mask)
    out[f"grpo std={std}"] = float((theirs - ours).abs().max())

json.dump(out, sys.stdout)
