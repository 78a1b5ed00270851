"""Renders task records with qlx_verl.prepare_data: stdin JSON [record] -> stdout JSON [{prompt, row}]."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "compiler", "emit", "verl", "python"))

from qlx_verl import prepare_data  # noqa: E402

out = []
for record in json.load(sys.stdin):
    row = prepare_data.to_row("task_" + record["task"], record, lambda prompt, answer: (len(prompt[0]["content"]), len(answer)))
    out.append({"prompt": prepare_data.render_prompt(record), "row": row})
json.dump(out, sys.stdout)
