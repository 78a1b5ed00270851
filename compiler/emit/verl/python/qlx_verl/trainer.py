"""The verl trainer subclass: task-balanced sampler, the qlx advantage step, clipping and AEPO.

verl v0.4.0 has no sampler or advantage registry (see docs/verl.md), so `QlxRayTrainer`:
  - overrides `_create_dataloader` to pass the task-balanced sampler (as verl's recipes subclass
    the trainer), reading each row's task from the dataset's `data_source` column;
  - wraps the worker group's `compute_log_prob` to keep a copy of the per-token entropies, which
    `fit()` pops after logging `actor/entropy_loss` (ray_trainer.py L1062-1071);
  - runs verl's own `fit()` with the trainer module's `compute_advantage` replaced, for the
    duration of the call, by `advantage_step`: the advantage of the IR (Eq. 3, Eq. 7, RLOO, ...)
    from `data_source` and `uid`, then negative-gradient clipping (Eq. 8-9) and the AEPO
    controller (Eq. 11) -- after advantage computation, before the actor update, as the paper
    places it. Their keep mask travels to the actor inside the advantages (masks.py);
  - appends every response's score to qlx_scores.jsonl for retrospective sampling;
  - merges the qlx metrics (runtime names: adv/mean/<task>, clip/..., aepo/...) into the tracking
    logger's records, and saves/loads the AEPO state beside verl's checkpoint (qlx_state.json).
Overriding the whole of `fit()` (as recipe/dapo does) would copy ~260 lines of verl; replacing the
one step it delegates keeps the plugin to what differs. The verl names used here come from
config.json (compiler/emit/verl/keys.ts), one column per verl version.
"""

from __future__ import annotations

import importlib
import json
import os
from contextlib import contextmanager
from typing import Any, Dict

from . import settings
from .advantage import outcome_advantages, per_task_stats
from .aepo import AepoController, aepo_fragment
from .masks import clip_metrics, encode_keep, negative_gradient_keep
from .retrospective import record_scores

ENTROPY_COPY = "qlx_entropys"


def node(stage_cfg: Dict[str, Any], kind: str) -> Dict[str, Any]:
    for n in stage_cfg["nodes"]:
        if n["kind"] == kind:
            return n
    raise KeyError(f"qlx_verl: stage {stage_cfg['name']!r} has no {kind} node")


def qlx_advantage_step(data, stage_cfg: Dict[str, Any], aepo_state, world_size: int, reward_key: str):
    """Writes `advantages`/`returns` into the DataProto; returns (data, metrics)."""
    import torch

    from .advantage import broadcast_to_tokens

    rewards_tok = data.batch["token_level_rewards"]
    response_mask = data.batch["response_mask"].to(torch.float32)
    scores = rewards_tok.sum(dim=-1).tolist()
    groups = list(data.non_tensor_batch["uid"])
    tasks = [str(t) for t in data.non_tensor_batch[reward_key]]
    adv_node = node(stage_cfg, "advantage")
    token_counts = [int(c) for c in response_mask.sum(-1).tolist()]
    adv = outcome_advantages(scores, groups, tasks, adv_node["op"], adv_node["std"], adv_node["eps"], token_counts)
    metrics = per_task_stats(scores, adv, tasks)
    token_adv = broadcast_to_tokens(adv, response_mask).to(rewards_tok.dtype)
    keep = response_mask.clone()
    entropies = data.batch[ENTROPY_COPY].to(torch.float32) if ENTROPY_COPY in data.batch.keys() else None

    mask_node = node(stage_cfg, "mask")
    if mask_node["op"] == "negative_gradient":
        if entropies is None:
            raise RuntimeError("qlx_verl: negative-gradient clipping needs the old-log-prob entropies")
        when = "above" if mask_node["entropy"]["op"] in (">", ">=") else "below"
        ngc = negative_gradient_keep(adv, entropies, response_mask, mask_node["level"], when, mask_node["entropy"]["value"])
        metrics.update(clip_metrics(ngc, response_mask))
        keep = keep * ngc

    control = node(stage_cfg, "control")
    if control["op"] == "aepo":
        aepo_keep, aepo_metrics = aepo_state.step(adv, entropies, response_mask)
        keep = keep * aepo_keep
        metrics.update(aepo_metrics)
    elif control["op"] == "aepo_fragment":
        frag_keep, frag_metrics = aepo_fragment(adv, scores, entropies, response_mask, control["low"], control["high"], world_size)
        keep = keep * frag_keep
        metrics.update(frag_metrics)

    data.batch["advantages"] = encode_keep(token_adv, keep.to(token_adv.dtype))
    data.batch["returns"] = token_adv
    if ENTROPY_COPY in data.batch.keys():
        data.batch.pop(ENTROPY_COPY)
    return data, metrics


