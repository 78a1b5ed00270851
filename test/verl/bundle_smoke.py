"""Runs emitted bundles' qlx_verl on their own config.json, without verl: for every stage, the
task-balanced sampler from the IR sampler node, the advantage step (advantage, clipping, AEPO) on
a synthetic batch of the stage's tasks, and every task's reward expression. Catches any drift
between the IR the compiler emits and the fields the Python reads.

Usage: /usr/bin/python3 bundle_smoke.py BUNDLE_DIR... (the first bundle's qlx_verl is imported;
every bundle's package is the same template, only config.json differs)
"""

import os
import random
import sys

sys.path.insert(0, sys.argv[1])

import numpy as np
import torch

from qlx_verl import reward_fn, settings
from qlx_verl.aepo import AepoController
from qlx_verl.sampler import from_ir
from qlx_verl.trainer import node, qlx_advantage_step


class FakeProto:
    def __init__(self, batch, non_tensor):
        self.batch = batch
        self.non_tensor_batch = non_tensor


class AlwaysEquivalent:
    def judge(self, question, predicted, gold):
        return True


def smoke(bundle: str) -> str:
    os.environ["QLX_VERL_CONFIG"] = os.path.join(bundle, "qlx_verl", "config.json")
    settings.load.cache_clear()
    reward_fn._judge = AlwaysEquivalent()
    cfg = settings.load()
    rng = random.Random(0)
    checked = 0
    for name, stage in cfg["stages"].items():
        tasks = node(stage, "dataset")["tasks"]
        sampler = node(stage, "sampler")
        if sampler["op"] == "task_balanced":
            rows = [t for t in tasks for _ in range(sampler["batch"])]
            batch = from_ir(sampler, rows, cfg["seed"]).batch(0)
            assert len(batch) == sampler["batch"], (name, len(batch))
        group = node(stage, "rollout")["group"]
        n = len(tasks) * 2 * group
        T = 6
        scores = torch.tensor([float(rng.random() < 0.5) for _ in range(n)])
        rewards = torch.zeros(n, T)
        rewards[:, T - 1] = scores
        control = node(stage, "control")
        ctl = AepoController(control["low"], control["high"]) if control["op"] == "aepo" else None
        data = FakeProto(
            {
                "token_level_rewards": rewards,
                "token_level_scores": rewards.clone(),
                "response_mask": torch.ones(n, T, dtype=torch.int64),
                "qlx_entropys": torch.rand(n, T, generator=torch.Generator().manual_seed(1)),
            },
            {
                "uid": np.array([f"p{i // group}" for i in range(n)], dtype=object),
                "data_source": np.array([tasks[(i // group) % len(tasks)] for i in range(n)], dtype=object),
            },
        )
        data, metrics = qlx_advantage_step(data, stage, ctl, 2, "data_source")
        assert data.batch["advantages"].shape == (n, T) and torch.isfinite(data.batch["advantages"]).all(), name
        assert all(f"adv/mean/{t}" in metrics for t in tasks), (name, sorted(metrics))
        checked += 1
    for task in cfg["tasks"]:
        result = reward_fn.compute_score(task, "AbC Answer: A", "A", {"choices": ["x", "y"], "prefix": "AbC", "value": 1.0})
        assert 0.0 <= result["score"] <= 1.0 and result["judge_failed"] == 0.0, (task, result)
    return f"ok {checked} stages, {len(cfg['tasks'])} tasks"


for bundle in sys.argv[1:]:
    print(smoke(bundle))
