// The memory agent's prompts (paper §2.3, Eq. 5-6, and its Appendix D templates, which we do
// not copy: these are our own words with the same roles). A reading step shows the core
// question q_core, the memory m_{t-1} and plan p_{t-1} carried so far, and the section x_t; the
// policy answers with the updated memory and plan inside tags. The answer step shows q_core,
// the final memory m_K and the formatting instructions q_inst (kept out of the reading steps so
// format rules do not crowd the notes, §2.3).
//
// Two renderings, following the task style (runtime/executor/examples.ts `taskStyle`):
//   natural  prose instructions and XML-like tags <memory>…</memory><plan>…</plan>;
//   tiny     a few marker characters for from-scratch byte-level models whose whole context is
//            a few hundred tokens: step `{m}[p]|x|?K=` → `{m'}[p']`, answer `{m}?K=` → value.
//            The answer prompt has the shape of a tiny full-context prompt (context, then the
//            question), so a model warmed up on full prompts can answer from a memory that
//            holds the fact (`{K:37 }?K=` → `37`).
import type { TaskRecord } from "../data/schema.ts";
import { renderContext, renderPrompt } from "../tasks/prompt.ts";
import type { TaskStyle } from "../tasks/types.ts";
import { byteTokenizer, type Tokenizer } from "../tokenizer/byte.ts";

/** The query split for the memory agent (§2.3): the core question and the format instructions. */
export interface AgentQuery {
  /** What every reading step keeps in view (for multiple choice: the question with its options). */
  readonly core: string;
  /** Formatting instructions, shown only in the answer step ("" when the task has none). */
  readonly inst: string;
}

/** What a reading step carries to the next (m_t, p_t of Eq. 5). */
export interface AgentState {
  readonly memory: string;
  readonly plan: string;
}

export const EMPTY_STATE: AgentState = { memory: "", plan: "" };

/**
 * The query of a task record: the prompt's non-context part (question, and the options of a
 * multiple-choice record, as the task renders them), with `meta.q_inst` moved out when the
 * generator recorded the split (runtime/tasks/documents.ts `commonMeta`).
 */
export function agentQuery(record: TaskRecord): AgentQuery {
  const problem = renderPrompt(record).slice(renderContext(record).length);
  const core = record.meta?.["q_core"];
  const inst = record.meta?.["q_inst"];
  if (typeof core === "string" && typeof inst === "string" && inst !== "") {
    if (problem.includes(record.question)) {
      return { core: problem.replace(record.question, core), inst };
    }
  }
  return { core: problem, inst: "" };
}

/** The document the agent reads: the record's context (documents or conversation). */
export function agentDocument(record: TaskRecord): string {
  return renderContext(record);
}

interface Markers {
  readonly memoryOpen: string;
  readonly memoryClose: string;
  readonly planOpen: string;
  readonly planClose: string;
}

const TINY_MARKERS: Markers = { memoryOpen: "{", memoryClose: "}", planOpen: "[", planClose: "]" };
const NATURAL_MARKERS: Markers = {
  memoryOpen: "<memory>",
  memoryClose: "</memory>",
  planOpen: "<plan>",
  planClose: "</plan>",
};

export interface AgentTemplate {
  readonly style: TaskStyle;
  /** Tokens of a reading step's prompt (BOS first); `chunk` is inserted as tokens, unchanged. */
  stepPrompt(query: AgentQuery, state: AgentState, chunk: readonly number[]): number[];
  /** Tokens of the answer step's prompt (BOS first). */
  answerPrompt(query: AgentQuery, state: AgentState): number[];
  /** The updated memory and plan of a reading step's output, or null when malformed. */
  parseStep(output: string): AgentState | null;
  /** The output a reading step should produce for `state` (its inverse; tests and warm-up). */
  renderStep(state: AgentState): string;
}

/** A tag's content: the text between the first `open` at or after `from` and the next `close`. */
function between(
  text: string,
  open: string,
  close: string,
  from: number,
): { value: string; end: number } | null {
  const a = text.indexOf(open, from);
  if (a < 0) return null;
  const b = text.indexOf(close, a + open.length);
  if (b < 0) return null;
  return { value: text.slice(a + open.length, b), end: b + close.length };
}

function parser(m: Markers, withPlan: boolean): (output: string) => AgentState | null {
  return (output) => {
    const memory = between(output, m.memoryOpen, m.memoryClose, 0);
    if (!memory) return null;
    if (!withPlan) return { memory: memory.value, plan: "" };
    const plan = between(output, m.planOpen, m.planClose, memory.end);
    return plan ? { memory: memory.value, plan: plan.value } : null;
  };
}

function renderer(m: Markers, withPlan: boolean): (state: AgentState) => string {
  return (s) =>
    `${m.memoryOpen}${s.memory}${m.memoryClose}` +
    (withPlan ? `${m.planOpen}${s.plan}${m.planClose}` : "");
}

function tinyTemplate(withPlan: boolean, tok: Tokenizer): AgentTemplate {
  const m = TINY_MARKERS;
  const render = renderer(m, withPlan);
  return {
    style: "tiny",
    stepPrompt: (q, s, chunk) => [
      tok.special.bos,
      ...tok.encode(`${render(s)}|`),
      ...chunk,
      ...tok.encode(`|${q.core}`),
    ],
    answerPrompt: (q, s) => [
      tok.special.bos,
      ...tok.encode(`${m.memoryOpen}${s.memory}${m.memoryClose}${q.core}${q.inst}`),
    ],
    parseStep: parser(m, withPlan),
    renderStep: render,
  };
}

