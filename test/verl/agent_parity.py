"""Drives qlx_verl's memory agent end to end on CPU, without verl: stdin JSON -> stdout JSON.

Input: {"template": <agentTemplateText>, "tasks": [{"core", "inst", "context"}], "group", "settings":
{"chunk", "memory", "max_chunks", "max_output"}, "rewards": [one per trajectory], "stage": <stage with
advantage/mask/control nodes>, "world_size"}. The policy is the byte tokenizer (runtime/tokenizer/
byte.ts) and the scripted generator below, the twin of the one in memory-agent.test.ts. The step rows
are laid out as MemoryAgentRollout lays them out for verl (trajectory-major, padded to the world size),
scored on their answer rows, and put through trainer.agent_advantage_step.
Output: the trajectories (every step's prompt ids, output text, malformed flag; answer; counters) and,
per step row, its token advantages and keep mask.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "compiler", "emit", "verl", "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from qlx_verl import masks  # noqa: E402
from qlx_verl.agent_rollout import FINAL, PAD, STEP, TRAJ, step_columns, step_rows  # noqa: E402
from qlx_verl.memory_agent import AgentSettings, AgentTemplate, AgentTask, AgentQuery, PromptCodec, run_memory_agent, text_chunks  # noqa: E402
from qlx_verl.trainer import agent_advantage_step  # noqa: E402

BOS, EOS = 257, 258
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"


def encode(text):
    return list(text.encode("utf-8"))


def decode(ids):
    return bytes(t for t in ids if 0 <= t < 256).decode("utf-8", errors="replace")


def between(text, a, b):
    i = text.find(a)
    j = text.find(b, i + len(a))
    return text[i + len(a) : j]


class Out:
    def __init__(self, tokens, entropy, call, row):
        self.tokens = tokens
        self.entropy = entropy
        self.call = call
        self.row = row


def scripted():
    """A reading step appends the section's capitals (and, at odd positions of the call, its digits) to
    the memory and a "+" to the plan; a section with "!" gets no tags (malformed); the answer step
    echoes its memory. Token entropies are k/8 by position and call."""
    calls = []

    def generate(prompts, max_new_tokens, kind, step):
        call = len(calls)
        calls.append({"n": len(prompts), "max_new_tokens": max_new_tokens, "kind": kind})
        outs = []
        for i, p in enumerate(prompts):
            text = decode(p)
            if text.startswith("Answer the question"):
                reply = "ans:" + between(text, "<memory>\n", "\n</memory>")
            else:
                section = between(text, "<section>\n", "\n</section>")
                if "!" in section:
                    reply = "no tags here"
                else:
                    memory = between(text, "<memory>", "</memory>")
                    plan = between(text, "<plan>", "</plan>") if "<plan>" in text.split("<section>")[0] else ""
                    extra = "".join(c for c in section if c in UPPER)
                    if i % 2 == 1:
                        extra += "".join(c for c in section if c in DIGITS)
                    reply = f"<memory>{memory}{extra}</memory><plan>{plan}+</plan>"
            tokens = (encode(reply) + [EOS])[:max_new_tokens]
            entropy = [(1 + 2 * ((i + call + k) % 4)) / 8 for k in range(len(tokens))]
            outs.append(Out(tokens, entropy, call, i))
        return outs

    return generate, calls


def main():
    spec = json.load(sys.stdin)
    template = AgentTemplate(spec["template"])
    codec = PromptCodec(encode, decode, prefix_ids=[BOS])
    s = spec["settings"]
    settings = AgentSettings(s["chunk"], s["memory"], s["max_chunks"], s["max_output"])
    tasks = [AgentTask(AgentQuery(t["core"], t["inst"]), text_chunks(t["context"], settings.chunk, encode)) for t in spec["tasks"]]
    generate, calls = scripted()
    group = spec["group"]
    trajectories = run_memory_agent(generate, tasks, group, settings, template, codec)

    rows = step_rows(trajectories)
    real = len(rows)
    rows = rows + [rows[i % real] for i in range((-real) % spec["world_size"])]
    columns = step_columns(rows, real)
    outputs = [tr.steps[r[3]].output for r in rows for tr in [trajectories[r[2]]]]
    width = max(len(o.tokens) for o in outputs)
    n = len(rows)
    response_mask = torch.zeros(n, width, dtype=torch.int64)
    scores = torch.zeros(n, width)
    entropies = torch.zeros(n, width)
    for i, (o, r) in enumerate(zip(outputs, rows)):
        response_mask[i, : len(o.tokens)] = 1
        entropies[i, : len(o.tokens)] = torch.tensor(o.entropy)
        # verl's reward manager: the score at the last valid token; 0 on reading and padding rows
        # (reward_fn's qlx_reading_step).
        if columns[FINAL][i]:
            scores[i, len(o.tokens) - 1] = spec["rewards"][r[2]]

    class Proto:
        pass

    data = Proto()
    data.batch = {"token_level_rewards": scores, "token_level_scores": scores.clone(), "response_mask": response_mask, "qlx_entropys": entropies}
    data.non_tensor_batch = {
        **columns,
        "uid": np.array([f"q{trajectories[r[2]].task}" for r in rows], dtype=object),
        "data_source": np.array(["t"] * n, dtype=object),
    }
    # Rows shuffled as verl's _balance_batch may leave them: the step needs only the columns.
    order = list(range(n))[::-1]
    for key in list(data.batch):
        data.batch[key] = data.batch[key][order]
    for key in list(data.non_tensor_batch):
        data.non_tensor_batch[key] = data.non_tensor_batch[key][order]
    from qlx_verl.aepo import AepoController

    control = next(x for x in spec["stage"]["nodes"] if x["kind"] == "control")
    aepo = AepoController(control["low"], control["high"]) if control["op"] == "aepo" else None
    data, metrics = agent_advantage_step(data, spec["stage"], aepo, spec["world_size"], "data_source")
    keep, adv = masks.decode_keep(data.batch["advantages"])
    out_rows = []
    for j in range(n):
        length = int(data.batch["response_mask"][j].sum())
        out_rows.append(
            {
                "traj": int(data.non_tensor_batch[TRAJ][j]),
                "step": int(data.non_tensor_batch[STEP][j]),
                "pad": bool(data.non_tensor_batch[PAD][j]),
                "adv": [float(x) for x in adv[j, :length]],
                "keep": [int(x) for x in keep[j, :length]],
            }
        )
    json.dump(
        {
            "calls": calls,
            "trajectories": [
                {
                    "task": tr.task,
                    "steps": [{"kind": st.kind, "prompt": st.prompt, "output": decode(st.output.tokens), "malformed": st.malformed} for st in tr.steps],
                    "answer": tr.answer,
                    "finalMemory": tr.state.memory,
                    "readSteps": tr.read_steps,
                    "malformedSteps": tr.malformed_steps,
                    "memoryTokens": tr.memory_tokens,
                }
                for tr in trajectories
            ],
            "rows": out_rows,
            "metrics": metrics,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
