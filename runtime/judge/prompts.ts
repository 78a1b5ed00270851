// Prompts for the LLM judge. EQUIVALENCE_PROMPT carries the meaning of the paper's Table 6
// (after QwenLong-L1) in our own words: decide whether two answers to a question say the same
// thing, without solving the question; explain first, then end with a bracketed verdict. The
// compiler's `std.prompts.equivalence` refers to this template; a user may give another with
// the same placeholders.

/** Placeholders a judge prompt template may use. */
export const PROMPT_PLACEHOLDERS = ["{question}", "{predicted}", "{gold}"] as const;

export const EQUIVALENCE_PROMPT = `You check whether two answers to the same question mean the same thing.
You are given a question and two answers, Answer 1 and Answer 2. Decide only whether they are equivalent; do not try to answer the question yourself.
Treat them as equivalent when they state the same value or the same meaning, even if they are worded, formatted or written in different notation.
Reply in this format:
1) A short explanation of why the answers are or are not equivalent.
2) Your verdict on its own line, exactly [[YES]] or [[NO]].

Question: {question}
Answer 1: {predicted}
Answer 2: {gold}`;

/**
 * Fills a judge template. Each placeholder is replaced in one pass, so a `{gold}` written
 * inside the predicted answer is never substituted.
 */
export function renderPrompt(
  template: string,
  values: { readonly question: string; readonly predicted: string; readonly gold: string },
): string {
  return template.replace(
    /\{(question|predicted|gold)\}/g,
    (_, key: "question" | "predicted" | "gold") => values[key],
  );
}