@contextmanager
def _rebound(module, name: str, value):
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, original)


def make_trainer_class():
    """Builds QlxRayTrainer on the installed verl (imported here so this module imports without it)."""
    names = settings.load()["verl_names"]
    trainer_module = importlib.import_module(names["trainerModule"])
    tracking_module = importlib.import_module(names["trackingModule"])
    base = getattr(trainer_module, names["trainerClass"])

    class QlxRayTrainer(base):
        def __init__(self, *args, qlx_stage: str, **kwargs):
            self.qlx_stage = settings.stage(qlx_stage)
            control = node(self.qlx_stage, "control")
            self.qlx_aepo = AepoController(control["low"], control["high"]) if control["op"] == "aepo" else None
            self.qlx_pending: Dict[str, float] = {}
            super().__init__(*args, **kwargs)

        def _create_dataloader(self, train_dataset, val_dataset, collate_fn, train_sampler):
            sampler = node(self.qlx_stage, "sampler")
            if sampler["op"] == "task_balanced" and train_dataset is not None:
                from .sampler import from_ir

                row_tasks = [str(t) for t in train_dataset.dataframe[self.config.data.reward_fn_key]]
                train_sampler = from_ir(sampler, row_tasks, settings.load()["seed"])
            return super()._create_dataloader(train_dataset, val_dataset, collate_fn, train_sampler)

        def init_workers(self):
            super().init_workers()
            original = self.actor_rollout_wg.compute_log_prob
            entropy_key = names["rolloutTokenEntropyKey"]

            def compute_log_prob_keeping_entropy(data):
                out = original(data)
                out.batch[ENTROPY_COPY] = out.batch[entropy_key].clone()
                return out

            self.actor_rollout_wg.compute_log_prob = compute_log_prob_keeping_entropy

        def advantage_step(self, data, *_args, **_kwargs):
            key = self.config.data.reward_fn_key
            record_scores(
                os.path.join(self._qlx_checkpoint_dir(), "qlx_scores.jsonl"),
                self.global_steps,
                data.non_tensor_batch["index"],
                [str(t) for t in data.non_tensor_batch[key]],
                data.batch["token_level_scores"].sum(dim=-1).tolist(),
            )
            data, metrics = qlx_advantage_step(data, self.qlx_stage, self.qlx_aepo, self.actor_rollout_wg.world_size, key)
            self.qlx_pending.update(metrics)
            return data

        def fit(self):
            trainer = self
            tracking = getattr(tracking_module, names["trackingClass"])

            class QlxTracking(tracking):
                def log(self, *args, **kwargs):
                    if "data" in kwargs:
                        kwargs["data"] = {**kwargs["data"], **trainer.qlx_pending}
                    else:
                        args = ({**args[0], **trainer.qlx_pending}, *args[1:])
                    trainer.qlx_pending = {}
                    return super().log(*args, **kwargs)

            with _rebound(trainer_module, names["advantageFunction"], self.advantage_step), _rebound(tracking_module, names["trackingClass"], QlxTracking):
                return super().fit()

        def _qlx_checkpoint_dir(self) -> str:
            folder = self.config.trainer.default_local_dir
            folder = folder if os.path.isabs(folder) else os.path.join(os.getcwd(), folder)
            os.makedirs(folder, exist_ok=True)
            return folder

        def _qlx_state_path(self) -> str:
            return os.path.join(self._qlx_checkpoint_dir(), f"global_step_{self.global_steps}", "qlx_state.json")

        def _save_checkpoint(self):
            super()._save_checkpoint()
            if self.qlx_aepo is not None:
                path = self._qlx_state_path()
                tmp = path + ".tmp"
                with open(tmp, "w") as f:
                    json.dump({"aepo": self.qlx_aepo.state_dict()}, f)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)

        def _load_checkpoint(self):
            result = super()._load_checkpoint()
            path = self._qlx_state_path()
            if self.qlx_aepo is not None and self.global_steps > 0 and os.path.exists(path):
                with open(path) as f:
                    self.qlx_aepo.load_state_dict(json.load(f)["aepo"])
            return result

    return QlxRayTrainer
