"""Scores reward cases with qlx_verl.rewards: stdin JSON cases -> stdout JSON scores.

A case is {rule, response, rel_tol?, abs_tol?} with either {answer, extra} (ground truth and
extra_info as given) or {record} (a task record, turned into its verl row by prepare_data.to_row,
so the parity covers the data preparation as well as the rule).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "compiler", "emit", "verl", "python"))

from qlx_verl import prepare_data, rewards  # noqa: E402

out = []
for case in json.load(sys.stdin):
    if "record" in case:
        row = prepare_data.to_row(case["record"]["task"], case["record"], None)
        answer, extra = row["reward_model"]["ground_truth"], row["extra_info"]
    else:
        answer, extra = case["answer"], case["extra"]
    golds = rewards.gold_answers(answer, extra)
    rule = case["rule"]
    if rule == "numeric_match":
        fn = rewards.numeric_match(case.get("rel_tol", 1e-4), case.get("abs_tol", 0.0))
    else:
        fn = rewards.RULES[rule]
    out.append(fn(case["response"], golds, extra))
json.dump(out, sys.stdout)