function naturalTemplate(withPlan: boolean, tok: Tokenizer): AgentTemplate {
  const m = NATURAL_MARKERS;
  const render = renderer(m, withPlan);
  const planNote = withPlan
    ? " Then, in <plan>…</plan>, say in a sentence or two what to look for in the sections still to come."
    : "";
  const reply = withPlan ? "<memory>…</memory><plan>…</plan>" : "<memory>…</memory>";
  return {
    style: "natural",
    stepPrompt: (q, s, chunk) => [
      tok.special.bos,
      ...tok.encode(
        `You are reading a long document one section at a time, in order, and cannot go back. ` +
          `Keep notes that will let you answer the question below without the document.\n\n` +
          `<question>\n${q.core}\n</question>\n\n` +
          `Your notes so far (they may be incomplete or wrong):\n${render(s)}\n\n` +
          `The next section:\n<section>\n`,
      ),
      ...chunk,
      ...tok.encode(
        `\n</section>\n\n` +
          `Rewrite your notes in <memory>…</memory>: keep what still matters, copy in full ` +
          `what this section adds toward the question (not just a pointer to it), fix what it ` +
          `shows to be wrong, and leave out look-alike facts that do not answer it. Do not ` +
          `answer the question yet.${planNote}\nReply as ${reply}.\n`,
      ),
    ],
    answerPrompt: (q, s) => [
      tok.special.bos,
      ...tok.encode(
        `Answer the question from your notes alone.\n\n` +
          `<question>\n${q.core}\n</question>\n\n` +
          `${m.memoryOpen}\n${s.memory}\n${m.memoryClose}\n\n` +
          (q.inst === "" ? "" : `${q.inst}\n`) +
          `Answer: `,
      ),
    ],
    parseStep: parser(m, withPlan),
    renderStep: render,
  };
}

/** The template for a task style; `plan` adds the plan p_t to every reading step. */
export function agentTemplate(
  style: TaskStyle,
  plan: boolean,
  tokenizer: Tokenizer = byteTokenizer,
): AgentTemplate {
  return style === "tiny" ? tinyTemplate(plan, tokenizer) : naturalTemplate(plan, tokenizer);
}

/** A piece of a template's text: literal text, or a slot filled when a prompt is rendered. */
export type TemplatePart = string | { readonly slot: "core" | "inst" | "memory" | "plan" };

/**
 * A template as data, for renderers outside this runtime (the verl bundle's qlx_verl renders
 * the same prompts in Python): the reading step is BOS, `stepHead`, the chunk's tokens,
 * `stepTail`; the answer step is BOS, `answer` (`answerNoInst` when q_inst is ""). Derived by
 * rendering this module's own templates with slot markers, so the data cannot drift from them.
 */
export interface AgentTemplateText {
  readonly style: TaskStyle;
  readonly plan: boolean;
  readonly stepHead: readonly TemplatePart[];
  readonly stepTail: readonly TemplatePart[];
  readonly answer: readonly TemplatePart[];
  readonly answerNoInst: readonly TemplatePart[];
  /** The tags parseStep looks for (memory, then plan after it). */
  readonly markers: Markers;
}

const SLOT_NAMES = ["core", "inst", "memory", "plan"] as const;
// Private-use code points: no task text holds them, so a slot marker cannot be mistaken for text.
const slotMarker = (name: string) => `\uE000${name}\uE001`;

function toParts(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  for (const piece of text.split(/(\uE000[a-z]+\uE001)/)) {
    if (piece === "") continue;
    const name = SLOT_NAMES.find((n) => slotMarker(n) === piece);
    parts.push(name === undefined ? piece : { slot: name });
  }
  return parts;
}

export function agentTemplateText(style: TaskStyle, plan: boolean): AgentTemplateText {
  // A tokenizer that records what it is asked to encode: each text becomes one token, its
  // negative index, so the prompt's layout (BOS, texts, chunk) can be read back.
  const texts: string[] = [];
  const recorder: Tokenizer = {
    ...byteTokenizer,
    encode: (text) => {
      texts.push(text);
      return [-texts.length];
    },
  };
  const CHUNK = 1_000_000;
  const template = agentTemplate(style, plan, recorder);
  const query = { core: slotMarker("core"), inst: slotMarker("inst") };
  const state = { memory: slotMarker("memory"), plan: slotMarker("plan") };
  const textOf = (ids: readonly number[], layout: string): string[] => {
    const shape = ids.map((t) => (t === CHUNK ? "chunk" : t < 0 ? "text" : "bos")).join(" ");
    if (shape !== layout)
      throw new Error(`agent template ${style}: prompt layout '${shape}', expected '${layout}'`);
    return ids.filter((t) => t < 0).map((t) => texts[-1 - t]!);
  };
  const [stepHead, stepTail] = textOf(
    template.stepPrompt(query, state, [CHUNK]),
    "bos text chunk text",
  );
  const [answer] = textOf(template.answerPrompt(query, state), "bos text");
  const [answerNoInst] = textOf(template.answerPrompt({ ...query, inst: "" }, state), "bos text");
  return {
    style,
    plan,
    stepHead: toParts(stepHead!),
    stepTail: toParts(stepTail!),
    answer: toParts(answer!),
    answerNoInst: toParts(answerNoInst!),
    markers: style === "tiny" ? TINY_MARKERS : NATURAL_MARKERS,
  };
}
