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
  - for a memory-agent stage (`agent = memory(...)`, Section 2.3), runs the agent's multi-turn rollout
    in place of the worker group's generate_sequences and has fit() build its batches as
    agent_rollout.AgentBatch (the module's `DataProto` rebound for the call), so every step of every
    trajectory trains as its own row; the advantage step then works per trajectory;
  - appends every response's (trajectory's) score to qlx_scores.jsonl for retrospective sampling;
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
from contextlib import ExitStack, contextmanager
from typing import Any, Dict

from . import settings
from .advantage import outcome_advantages, per_task_stats
from .agent_rollout import agent_settings
from .aepo import AepoController, aepo_fragment
from .masks import clip_metrics, encode_keep, negative_gradient_keep
from .retrospective import record_scores

ENTROPY_COPY = "qlx_entropys"


def node(stage_cfg: Dict[str, Any], kind: str) -> Dict[str, Any]:
    for n in stage_cfg["nodes"]:
        if n["kind"] == kind:
            return n
    raise KeyError(f"qlx_verl: stage {stage_cfg['name']!r} has no {kind} node")


def advantages_and_keep(scores, groups, tasks, response_mask, entropies, stage_cfg: Dict[str, Any], aepo_state, world_size: int):
    """One advantage per response (the IR's estimator, Eq. 3/7/...) and the keep mask [N, T] of
    negative-gradient clipping (Eq. 8-9) and the entropy control (Eq. 11); returns (adv, keep, metrics)."""
    adv_node = node(stage_cfg, "advantage")
    token_counts = [int(c) for c in response_mask.sum(-1).tolist()]
    adv = outcome_advantages(scores, groups, tasks, adv_node["op"], adv_node["std"], adv_node["eps"], token_counts)
    metrics = per_task_stats(scores, adv, tasks)
    keep = response_mask.clone()

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
    return adv, keep, metrics


def _entropies(data):
    import torch

    return data.batch[ENTROPY_COPY].to(torch.float32) if ENTROPY_COPY in data.batch.keys() else None


def _write_advantages(data, token_adv, keep):
    data.batch["advantages"] = encode_keep(token_adv, keep.to(token_adv.dtype))
    data.batch["returns"] = token_adv
    if ENTROPY_COPY in data.batch.keys():
        data.batch.pop(ENTROPY_COPY)
    return data


def qlx_advantage_step(data, stage_cfg: Dict[str, Any], aepo_state, world_size: int, reward_key: str):
    """Writes `advantages`/`returns` into the DataProto; returns (data, metrics)."""
    import torch

    from .advantage import broadcast_to_tokens

    rewards_tok = data.batch["token_level_rewards"]
    response_mask = data.batch["response_mask"].to(torch.float32)
    scores = rewards_tok.sum(dim=-1).tolist()
    groups = list(data.non_tensor_batch["uid"])
    tasks = [str(t) for t in data.non_tensor_batch[reward_key]]
    adv, keep, metrics = advantages_and_keep(scores, groups, tasks, response_mask, _entropies(data), stage_cfg, aepo_state, world_size)
    token_adv = broadcast_to_tokens(adv, response_mask).to(rewards_tok.dtype)
    return _write_advantages(data, token_adv, keep), metrics


