"""Task-balanced sampling (paper Section 4.2): every batch holds an equal share of each task.

verl v0.4.0 has no sampler registry: the trainer subclass (trainer.py) passes this sampler to the
dataloader, whose consecutive runs of `batch_size` indices become one step (StatefulDataLoader,
drop_last), so the balance is encoded in the index order. As in the runtime
(runtime/rl/samplers/taskBalanced.ts) and the IR's sampler node: with T tasks each gets
`share` = floor(B / T) prompts, and the `remainder` = B mod T extra prompts go one each to the
tasks at positions (b * remainder + j) mod T, j < remainder, of the IR's task list in its order,
so over T batches every task gets the same number of extras; rows of other tasks are not sampled. Each task is read as an endless stream
of seeded shuffles of its rows: a task that runs out starts a fresh shuffle, never shrinking the
batch. Batch b is a pure function of (seed, b), so resuming from a checkpoint only needs the
index of the next batch (`state_dict`, which StatefulDataLoader stores in verl's data.pt).
"""

from __future__ import annotations

import random
from typing import Dict, Iterator, List, Sequence


class TaskBalancedSampler:
    def __init__(self, row_tasks: Sequence[str], over: Sequence[str], share: int, remainder: int, seed: int):
        self.tasks = list(over)
        if not self.tasks or len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"task_balanced: the task list must be non-empty and without repeats, got {self.tasks}")
        if not 0 <= remainder < len(self.tasks):
            raise ValueError(f"task_balanced: remainder {remainder} must be below the number of tasks {len(self.tasks)}")
        self.rows: Dict[str, List[int]] = {t: [] for t in self.tasks}
        for i, task in enumerate(row_tasks):
            if task in self.rows:
                self.rows[task].append(i)
        need = share + (1 if remainder > 0 else 0)
        for task, rows in self.rows.items():
            if len(rows) < need:
                raise ValueError(f"task_balanced: task {task!r} has {len(rows)} rows (data_source) but a batch needs up to {need} distinct rows of it")
        self.share = share
        self.remainder = remainder
        self.batch_size = share * len(self.tasks) + remainder
        self.seed = seed
        self.batches_per_epoch = len(row_tasks) // self.batch_size
        self.next_batch = 0
        self._shuffles: Dict[tuple, List[int]] = {}

    def shares(self, b: int) -> Dict[str, int]:
        t = len(self.tasks)
        out = {task: self.share for task in self.tasks}
        for j in range(self.remainder):
            out[self.tasks[(b * self.remainder + j) % t]] += 1
        return out

    def _start(self, position: int, b: int) -> int:
        """How far into its stream the task at `position` is before batch b."""
        extras = max(0, (b * self.remainder - position + len(self.tasks) - 1) // len(self.tasks))
        return b * self.share + extras

    def _task_row(self, task: str, k: int) -> int:
        rows = self.rows[task]
        cycle, offset = divmod(k, len(rows))
        key = (task, cycle)
        if key not in self._shuffles:
            order = list(rows)
            random.Random(f"{self.seed}:task_balanced:{task}:{cycle}").shuffle(order)
            self._shuffles = {k2: v for k2, v in self._shuffles.items() if k2[0] != task or k2[1] >= cycle - 1}
            self._shuffles[key] = order
        return self._shuffles[key][offset]

    def batch(self, b: int) -> List[int]:
        out: List[int] = []
        for position, task in enumerate(self.tasks):
            start = self._start(position, b)
            out.extend(self._task_row(task, start + j) for j in range(self.shares(b)[task]))
        random.Random(f"{self.seed}:task_balanced:batch:{b}").shuffle(out)
        return out

    def __len__(self) -> int:
        return self.batches_per_epoch * self.batch_size

    def __iter__(self) -> Iterator[int]:
        end = (self.next_batch // self.batches_per_epoch + 1) * self.batches_per_epoch if self.batches_per_epoch else 0
        while self.next_batch < end:
            b = self.next_batch
            self.next_batch += 1
            yield from self.batch(b)

    def state_dict(self) -> Dict[str, int]:
        return {"next_batch": self.next_batch}

    def load_state_dict(self, state: Dict[str, int]) -> None:
        self.next_batch = int(state["next_batch"])


def from_ir(node: Dict, row_tasks: Sequence[str], seed: int) -> TaskBalancedSampler:
    """The sampler of an IR `task_balanced` sampler node."""
    sampler = TaskBalancedSampler(row_tasks, node["over"], node["share"], node["remainder"], seed)
    if sampler.batch_size != node["batch"]:
        raise ValueError(f"task_balanced: share {node['share']} x {len(node['over'])} tasks + {node['remainder']} is not the batch {node['batch']}")
    return sampler
