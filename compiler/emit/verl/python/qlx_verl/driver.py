"""Runs the experiment's schedule in order: `python3 -m qlx_verl.driver [--only NAME] [--dry-run]`.

For each entry of config.json's `schedule`:
  stage  -- (if `retrospective`) append the hard samples of the previous stage to this stage's
            training data (retrospective.py), then train with `python3 -m qlx_verl.main` and the
            stage's Hydra overrides (configs/<stage>.args), starting from the initial model or
            from the Hugging Face weights of the stage/merge named in `from`;
  merge  -- run mergekit on configs/<merge>.mergekit.yaml (SCE, TIES, DARE, ...).
A finished entry leaves `<checkpoint_dir>/<name>/DONE` and is skipped on a rerun, so a killed
schedule resumes where it stopped (verl itself resumes inside a stage: trainer.resume_mode=auto).
Placeholders in the overrides: {data_dir}, {checkpoint_dir}, {model_path}; in a
mergekit file, {weights:NAME} is the weights directory of stage or merge NAME.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

from . import settings

BUNDLE_DIR = os.path.dirname(settings.PACKAGE_DIR)


def read_args(path: str) -> List[str]:
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]


def weights_of(name: str, checkpoint_dir: str, kinds: Dict[str, str], dry_run: bool = False) -> str:
    """Hugging Face weights a stage (last checkpoint's actor/huggingface) or a merge produced."""
    folder = os.path.join(checkpoint_dir, name)
    if kinds[name] == "merge":
        return folder
    latest = os.path.join(folder, "latest_checkpointed_iteration.txt")
    if dry_run and not os.path.exists(latest):
        step = "LAST"
    else:
        with open(latest) as f:
            step = f.read().strip()
    return os.path.join(folder, f"global_step_{step}", "actor", "huggingface")


def run(cmd: Sequence[str], dry_run: bool) -> None:
    print("+ " + " ".join(cmd), flush=True)
    if not dry_run:
        subprocess.run(list(cmd), check=True, cwd=BUNDLE_DIR)


def main(argv: Optional[Sequence[str]] = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", default=os.path.join(BUNDLE_DIR, "data"))
    p.add_argument("--checkpoint-dir", default=os.path.join(BUNDLE_DIR, "checkpoints"))
    p.add_argument("--only", help="run just this stage or merge")
    p.add_argument("--dry-run", action="store_true", help="print the commands without running them")
    a = p.parse_args(argv)
    cfg = settings.load()
    kinds = {e["name"]: e["kind"] for e in cfg["schedule"]}
    data_dir, ckpt_dir = os.path.abspath(a.data_dir), os.path.abspath(a.checkpoint_dir)
    for entry in cfg["schedule"]:
        name = entry["name"]
        done = os.path.join(ckpt_dir, name, "DONE")
        if (a.only and a.only != name) or os.path.exists(done):
            print(f"driver: skip {entry['kind']} {name}" + (" (done)" if os.path.exists(done) else ""))
            continue
        if entry["kind"] == "merge":
            resolved = os.path.join(ckpt_dir, f"{name}.mergekit.yaml")
            with open(os.path.join(BUNDLE_DIR, "configs", f"{name}.mergekit.yaml")) as f:
                text = re.sub(r"\{weights:([^}]+)\}", lambda m: weights_of(m.group(1), ckpt_dir, kinds, a.dry_run), f.read())
            if not a.dry_run:
                os.makedirs(ckpt_dir, exist_ok=True)
                with open(resolved, "w") as f:
                    f.write(text)
            run(["mergekit-yaml", resolved, os.path.join(ckpt_dir, name), "--copy-tokenizer"], a.dry_run)
        else:
            model = entry["init_model"] if entry["from"] is None else weights_of(entry["from"], ckpt_dir, kinds, a.dry_run)
            retro = entry.get("retrospective")
            if retro is not None:
                scores = os.path.join(ckpt_dir, retro["from_stage"], "qlx_scores.jsonl")
                run([sys.executable, "-m", "qlx_verl.retrospective", "--scores", scores, "--pool", os.path.join(data_dir, retro["from_stage"], "train.parquet"), "--into", os.path.join(data_dir, name, "train.parquet"), "--op", retro["op"], "--value", str(retro["value"]), "--max-input", str(entry["input"]), "--max-output", str(entry["output"])], a.dry_run)
            values = {"data_dir": data_dir, "checkpoint_dir": ckpt_dir, "model_path": model}
            overrides = [arg.format(**values) for arg in read_args(os.path.join(BUNDLE_DIR, "configs", f"{name}.args"))]
            run([sys.executable, "-m", "qlx_verl.main", *overrides], a.dry_run)
        if not a.dry_run:
            os.makedirs(os.path.dirname(done), exist_ok=True)
            open(done, "w").close()


if __name__ == "__main__":
    main()
