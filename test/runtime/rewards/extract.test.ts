import { describe, expect, it } from "vitest";
import {
  extractAnswer,
  extractBoxed,
  extractChoiceLetter,
  extractNumber,
  finalText,
} from "../../../runtime/rewards/extract.ts";
import { answerTokens, normalizeAnswer } from "../../../runtime/rewards/normalize.ts";

describe("answer extraction", () => {
  it("drops the reasoning before the last </think>", () => {
    expect(finalText("<think>maybe 3</think>\n\nIt is 4.")).toBe("It is 4.");
    expect(finalText("no tags here ")).toBe("no tags here ");
    expect(finalText("<think>Answer: 4, I guess, but let me check")).toBe("");
    expect(extractAnswer("<think>Answer: 4, I guess")).toBe("");
  });

  it("takes the last \\boxed{} with balanced braces", () => {
    expect(extractBoxed("first \\boxed{1}, then \\boxed{\\frac{1}{2}}")).toBe("\\frac{1}{2}");
    expect(extractBoxed("unclosed \\boxed{oops")).toBeUndefined();
    expect(extractAnswer("<think>\\boxed{wrong}</think>So \\boxed{ 42 }.")).toBe("42");
  });

  it("prefers boxed, then the last Answer: line, then 'the answer is', then the text", () => {
    expect(extractAnswer("Answer: Paris\n\\boxed{Lyon}")).toBe("Lyon");
    expect(extractAnswer("Reasoning…\nAnswer: Berlin\nmore\n**Final Answer:** *Paris*.")).toBe(
      "Paris",
    );
    expect(extractAnswer("Final answer:\n\n  Rome\n")).toBe("Rome");
    expect(extractAnswer('Therefore, the answer is "Marie Curie".')).toBe("Marie Curie");
    expect(extractAnswer("  just this  ")).toBe("just this");
  });

  it("finds choice letters in the usual forms", () => {
    expect(extractChoiceLetter("Answer: (C)", 4)).toBe("C");
    expect(extractChoiceLetter("The correct answer is B.", 4)).toBe("B");
    expect(extractChoiceLetter("Answer: D) the fourth option", 4)).toBe("D");
    expect(extractChoiceLetter("Answer: option b", 4)).toBe("B");
    expect(extractChoiceLetter("Answer: E", 4)).toBeUndefined();
    expect(extractChoiceLetter("Answer: a", 4)).toBeUndefined();
    expect(extractChoiceLetter("Answer: green apples", 3, ["red", "Green  apples", "blue"])).toBe(
      "B",
    );
    expect(extractChoiceLetter("I am not sure", 4, ["x", "y"])).toBeUndefined();
  });

  it("reads the last number with separators, signs, exponents and percentages", () => {
    expect(extractNumber("from 3 to 1,234,567.25 USD")).toEqual({
      value: 1234567.25,
      percent: false,
    });
    expect(extractNumber("a loss of −12.5%")).toEqual({ value: -12.5, percent: true });
    expect(extractNumber("about 2.5e-3 and 7 percent")).toEqual({ value: 7, percent: true });
    expect(extractNumber("rate 6.02E23")).toEqual({ value: 6.02e23, percent: false });
    expect(extractNumber(".5")).toEqual({ value: 0.5, percent: false });
    expect(extractNumber("none")).toBeUndefined();
  });
});

describe("normalisation", () => {
  it("follows SQuAD: case, punctuation, articles, whitespace", () => {
    expect(normalizeAnswer("  The Eiffel-Tower,  in PARIS! ")).toBe("eiffeltower in paris");
    expect(normalizeAnswer("ＡＢＣ")).toBe("abc");
    expect(answerTokens("An apple a day")).toEqual(["apple", "day"]);
    // Python's \b on str is Unicode-aware: "théa" is one word, not "the" + "a".
    expect(normalizeAnswer("théa the éa")).toBe("théa éa");
    expect(answerTokens("...")).toEqual([]);
  });
});
