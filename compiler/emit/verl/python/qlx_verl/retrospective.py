"""Retrospective sampling `hard(pass_rate < x)` between stages (QwenLong-L1; paper Section 4.1).

During a stage the trainer appends every response's score to `qlx_scores.jsonl` in the stage's
checkpoint directory (`record_scores`). Between stages the driver calls
`python3 -m qlx_verl.retrospective`: a sample's pass rate is the mean score of all its rollouts
in the previous stage; samples whose pass rate satisfies the file's comparison (e.g. strictly below x) that fit the next stage's input
and output limits (token counts written by prepare_data.py) are appended to the next stage's
training parquet. The selection rule is runtime/rl/samplers/retrospective.ts.
"""

from __future__ import annotations

import argparse
import json
from typing import Dict, Iterable, List, Optional, Sequence, Tuple


def record_scores(path: str, step: int, indices: Sequence, tasks: Sequence[str], scores: Sequence[float]) -> None:
    with open(path, "a") as f:
        for index, task, score in zip(indices, tasks, scores):
            f.write(json.dumps({"step": step, "index": int(index), "task": task, "score": float(score)}) + "\n")


def pass_rates(lines: Iterable[str]) -> Dict[int, float]:
    sums: Dict[int, Tuple[float, int]] = {}
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line)
        s, n = sums.get(r["index"], (0.0, 0))
        sums[r["index"]] = (s + r["score"], n + 1)
    return {i: s / n for i, (s, n) in sums.items()}


COMPARISONS = {
    "<": lambda rate, x: rate < x,
    "<=": lambda rate, x: rate <= x,
    ">": lambda rate, x: rate > x,
    ">=": lambda rate, x: rate >= x,
}


def carry_over(items: Sequence[Dict], op: str, value: float, max_input: int, max_output: int) -> Tuple[List[int], int, int]:
    """(carried indices ascending, too easy, too long); items: index, pass_rate, input_tokens, output_tokens?

    A sample is hard when `pass_rate OP value` holds: the comparison the .qlx file wrote in
    `hard(pass_rate OP value)`."""
    if op not in COMPARISONS:
        raise ValueError(f"retrospective hard(pass_rate OP x): OP must be one of {sorted(COMPARISONS)}, got {op!r}")
    if not (0 <= value <= 1):
        raise ValueError(f"retrospective hard(pass_rate {op} x): x must be in [0, 1], got {value}")
    is_hard = COMPARISONS[op]
    carried: List[int] = []
    too_easy = too_long = 0
    for it in items:
        rate = it["pass_rate"]
        if not (0 <= rate <= 1):
            raise ValueError(f"retrospective: sample {it['index']} has pass rate {rate}, outside [0, 1]")
        if not is_hard(rate, value):
            too_easy += 1
        elif it["input_tokens"] > max_input or (it.get("output_tokens") or 0) > max_output:
            too_long += 1
        else:
            carried.append(it["index"])
    return sorted(carried), too_easy, too_long


def main(argv: Optional[Sequence[str]] = None) -> None:
    p = argparse.ArgumentParser(description="Append the previous stage's hard samples to the next stage's training data.")
    p.add_argument("--scores", required=True, help="qlx_scores.jsonl of the previous stage")
    p.add_argument("--pool", required=True, help="training parquet of the previous stage")
    p.add_argument("--into", required=True, help="training parquet of the next stage (rewritten)")
    p.add_argument("--op", choices=sorted(COMPARISONS), required=True, help="the comparison of hard(pass_rate OP value)")
    p.add_argument("--value", type=float, required=True)
    p.add_argument("--max-input", type=int, required=True)
    p.add_argument("--max-output", type=int, required=True)
    a = p.parse_args(argv)

    import pandas as pd

    with open(a.scores) as f:
        rates = pass_rates(f)
    pool = pd.read_parquet(a.pool)
    items = []
    for _, row in pool.iterrows():
        info = row["extra_info"]
        if info["index"] in rates:
            items.append({"index": info["index"], "pass_rate": rates[info["index"]], "input_tokens": info["input_tokens"], "output_tokens": info.get("output_tokens")})
    carried, too_easy, too_long = carry_over(items, a.op, a.value, a.max_input, a.max_output)
    chosen = set(carried)
    hard = pool[[row["extra_info"]["index"] in chosen for _, row in pool.iterrows()]]
    nxt = pd.read_parquet(a.into)
    merged = pd.concat([nxt, hard[~hard["extra_info"].apply(lambda e: e["index"]).isin(nxt["extra_info"].apply(lambda e: e["index"]))]], ignore_index=True)
    merged.to_parquet(a.into + ".tmp", index=False)
    import os

    os.replace(a.into + ".tmp", a.into)
    print(f"retrospective: carried {len(carried)} hard samples into {a.into} ({too_easy} too easy, {too_long} too long for the next stage)")


if __name__ == "__main__":
    main()
