"""Task-balanced sampling (paper Section 4.2): every batch holds a fixed share of each task.

verl v0.4.0 has no sampler registry: the trainer subclass (trainer.py) passes this sampler to the
dataloader, whose consecutive runs of `batch_size` indices become one step (StatefulDataLoader,
drop_last), so the balance is encoded in the index order. `per_task[k]` prompts of task `over[k]`
fill every batch (the compiler spreads the remainder). Each task is read as an endless stream
of seeded shuffles of its rows: a task that runs out starts a fresh shuffle, never shrinking the
batch. Batch b is a pure function of (seed, b), so resuming from a checkpoint only needs the
index of the next batch (`state_dict`, which StatefulDataLoader stores in data.pt).
"""

from __future__ import annotations

import random
from typing import Dict, Iterator, List, Sequence


class TaskBalancedSampler:
    def __init__(self, row_tasks: Sequence[str], batch_size: int, over: Sequence[str], per_task: Sequence[int], seed: int):
        if len(over) != len(per_task):
            raise ValueError(f"task_balanced: {len(over)} tasks but {len(per_task)} shares")
        if sum(per_task) != batch_size:
            raise ValueError(f"task_balanced: shares {list(per_task)} sum to {sum(per_task)}, not the batch size {batch_size}")
        self.rows: Dict[str, List[int]] = {t: [] for t in over}
        for i, task in enumerate(row_tasks):
            if task in self.rows:
                self.rows[task].append(i)
        empty = [t for t, rows in self.rows.items() if not rows and per_task[list(over).index(t)] > 0]
        if empty:
            raise ValueError(f"task_balanced: no rows of task(s) {', '.join(empty)} in the dataset (data_source column)")
        self.batch_size = batch_size
        self.over = list(over)
        self.per_task = list(per_task)
        self.seed = seed
        self.batches_per_epoch = len(row_tasks) // batch_size
        self.next_batch = 0
        self._shuffles: Dict[tuple, List[int]] = {}

    def _task_row(self, task: str, position: int) -> int:
        rows = self.rows[task]
        cycle, offset = divmod(position, len(rows))
        key = (task, cycle)
        if key not in self._shuffles:
            order = list(rows)
            random.Random(f"{self.seed}:task_balanced:{task}:{cycle}").shuffle(order)
            self._shuffles = {k: v for k, v in self._shuffles.items() if k[0] != task}
            self._shuffles[key] = order
        return self._shuffles[key][offset]

    def batch(self, b: int) -> List[int]:
        out: List[int] = []
        for task, share in zip(self.over, self.per_task):
            out.extend(self._task_row(task, b * share + j) for j in range(share))
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
