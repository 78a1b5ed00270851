"""The memory agent's lockstep rollout (paper Section 2.3, Eq. 5-6, Figure 2), independent of verl.

For each question, G trajectories read the document chunk by chunk: step t's prompt holds the core
question q_core, the memory m_{t-1} and plan p_{t-1} and chunk x_t (`chunk` tokens of the policy's
tokenizer); the policy writes (m_t, p_t) (Eq. 5). After the last chunk (or `max_chunks`), one answer
step writes y from q_core, m_K and the format instructions q_inst (Eq. 6).

This is a port of runtime/agent/memory.ts, which is the reference: the same lockstep (step t of every
trajectory still reading is one generate call, so a batch costs K + 1 calls, K the longest document's
chunk count), the same early finish of short documents, the same handling of a malformed reading step
(its output has no well-formed memory and plan: the previous state is kept, and counted). The prompt
texts are not written here: they come from the compiler (config.json, a stage's `agent_template`),
which derives them from runtime/agent/templates.ts, so both backends render the same bytes.

agent_rollout.py drives this loop with verl's rollout worker group; tests drive it with a scripted
generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple


class AgentState(NamedTuple):
    """What a reading step carries to the next (m_t, p_t of Eq. 5)."""

    memory: str
    plan: str


EMPTY_STATE = AgentState("", "")


class AgentQuery(NamedTuple):
    """The query split of Section 2.3: what every step keeps in view, and the answer step's format rules."""

    core: str
    inst: str


def _render(parts: Sequence[Any], values: Dict[str, str]) -> str:
    # One pass over the template's parts: slot values are inserted, never re-scanned for slots.
    return "".join(p if isinstance(p, str) else values[p["slot"]] for p in parts)


def _between(text: str, open_tag: str, close_tag: str, start: int) -> Optional[Tuple[str, int]]:
    """The text between the first `open_tag` at or after `start` and the next `close_tag`."""
    a = text.find(open_tag, start)
    if a < 0:
        return None
    b = text.find(close_tag, a + len(open_tag))
    if b < 0:
        return None
    return text[a + len(open_tag) : b], b + len(close_tag)


class AgentTemplate:
    """The prompts and the output parser of one template (runtime/agent/templates.ts `agentTemplateText`)."""

    def __init__(self, spec: Dict[str, Any]):
        for key in ("plan", "stepHead", "stepTail", "answer", "answerNoInst", "markers"):
            if key not in spec:
                raise KeyError(f"qlx_verl: agent template has no {key!r} (recompile the bundle)")
        self.spec = spec
        self.plan = bool(spec["plan"])
        self.markers = spec["markers"]

    def step_texts(self, query: AgentQuery, state: AgentState) -> Tuple[str, str]:
        """The reading step's text before and after the chunk's tokens."""
        values = {"core": query.core, "inst": query.inst, "memory": state.memory, "plan": state.plan}
        return _render(self.spec["stepHead"], values), _render(self.spec["stepTail"], values)

    def answer_text(self, query: AgentQuery, state: AgentState) -> str:
        values = {"core": query.core, "inst": query.inst, "memory": state.memory, "plan": state.plan}
        return _render(self.spec["answer"] if query.inst != "" else self.spec["answerNoInst"], values)

    def parse_step(self, output: str) -> Optional[AgentState]:
        """The updated memory (and plan) of a reading step's output, or None when malformed."""
        m = self.markers
        memory = _between(output, m["memoryOpen"], m["memoryClose"], 0)
        if memory is None:
            return None
        if not self.plan:
            return AgentState(memory[0], "")
        plan = _between(output, m["planOpen"], m["planClose"], memory[1])
        return AgentState(memory[0], plan[0]) if plan is not None else None


