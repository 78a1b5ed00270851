"""The memory agent on verl v0.4.0: multi-turn generation through the rollout worker group, and the
batch layout that trains every step as its own sequence (paper Section 2.3, "Memory Optimization via RL").

verl's fit() generates with one `actor_rollout_wg.generate_sequences(gen_batch)` call and expects one
row per prompt x n back. A memory-agent trajectory is K + 1 (prompt, response) pairs with different
prompts, so for an agent stage trainer.py:
  - wraps `generate_sequences` with `MemoryAgentRollout.generate`, which runs memory_agent's lockstep
    loop: each step is one call of the real `generate_sequences` on the prompts of the trajectories
    still reading (left-padded to `data.max_prompt_length`, padded to a multiple of the world size with
    `pad_dataproto_to_divisor` and unpadded after, as verl's `_validate` does), with the sampling
    overrides `n = 1` (trajectories diverge after the first step) and `max_tokens` = the memory budget
    or the answer budget, applied on the worker by worker_patch.py;
  - returns every step of every trajectory as one row (trajectory-major, steps in order), with
    non-tensor columns `qlx_traj` (the trajectory: row `qlx_traj` of verl's `batch.repeat(n)`), `qlx_step`,
    `qlx_final` (the answer step) and `qlx_pad` (copies added so the row count divides the world size);
  - during fit() builds the prompt batch as `AgentBatch` (the trainer module's `DataProto` rebound),
    whose `pop` hands each row's extra_info to the generation call and whose `union` repeats each
    prompt row once per step row of its trajectories, so `uid` (the question's group), `data_source`,
    `reward_model` and `extra_info` reach every step row;
  - scores only the answer rows (extra_info `qlx_reading_step` makes reward_fn return 0 for the others)
    and computes the advantages over trajectories (`trajectory_view`), one response per trajectory as
    Eq. 3/7 see them, broadcast to every step row.
In validation (`meta_info["validate"]`), each input row is one trajectory and only its answer row comes
back, so verl's own unpadding and metrics work unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .memory_agent import AgentSettings, AgentTemplate, PromptCodec, Trajectory, agent_metrics, agent_task, run_memory_agent

AGENT_INFO_KEY = "qlx_agent_info"
SAMPLING_KEY = "qlx_sampling"
MINI_BATCH_KEY = "qlx_mini_batch_rows"
READING_STEP_KEY = "qlx_reading_step"
TRAJ, STEP, FINAL, PAD = "qlx_traj", "qlx_step", "qlx_final", "qlx_pad"


def left_padded_prompts(prompts: Sequence[Sequence[int]], width: int, pad_id: int, what: str) -> Dict[str, Any]:
    """verl's generation input for token prompts: input_ids / attention_mask / position_ids left-padded
    to `width`, and `raw_prompt_ids` (what vLLM reads, vllm_rollout_spmd L237-249)."""
    import numpy as np
    import torch

    n = len(prompts)
    input_ids = torch.full((n, width), pad_id, dtype=torch.int64)
    attention_mask = torch.zeros((n, width), dtype=torch.int64)
    raw = np.empty(n, dtype=object)
    for i, p in enumerate(prompts):
        if len(p) > width:
            raise ValueError(f"qlx_verl memory agent: {what} prompt {i} has {len(p)} tokens, more than data.max_prompt_length = {width}; raise the stage's input or lower chunk/memory")
        if len(p) > 0:
            input_ids[i, width - len(p) :] = torch.tensor(list(p), dtype=torch.int64)
            attention_mask[i, width - len(p) :] = 1
        raw[i] = list(p)
    # verl.utils.model.compute_position_id_with_mask
    position_ids = torch.clip(torch.cumsum(attention_mask, dim=-1) - 1, min=0, max=None)
    return {"input_ids": input_ids, "attention_mask": attention_mask, "position_ids": position_ids, "raw_prompt_ids": raw}


@dataclass
class Generated:
    tokens: List[int]
    call: int
    row: int


class MemoryAgentRollout:
    """The agent's generation on verl: `generate(gen_batch)` in place of the worker group's."""

    def __init__(self, generate_sequences, world_size: int, codec: PromptCodec, template: AgentTemplate, settings: AgentSettings, group: int, max_prompt_length: int, pad_token_id: int):
        self.generate_sequences = generate_sequences
        self.world_size = world_size
        self.codec = codec
        self.template = template
        self.settings = settings
        self.group = group
        self.max_prompt_length = max_prompt_length
        self.pad_token_id = pad_token_id
        self.last_metrics: Dict[str, float] = {}

    def generate(self, gen_batch):
        from verl.protocol import DataProto

        if AGENT_INFO_KEY not in gen_batch.non_tensor_batch:
            raise RuntimeError("qlx_verl memory agent: the generation batch carries no extra_info (fit() must build its batch as AgentBatch)")
        validate = bool(gen_batch.meta_info.get("validate", False))
        infos = list(gen_batch.non_tensor_batch[AGENT_INFO_KEY])
        tasks = [agent_task(dict(info), self.settings.chunk, self.codec.encode) for info in infos]
        outputs: List[Any] = []

        def generate(prompts: List[List[int]], max_new_tokens: int, kind: str, step: int) -> List[Generated]:
            from verl.protocol import pad_dataproto_to_divisor, unpad_dataproto

            proto = DataProto.from_single_dict(left_padded_prompts(prompts, self.max_prompt_length, self.pad_token_id, f"{kind} step {step}"))
            proto.meta_info = {k: v for k, v in gen_batch.meta_info.items()}
            proto.meta_info[SAMPLING_KEY] = {"n": 1, "max_tokens": int(max_new_tokens)}
            padded, pad_size = pad_dataproto_to_divisor(proto, self.world_size)
            out = unpad_dataproto(self.generate_sequences(padded), pad_size=pad_size)
            responses = out.batch["responses"]
            lengths = out.batch["attention_mask"][:, -responses.shape[1] :].sum(-1).tolist()
            call = len(outputs)
            outputs.append(out)
            return [Generated(responses[i, : int(lengths[i])].tolist(), call, i) for i in range(len(prompts))]

        trajectories = run_memory_agent(generate, tasks, 1 if validate else self.group, self.settings, self.template, self.codec, keep_steps=True)
        self.last_metrics = agent_metrics(trajectories)
        rows = step_rows(trajectories, final_only=validate)
        real = len(rows)
        if not validate:
            # verl splits the batch evenly over the data-parallel ranks: copies of the first rows,
            # marked qlx_pad, fill it up; they take no part in the reward, advantage or loss.
            rows = rows + [rows[i % len(rows)] for i in range((-len(rows)) % self.world_size)]
        offsets = [0]
        for out in outputs:
            offsets.append(offsets[-1] + len(out))
        batch = DataProto.concat(outputs).select_idxs([offsets[r[0]] + r[1] for r in rows])
        if not validate:
            for key, values in step_columns(rows, real).items():
                batch.non_tensor_batch[key] = values
        return batch


def step_rows(trajectories: Sequence[Trajectory], final_only: bool = False) -> List[Tuple[int, int, int, int, bool]]:
    """(call, row in that call's output, trajectory, step, is_final) for every step, trajectory-major."""
    out = []
    for t, tr in enumerate(trajectories):
        for s, step in enumerate(tr.steps):
            final = step.kind == "answer"
            if final or not final_only:
                out.append((step.output.call, step.output.row, t, s, final))
    return out


def step_columns(rows: Sequence[Tuple[int, int, int, int, bool]], real: int) -> Dict[str, Any]:
    """The non-tensor columns of the step rows; rows from index `real` on are padding copies."""
    import numpy as np

    return {
        TRAJ: np.array([r[2] for r in rows], dtype=np.int64),
        STEP: np.array([r[3] for r in rows], dtype=np.int64),
        FINAL: np.array([r[4] and i < real for i, r in enumerate(rows)], dtype=bool),
        PAD: np.array([i >= real for i in range(len(rows))], dtype=bool),
    }


def make_agent_batch_class(base):
    """`AgentBatch`: verl's DataProto for the prompt batch of an agent stage (see the module doc)."""

    class AgentBatch(base):
        def pop(self, batch_keys=None, non_tensor_batch_keys=None, meta_info_keys=None):
            popped = super().pop(batch_keys=batch_keys, non_tensor_batch_keys=non_tensor_batch_keys, meta_info_keys=meta_info_keys)
            if "extra_info" in self.non_tensor_batch:
                popped.non_tensor_batch[AGENT_INFO_KEY] = self.non_tensor_batch["extra_info"]
            return popped

        def union(self, other):
            if TRAJ not in other.non_tensor_batch:
                return super().union(other)
            import numpy as np

            expanded = self.select_idxs(np.asarray(other.non_tensor_batch[TRAJ], dtype=np.int64))
            if "extra_info" in expanded.non_tensor_batch:
                final = other.non_tensor_batch[FINAL]
                infos = np.empty(len(expanded), dtype=object)
                for i, info in enumerate(expanded.non_tensor_batch["extra_info"]):
                    infos[i] = {**dict(info or {}), READING_STEP_KEY: not bool(final[i])}
                expanded.non_tensor_batch["extra_info"] = infos
            return base.union(expanded, other)

    return AgentBatch


@dataclass
class TrajectoryView:
    """The step rows of a batch seen as trajectories, one response each (runtime/agent/trajectory.ts):
    a trajectory's tokens are its steps' response tokens concatenated, in step order."""

    final_rows: List[int]  # the answer row of each trajectory, trajectories in id order
    rows: List[List[int]]  # each trajectory's rows, in step order (padding rows in none)


def trajectory_view(non_tensor: Dict[str, Any]) -> TrajectoryView:
    traj = [int(x) for x in non_tensor[TRAJ]]
    step = [int(x) for x in non_tensor[STEP]]
    final = [bool(x) for x in non_tensor[FINAL]]
    pad = [bool(x) for x in non_tensor[PAD]]
    by_traj: Dict[int, List[int]] = {}
    for r, t in enumerate(traj):
        if not pad[r]:
            by_traj.setdefault(t, []).append(r)
    ids = sorted(by_traj)
    rows = [sorted(by_traj[t], key=lambda r: step[r]) for t in ids]
    final_rows = []
    for t, rs in zip(ids, rows):
        finals = [r for r in rs if final[r]]
        if len(finals) != 1:
            raise ValueError(f"qlx_verl memory agent: trajectory {t} has {len(finals)} answer rows, expected 1")
        final_rows.append(finals[0])
    return TrajectoryView(final_rows, rows)


def gather_trajectories(values, response_mask, view: TrajectoryView):
    """[rows, T] per-token values -> ([trajectories, L] values, [trajectories, L] mask): each
    trajectory's valid tokens, its steps' in order, left-aligned and zero-padded."""
    import torch

    mask = response_mask.to(torch.bool)
    pieces = [torch.cat([values[r][mask[r]] for r in rs]) for rs in view.rows]
    width = max([1] + [len(p) for p in pieces])
    out = torch.zeros((len(pieces), width), dtype=values.dtype, device=values.device)
    out_mask = torch.zeros((len(pieces), width), dtype=response_mask.dtype, device=values.device)
    for i, p in enumerate(pieces):
        out[i, : len(p)] = p
        out_mask[i, : len(p)] = 1
    return out, out_mask


def scatter_rows(traj_values, response_mask, view: TrajectoryView):
    """gather_trajectories' inverse: [trajectories, L] -> [rows, T] (0 on padding and pad rows)."""
    import torch

    mask = response_mask.to(torch.bool)
    out = torch.zeros(response_mask.shape, dtype=traj_values.dtype, device=traj_values.device)
    for i, rs in enumerate(view.rows):
        at = 0
        for r in rs:
            n = int(mask[r].sum())
            out[r][mask[r]] = traj_values[i, at : at + n]
            at += n
    return out


def mini_batch_rows(rows: int, world_size: int, train_batch_size: int, ppo_mini_batch_size: int) -> int:
    """Rows per rank of one optimizer update: verl sizes mini-batches in rows (prompts x n per rank),
    which a batch of K + 1 rows per trajectory would multiply into K + 1 times more updates. The qlx
    meaning is `train_batch_size / ppo_mini_batch_size` updates per epoch, whatever the rows."""
    updates = max(1, train_batch_size // max(1, ppo_mini_batch_size))
    return max(1, math.ceil(rows / world_size / updates))


def agent_settings(stage_cfg: Dict[str, Any]) -> Optional[AgentSettings]:
    """The stage's `agent = memory(...)` (its rollout node's `agent`), or None."""
    rollout = next((n for n in stage_cfg["nodes"] if n["kind"] == "rollout"), None)
    if rollout is None:
        raise KeyError(f"qlx_verl: stage {stage_cfg['name']!r} has no rollout node")
    agent = rollout.get("agent")
    if agent is None:
        return None
    return AgentSettings(chunk=int(agent["chunk"]), memory=int(agent["memory"]), max_chunks=int(agent["max_chunks"]), max_output=int(rollout["max_output"]))
