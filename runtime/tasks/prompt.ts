// How a task record becomes the prompt text the policy reads. The generators pad each record
// to a target input length measured on exactly this text, so every consumer (rollout, token
// counting for stage limits, data check) must render prompts through this one function.
//
// Two layouts, chosen by the record's `meta.style`:
//   natural (default, also for users' own data): documents as "title\ntext\n\n", a
//     conversation as "User: …\n\nAssistant: …\n\n", then the question, then for
//     multiple choice one "A) option" line per choice.
//   tiny: everything concatenated with no separators or role tags, choices as "Aopt " before
//     the question, so a whole prompt fits in 32-64 byte tokens (notes/tiny-scale-rl.md:
//     `K:37 ` facts, filler characters between them, `?K=` question).

import type { Document, Message, TaskRecord } from "../data/schema.ts";
import { choiceLetter } from "../data/schema.ts";

export type PromptLayout = "tiny" | "natural";

export function layoutOf(record: Pick<TaskRecord, "meta">): PromptLayout {
  return record.meta?.["style"] === "tiny" ? "tiny" : "natural";
}

export function renderDocument(doc: Document, layout: PromptLayout): string {
  if (layout === "tiny") return doc.text;
  return doc.title === "" ? `${doc.text}\n\n` : `${doc.title}\n${doc.text}\n\n`;
}

const ROLE_TAGS = { system: "System", user: "User", assistant: "Assistant" } as const;

export function renderMessage(message: Message, layout: PromptLayout): string {
  if (layout === "tiny") return message.content;
  return `${ROLE_TAGS[message.role]}: ${message.content}\n\n`;
}

function renderChoices(choices: readonly string[], layout: PromptLayout): string {
  if (layout === "tiny") return choices.map((c, i) => `${choiceLetter(i)}${c} `).join("");
  return choices.map((c, i) => `\n${choiceLetter(i)}) ${c}`).join("");
}

/** The context part of the prompt: documents or conversation. */
export function renderContext(record: TaskRecord): string {
  const layout = layoutOf(record);
  if (record.task === "dialogue_memory") {
    return record.conversation.map((m) => renderMessage(m, layout)).join("");
  }
  return record.documents.map((d) => renderDocument(d, layout)).join("");
}

/** The full prompt: context, then the question (and choices, for multiple choice). */
export function renderPrompt(record: TaskRecord): string {
  const layout = layoutOf(record);
  const context = renderContext(record);
  if (record.task !== "multiple_choice") return context + record.question;
  const choices = renderChoices(record.choices, layout);
  return layout === "tiny"
    ? context + choices + record.question
    : context + record.question + choices;
}

/**
 * The response that scores 1 under the record's metric: what supervised warm-up trains on.
 * It is the answer, except for dialogue_memory, whose answer must start with the required
 * prefix (MRCR's convention; the record stores the answer without it).
 */
export function referenceResponse(record: TaskRecord): string {
  return record.task === "dialogue_memory" ? record.prefix + record.answer : record.answer;
}
