"""Task records (JSONL, runtime/data/schema.ts) -> parquet in verl's RLHF dataset layout.

    python3 -m qlx_verl.prepare_data --project DIR --tokenizer MODEL --out data

One row per record (examples/data_preprocess/gsm8k.py is verl's canonical producer):
    data_source   the qlx task name (reward dispatch, task-balanced sampling, Eq. 7's task)
    prompt        [{"role": "user", "content": <prompt>}], rendered as runtime/tasks/prompt.ts
                  does in its natural layout (documents "title\\ntext\\n\\n", a conversation as
                  "User: ...\\n\\n", then the question, then "A) option" lines)
    ability       the record's task kind
    reward_model  {"style": "rule", "ground_truth": answer}
    extra_info    {"index", "id", "question", "aliases", "choices", "value", "unit", "prefix",
                   "input_tokens", "output_tokens"} -- what the rewards and retrospective read;
                  in a memory-agent stage also "agent_core", "agent_inst" (the query split, Section
                  2.3) and the context as "agent_context" text or an "agent_context_path" file
                  (contexts over --inline-context-chars); its prompt is then the query alone
Token counts use the policy's own tokenizer with its chat template (transformers, installed with
verl), so they are the counts verl's `data.max_prompt_length` is compared with. Prompts longer than
a stage's input limit are cut in the middle by verl itself (`data.truncation=middle`, keeping the
head and the tail as the paper's evaluation does). Per stage, `train.parquet` holds that stage's
tasks; `val.parquet` is a held-out slice chosen by a hash of the record id (deterministic).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import settings

EXTRA_FIELDS = ("question", "aliases", "choices", "value", "unit", "prefix")


def render_context(record: Dict[str, Any]) -> str:
    """The context part of the prompt: documents or conversation."""
    if record["task"] == "dialogue_memory":
        tags = {"system": "System", "user": "User", "assistant": "Assistant"}
        return "".join(f"{tags[m['role']]}: {m['content']}\n\n" for m in record["conversation"])
    return "".join(f"{d['text']}\n\n" if d["title"] == "" else f"{d['title']}\n{d['text']}\n\n" for d in record["documents"])


def render_prompt(record: Dict[str, Any]) -> str:
    context = render_context(record)
    if record["task"] != "multiple_choice":
        return context + record["question"]
    return context + record["question"] + "".join(f"\n{chr(65 + i)}) {c}" for i, c in enumerate(record["choices"]))


def agent_query(record: Dict[str, Any]) -> Tuple[str, str]:
    """The memory agent's query split (Section 2.3) as runtime/agent/templates.ts `agentQuery` makes it:
    the prompt's non-context part, with the record's meta.q_inst moved out when its generator recorded
    the split (meta.q_core replaces the question); otherwise the whole of it is the core."""
    problem = render_prompt(record)[len(render_context(record)) :]
    meta = record.get("meta") or {}
    core, inst = meta.get("q_core"), meta.get("q_inst")
    if isinstance(core, str) and isinstance(inst, str) and inst != "" and record["question"] in problem:
        return problem.replace(record["question"], core, 1), inst
    return problem, ""


def agent_row(row: Dict[str, Any], record: Dict[str, Any], context_dir: str, inline_chars: int) -> Dict[str, Any]:
    """A memory-agent stage's row: the agent reads the context from extra_info (text, or a file for
    documents longer than `inline_chars`), so the prompt verl tokenizes is the query alone."""
    core, inst = agent_query(record)
    context = render_context(record)
    extra = {**row["extra_info"], "agent_core": core, "agent_inst": inst, "agent_context": None, "agent_context_path": None}
    if len(context) > inline_chars:
        os.makedirs(context_dir, exist_ok=True)
        path = os.path.abspath(os.path.join(context_dir, f"{extra['index']}.txt"))
        with open(path, "w", encoding="utf-8") as f:
            f.write(context)
        extra["agent_context_path"] = path
    else:
        extra["agent_context"] = context
    prompt = [{"role": "user", "content": core if inst == "" else f"{core}\n{inst}"}]
    return {**row, "prompt": prompt, "extra_info": extra}


def stable_index(task: str, record_id: str) -> int:
    """A dataset-wide integer id (verl carries extra_info["index"] through the batch); 53 bits, so
    it is exact in JSON readers that use doubles."""
    return int.from_bytes(hashlib.sha256(f"{task}\0{record_id}".encode()).digest()[:7], "big") >> 3


def validation_ids(record_ids: Sequence[str], fraction: float) -> set:
    """Held-out ids: those whose hash falls below `fraction`, and at least one (verl refuses an
    empty validation set) unless the task has a single record."""
    def h(rid: str) -> float:
        return int.from_bytes(hashlib.sha256(f"val\0{rid}".encode()).digest()[:8], "big") / 2**64

    chosen = {rid for rid in record_ids if h(rid) < fraction}
    if not chosen and len(record_ids) > 1:
        chosen = {min(record_ids, key=h)}
    return chosen


def to_row(task: str, record: Dict[str, Any], count_tokens) -> Dict[str, Any]:
    prompt = [{"role": "user", "content": render_prompt(record)}]
    extra = {k: record.get(k) for k in EXTRA_FIELDS}
    extra["index"] = stable_index(task, record["id"])
    extra["id"] = record["id"]
    if count_tokens is not None:
        extra["input_tokens"], extra["output_tokens"] = count_tokens(prompt, record["answer"])
    return {
        "data_source": task,
        "prompt": prompt,
        "ability": record["task"],
        "reward_model": {"style": "rule", "ground_truth": record["answer"]},
        "extra_info": extra,
    }


def read_jsonl(path: str) -> List[Dict[str, Any]]:
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: {e}") from e
    return out


def tokenizer_counter(tokenizer_path: str):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer_path, trust_remote_code=False)

    def count(prompt, answer: str):
        text = tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
        return len(tok(text, add_special_tokens=False)["input_ids"]), len(tok(answer, add_special_tokens=False)["input_ids"])

    return count


def main(argv: Optional[Sequence[str]] = None) -> None:
    p = argparse.ArgumentParser(description="Write each stage's train/val parquet from the experiment's task files.")
    p.add_argument("--project", required=True, help="the qlx project directory (task data paths are relative to it)")
    p.add_argument("--tokenizer", required=True, help="HF model id or path whose tokenizer counts tokens")
    p.add_argument("--out", required=True)
    p.add_argument("--val-fraction", type=float, default=0.02)
    p.add_argument("--inline-context-chars", type=int, default=1_000_000, help="memory-agent stages: longer contexts are written to files beside the parquet")
    a = p.parse_args(argv)

    import pandas as pd

    cfg = settings.load()
    count = tokenizer_counter(a.tokenizer)
    rows: Dict[str, List[Dict[str, Any]]] = {}
    val: Dict[str, List[Dict[str, Any]]] = {}
    for task, spec in cfg["tasks"].items():
        records = read_jsonl(os.path.join(a.project, spec["data"]))
        built = [(r["id"], (to_row(task, r, count), r)) for r in records]
        held_out = validation_ids([rid for rid, _ in built], a.val_fraction)
        val[task] = [pair for rid, pair in built if rid in held_out]
        rows[task] = [pair for rid, pair in built if rid not in held_out]
        print(f"prepare_data: task {task}: {len(rows[task])} train, {len(val[task])} val rows from {spec['data']}")
    for name, stage in cfg["stages"].items():
        tasks = next(n for n in stage["nodes"] if n["kind"] == "dataset")["tasks"]
        agent = next(n for n in stage["nodes"] if n["kind"] == "rollout").get("agent")
        folder = os.path.join(a.out, name)
        os.makedirs(folder, exist_ok=True)
        for split, source in (("train", rows), ("val", val)):
            if agent is None:
                frame = pd.DataFrame([row for t in tasks for row, _ in source[t]])
            else:
                contexts = os.path.join(folder, "contexts")
                frame = pd.DataFrame([agent_row(row, record, contexts, a.inline_context_chars) for t in tasks for row, record in source[t]])
            frame.to_parquet(os.path.join(folder, f"{split}.parquet"), index=False)
        print(f"prepare_data: stage {name}: tasks {', '.join(tasks)} -> {folder}")


if __name__ == "__main__":
    main()