def agent_advantage_step(data, stage_cfg: Dict[str, Any], aepo_state, world_size: int, reward_key: str):
    """The memory agent's advantage step (Section 2.3): a response is a whole trajectory -- its reward
    the answer row's score, its tokens all its steps' -- so the advantage (group statistics over the G
    trajectories of a question), clipping and AEPO see one response per trajectory, as in the runtime;
    the advantage and keep mask are then broadcast back to every step row. Padding rows keep nothing."""
    import torch

    from .agent_rollout import gather_trajectories, scatter_rows, trajectory_view

    view = trajectory_view(data.non_tensor_batch)
    rewards_tok = data.batch["token_level_rewards"]
    response_mask = data.batch["response_mask"].to(torch.float32)
    row_scores = rewards_tok.sum(dim=-1).tolist()
    # The trajectory's reward: its answer row's score, plus the KL penalty of every step's tokens
    # when the KL is in the reward (reading rows score 0 otherwise, reward_fn.py).
    scores = [sum(row_scores[r] for r in rows) for rows in view.rows]
    groups = [data.non_tensor_batch["uid"][r] for r in view.final_rows]
    tasks = [str(data.non_tensor_batch[reward_key][r]) for r in view.final_rows]
    entropies = _entropies(data)
    traj_entropies, traj_mask = gather_trajectories(entropies if entropies is not None else torch.zeros_like(response_mask), response_mask, view)
    adv, traj_keep, metrics = advantages_and_keep(scores, groups, tasks, traj_mask.to(torch.float32), traj_entropies if entropies is not None else None, stage_cfg, aepo_state, world_size)
    keep = scatter_rows(traj_keep.to(torch.float32), response_mask, view)
    row_adv = torch.zeros(response_mask.shape[0], dtype=torch.float64)
    for a, rows in zip(adv, view.rows):
        row_adv[rows] = a
    token_adv = (row_adv.unsqueeze(-1) * response_mask.to(torch.float64)).to(rewards_tok.dtype)
    return _write_advantages(data, token_adv, keep), metrics


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
            self.qlx_agent = agent_settings(self.qlx_stage)
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
            if self.qlx_agent is not None:
                self._qlx_install_memory_agent()

        def _qlx_install_memory_agent(self):
            """Agent stages: the worker group's generate_sequences runs the memory agent (agent_rollout.py)."""
            from .agent_rollout import MemoryAgentRollout
            from .memory_agent import AgentTemplate, hf_codec

            if getattr(self, "async_rollout_mode", False):
                raise ValueError(f"qlx_verl: stage {self.qlx_stage['name']!r} runs the memory agent, which needs actor_rollout_ref.rollout.mode=sync")
            wg = self.actor_rollout_wg
            rollout = MemoryAgentRollout(
                generate_sequences=wg.generate_sequences,
                world_size=wg.world_size,
                codec=hf_codec(self.tokenizer),
                template=AgentTemplate(self.qlx_stage["agent_template"]),
                settings=self.qlx_agent,
                group=int(self.config.actor_rollout_ref.rollout.n),
                max_prompt_length=int(self.config.data.max_prompt_length),
                pad_token_id=self.tokenizer.pad_token_id,
            )
            trainer = self

            def generate_with_memory_agent(gen_batch):
                out = rollout.generate(gen_batch)
                if not gen_batch.meta_info.get("validate", False):
                    trainer.qlx_pending.update(rollout.last_metrics)
                return out

            wg.generate_sequences = generate_with_memory_agent

        def advantage_step(self, data, *_args, **_kwargs):
            key = self.config.data.reward_fn_key
            row_scores = data.batch["token_level_scores"].sum(dim=-1).tolist()
            if self.qlx_agent is None:
                scored = list(range(len(row_scores)))
            else:
                from .agent_rollout import MINI_BATCH_KEY, mini_batch_rows, trajectory_view

                # One score per trajectory: its answer row's.
                scored = trajectory_view(data.non_tensor_batch).final_rows
            record_scores(
                os.path.join(self._qlx_checkpoint_dir(), "qlx_scores.jsonl"),
                self.global_steps,
                [data.non_tensor_batch["index"][r] for r in scored],
                [str(data.non_tensor_batch[key][r]) for r in scored],
                [row_scores[r] for r in scored],
            )
            world_size = self.actor_rollout_wg.world_size
            if self.qlx_agent is None:
                data, metrics = qlx_advantage_step(data, self.qlx_stage, self.qlx_aepo, world_size, key)
            else:
                data, metrics = agent_advantage_step(data, self.qlx_stage, self.qlx_aepo, world_size, key)
                data.meta_info[MINI_BATCH_KEY] = mini_batch_rows(len(row_scores), world_size, int(self.config.data.train_batch_size), int(self.config.actor_rollout_ref.actor.ppo_mini_batch_size))
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

            with ExitStack() as hooks:
                hooks.enter_context(_rebound(trainer_module, names["advantageFunction"], self.advantage_step))
                hooks.enter_context(_rebound(tracking_module, names["trackingClass"], QlxTracking))
                if self.qlx_agent is not None:
                    from .agent_rollout import make_agent_batch_class

                    # fit() builds each batch with the module's DataProto: as AgentBatch, its rows
                    # follow the agent's step rows (agent_rollout.py).
                    data_proto = getattr(trainer_module, names["dataProtoClass"])
                    hooks.enter_context(_rebound(trainer_module, names["dataProtoClass"], make_agent_batch_class(data_proto)))
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
