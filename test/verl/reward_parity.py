"""Scores reward cases with qlx_verl.rewards: stdin JSON [{rule, response, answer, extra}] -> stdout JSON scores."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "compiler", "emit", "verl", "python"))

from qlx_verl import rewards  # noqa: E402

out = []
for case in json.load(sys.stdin):
    golds = rewards.gold_answers(case["answer"], case["extra"])
    rule = case["rule"]
    fn = rewards.numeric_match(1e-4, 0.0) if rule == "numeric_match" else rewards.RULES[rule]
    out.append(fn(case["response"], golds, case["extra"]))
json.dump(out, sys.stdout)
