import { describe, expect, it } from "vitest";
import {
  EQUIVALENCE_PROMPT,
  PROMPT_PLACEHOLDERS,
  renderPrompt,
} from "../../../runtime/judge/prompts.ts";
import { parseVerdict } from "../../../runtime/judge/verdict.ts";

describe("verdict parsing", () => {
  it("reads bracketed verdicts, the last one winning", () => {
    expect(parseVerdict("They match.\n[[YES]]")).toBe(true);
    expect(parseVerdict("[[ no ]]")).toBe(false);
    expect(parseVerdict("One might say [[NO]], but on reflection [[YES]].")).toBe(true);
    expect(parseVerdict("Yes they differ in form... Final: [[NO]] — no further notes")).toBe(false);
  });

  it("falls back to words on the last line that has one", () => {
    expect(parseVerdict("Explanation: both are 12.\n**Yes**")).toBe(true);
    expect(parseVerdict("The answers are equivalent.")).toBe(true);
    expect(parseVerdict("The answers are not equivalent.")).toBe(false);
    expect(parseVerdict("Verdict: false\n")).toBe(false);
    expect(parseVerdict("is it yes?\nthe answers are non-equivalent")).toBe(false);
    expect(parseVerdict("I cannot tell.")).toBeUndefined();
    expect(parseVerdict("")).toBeUndefined();
  });
});

describe("equivalence prompt", () => {
  it("holds every placeholder and substitutes each once", () => {
    for (const p of PROMPT_PLACEHOLDERS) expect(EQUIVALENCE_PROMPT).toContain(p);
    const text = renderPrompt(EQUIVALENCE_PROMPT, {
      question: "Q?",
      predicted: "says {gold}",
      gold: "G",
    });
    expect(text).toContain("Question: Q?\nAnswer 1: says {gold}\nAnswer 2: G");
    expect(text).toContain("[[YES]] or [[NO]]");
  });
});