class PromptCodec:
    """Turns template texts and chunk tokens into prompt token ids, and output ids into text.

    A prompt is `prefix_ids`, then the template's text wrapped in `wrap` (before, after) -- the chat
    template of a Hugging Face model around one user message, as verl's dataset applies it to every
    prompt -- with the chunk's tokens inserted unchanged between the reading step's two texts.
    """

    def __init__(self, encode: Callable[[str], List[int]], decode: Callable[[Sequence[int]], str], prefix_ids: Sequence[int] = (), wrap: Tuple[str, str] = ("", "")):
        self.encode = encode
        self.decode = decode
        self.prefix_ids = list(prefix_ids)
        self.wrap = wrap

    def step_prompt(self, head: str, chunk: Sequence[int], tail: str) -> List[int]:
        return self.prefix_ids + self.encode(self.wrap[0] + head) + list(chunk) + self.encode(tail + self.wrap[1])

    def answer_prompt(self, text: str) -> List[int]:
        return self.prefix_ids + self.encode(self.wrap[0] + text + self.wrap[1])


CHAT_SENTINEL = "\u0000qlx-user-message\u0000"


def hf_codec(tokenizer) -> PromptCodec:
    """The codec of a Hugging Face tokenizer: its chat template around a user message (one, with the
    generation prompt, as verl's RLHFDataset renders `prompt`), special tokens skipped on decode."""
    chat = tokenizer.apply_chat_template([{"role": "user", "content": CHAT_SENTINEL}], add_generation_prompt=True, tokenize=False)
    if chat.count(CHAT_SENTINEL) != 1:
        raise ValueError("qlx_verl memory agent: the tokenizer's chat template does not show the user message once")
    before, after = chat.split(CHAT_SENTINEL)
    return PromptCodec(
        encode=lambda text: list(tokenizer(text, add_special_tokens=False)["input_ids"]),
        decode=lambda ids: tokenizer.decode(list(ids), skip_special_tokens=True),
        wrap=(before, after),
    )


def text_chunks(text: str, chunk: int, encode: Callable[[str], List[int]]) -> Callable[[], Iterator[List[int]]]:
    """Chunks of a document held in memory (runtime/agent/chunker.ts `memoryChunks`)."""
    _check_chunk(chunk)

    def chunks() -> Iterator[List[int]]:
        tokens = encode(text)
        for at in range(0, len(tokens), chunk):
            yield tokens[at : at + chunk]

    return chunks


def file_chunks(path: str, chunk: int, encode: Callable[[str], List[int]], read_bytes: int = 64 * 1024, max_carry: int = 4096) -> Callable[[], Iterator[List[int]]]:
    """Chunks of a UTF-8 file, tokenized while streaming (runtime/agent/chunker.ts `fileChunks`): a
    4M-token document is never held whole. Text is tokenized up to its last whitespace, the rest carried
    to the next read so a subword tokenizer never sees a word cut in two (a run of more than `max_carry`
    characters without whitespace is cut anyway)."""
    _check_chunk(chunk)
    import codecs

    def cut_point(text: str) -> int:
        for i in range(len(text) - 1, max(-1, len(text) - max_carry - 1), -1):
            if text[i] in " \n\t\r":
                return i + 1
        return max(0, len(text) - max_carry)

    def chunks() -> Iterator[List[int]]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        carry = ""
        pending: List[int] = []
        with open(path, "rb") as f:
            while True:
                block = f.read(read_bytes)
                if not block:
                    break
                text = carry + decoder.decode(block)
                cut = cut_point(text)
                carry = text[cut:]
                pending.extend(encode(text[:cut]))
                at = 0
                while at + chunk <= len(pending):
                    yield pending[at : at + chunk]
                    at += chunk
                pending = pending[at:]
        pending.extend(encode(carry + decoder.decode(b"", final=True)))
        for at in range(0, len(pending), chunk):
            yield pending[at : at + chunk]

    return chunks


def _check_chunk(chunk: int) -> None:
    if not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"qlx_verl memory agent: chunk must be a positive integer, got {chunk!r}")


@dataclass
class AgentTask:
    """One question: its query split and where its document's chunks come from (a fresh pass per call)."""

    query: AgentQuery
    chunks: Callable[[], Iterator[List[int]]]


@dataclass
class AgentSettings:
    """`agent = memory(chunk, memory, max_chunks)` and the answer budget (the stage's output length)."""

    chunk: int
    memory: int
    max_chunks: int
    max_output: int


@dataclass
class AgentStep:
    kind: str  # "read" | "answer"
    prompt: List[int]
    output: Any  # what the generator returned: `.tokens` (list of ids) and, on verl, the row it came from
    malformed: bool


