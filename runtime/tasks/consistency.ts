// Checks a valid record's parts against each other — what a per-field schema cannot see:
// evidence indices inside the context, MRCR target within the needles, distinct choices, the
// numeric answer text equal to its value, and a recorded prompt length equal to the one
// measured with the recorded tokenizer (when the caller has it). `qlx data check` runs it after
// schema validation, on users' files as on generated ones.

import type { TaskRecord } from "../data/schema.ts";
import { renderPrompt } from "./prompt.ts";
import type { TokenCounter } from "./types.ts";

export interface ConsistencyIssue {
  readonly field: string;
  readonly message: string;
}

/** `tokenizers` by id: the prompt length is checked when the record's tokenizer is among them. */
export function checkConsistency(
  record: TaskRecord,
  tokenizers: ReadonlyMap<string, TokenCounter>,
): ConsistencyIssue[] {
  const issues: ConsistencyIssue[] = [];
  if (record.task === "dialogue_memory") {
    if (record.target > record.needles) {
      issues.push({
        field: "target",
        message: `asks for request ${record.target} of only ${record.needles} (needles)`,
      });
    }
  } else {
    for (const [i, index] of (record.evidence ?? []).entries()) {
      if (index >= record.documents.length) {
        issues.push({
          field: `evidence.${i}`,
          message: `document ${index} does not exist (${record.documents.length} documents)`,
        });
      }
    }
  }
  if (record.task === "multiple_choice" && new Set(record.choices).size !== record.choices.length) {
    issues.push({ field: "choices", message: "two choices have the same text" });
  }
  if (record.task === "corpus_numeric" && Number(record.answer) !== record.value) {
    issues.push({
      field: "answer",
      message: `"${record.answer}" does not read as value ${record.value}`,
    });
  }
  const recorded = record.meta?.["input_tokens"];
  const tokenizer = tokenizers.get(String(record.meta?.["tokenizer"]));
  if (typeof recorded === "number" && tokenizer !== undefined) {
    const measured = tokenizer.count(renderPrompt(record));
    if (measured !== recorded) {
      issues.push({
        field: "meta.input_tokens",
        message: `says ${recorded} tokens but the rendered prompt has ${measured}`,
      });
    }
  }
  return issues;
}