@dataclass
class Trajectory:
    task: int
    steps: List[AgentStep] = field(default_factory=list)
    state: AgentState = EMPTY_STATE
    answer: str = ""
    read_steps: int = 0
    malformed_steps: int = 0
    memory_tokens: int = 0


# generate(prompts, max_new_tokens, kind, step) -> one output per prompt, each with `.tokens`.
Generate = Callable[[List[List[int]], int, str, int], Sequence[Any]]


def run_memory_agent(generate: Generate, tasks: Sequence[AgentTask], group: int, settings: AgentSettings, template: AgentTemplate, codec: PromptCodec, keep_steps: bool = True) -> List[Trajectory]:
    """G trajectories per task, task-major (trajectory i belongs to task i // group)."""
    if group < 1:
        raise ValueError(f"qlx_verl memory agent: group must be >= 1, got {group}")
    trajectories = [Trajectory(task=t) for t in range(len(tasks)) for _ in range(group)]
    readers = [task.chunks() for task in tasks]
    reading = set(range(len(tasks)))
    step = 1
    while reading:
        chunks: Dict[int, List[int]] = {}
        for t in sorted(reading):
            nxt = None if settings.max_chunks > 0 and step > settings.max_chunks else next(readers[t], None)
            if nxt is None:
                reading.discard(t)
            else:
                chunks[t] = nxt
        active = [tr for tr in trajectories if tr.task in chunks]
        if not active:
            break
        prompts = []
        for tr in active:
            head, tail = template.step_texts(tasks[tr.task].query, tr.state)
            prompts.append(codec.step_prompt(head, chunks[tr.task], tail))
        outputs = generate(prompts, settings.memory, "read", step)
        for tr, prompt, out in zip(active, prompts, outputs):
            parsed = template.parse_step(codec.decode(out.tokens))
            # A malformed step keeps the previous memory and plan (and is counted).
            if parsed is not None:
                tr.state = parsed
            else:
                tr.malformed_steps += 1
            tr.read_steps += 1
            tr.memory_tokens += len(out.tokens)
            if keep_steps:
                tr.steps.append(AgentStep("read", prompt, out, parsed is None))
        step += 1

    prompts = [codec.answer_prompt(template.answer_text(tasks[tr.task].query, tr.state)) for tr in trajectories]
    answers = generate(prompts, settings.max_output, "answer", step)
    for tr, prompt, out in zip(trajectories, prompts, answers):
        tr.answer = codec.decode(out.tokens)
        if keep_steps:
            tr.steps.append(AgentStep("answer", prompt, out, False))
    return trajectories


def agent_metrics(trajectories: Sequence[Trajectory]) -> Dict[str, float]:
    """runtime/agent/memory.ts `agentMetrics`: steps per trajectory (reads + the answer), the share of
    malformed reading steps, mean tokens a reading step generated."""
    steps = sum(t.read_steps + 1 for t in trajectories)
    reads = sum(t.read_steps for t in trajectories)
    malformed = sum(t.malformed_steps for t in trajectories)
    memory_tokens = sum(t.memory_tokens for t in trajectories)
    n = max(1, len(trajectories))
    return {
        "agent/steps_mean": steps / n,
        "agent/malformed_frac": malformed / reads if reads > 0 else 0.0,
        "agent/memory_tokens_mean": memory_tokens / reads if reads > 0 else 0.0,
    }


def agent_task(info: Dict[str, Any], chunk: int, encode: Callable[[str], List[int]]) -> AgentTask:
    """A dataset row's memory-agent task from its extra_info (written by prepare_data for agent stages):
    `agent_core`, `agent_inst`, and the document as `agent_context` text or an `agent_context_path`."""
    if "agent_core" not in info or info.get("agent_core") is None:
        raise KeyError(f"qlx_verl memory agent: row {info.get('id')!r} has no agent_core in extra_info (prepare the data with this bundle's prepare_data)")
    query = AgentQuery(str(info["agent_core"]), str(info.get("agent_inst") or ""))
    path = info.get("agent_context_path")
    if path:
        return AgentTask(query, file_chunks(str(path), chunk, encode))
    return AgentTask(query, text_chunks(str(info.get("agent_context") or ""), chunk, encode))
