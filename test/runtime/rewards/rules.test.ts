import { describe, expect, it } from "vitest";
import type { TaskRecord } from "../../../runtime/data/schema.ts";
import {
  cem,
  choiceAccuracy,
  contains,
  em,
  f1,
  isClose,
  mrcrGrade,
  numericMatch,
  sequenceRatioReward,
  tokenF1,
} from "../../../runtime/rewards/rules.ts";
import { sequenceRatio } from "../../../runtime/rewards/sequence-ratio.ts";

const reading = (answer: string, aliases?: string[]): TaskRecord => ({
  task: "reading",
  id: "r1",
  question: "q?",
  answer,
  documents: [],
  ...(aliases ? { aliases } : {}),
});

describe("text-match rewards", () => {
  it("contains matches whole words of the normalised gold answer", () => {
    expect(contains("Answer: it was the Eiffel Tower, I think", reading("eiffel tower"))).toBe(1);
    expect(contains("Answer: 100", reading("10"))).toBe(0);
    expect(cem("Answer: 100", reading("10"))).toBe(1);
    expect(contains("Answer: Lyon", reading("Paris", ["Lyon"]))).toBe(1);
    expect(contains("Answer: anything", reading("the"))).toBe(0);
  });

  it("em and f1 compare normalised answers", () => {
    expect(em("Answer: The Beatles.", reading("beatles"))).toBe(1);
    expect(em("Answer: Beatles band", reading("beatles"))).toBe(0);
    expect(tokenF1("red green blue", "green blue yellow")).toBeCloseTo(2 / 3, 12);
    expect(tokenF1("a", "the")).toBe(1);
    expect(f1("Answer: paris france", reading("lyon", ["paris"]))).toBeCloseTo(2 / 3, 12);
  });

  it("choice_accuracy compares the extracted letter", () => {
    const mc: TaskRecord = {
      task: "multiple_choice",
      id: "m",
      question: "q",
      answer: "B",
      documents: [],
      choices: ["cat", "dog", "eel"],
    };
    expect(choiceAccuracy("The correct answer is (B)", mc)).toBe(1);
    expect(choiceAccuracy("Answer: dog", mc)).toBe(1);
    expect(choiceAccuracy("Answer: A", mc)).toBe(0);
    expect(choiceAccuracy("no idea", mc)).toBe(0);
  });
});

describe("numeric_match", () => {
  const numeric = (value: number, unit?: string): TaskRecord => ({
    task: "corpus_numeric",
    id: "c",
    question: "q",
    answer: String(value),
    documents: [],
    value,
    ...(unit ? { unit } : {}),
  });

  it("is Python's math.isclose", () => {
    expect(isClose(1, 1 + 1e-10, 1e-9, 0)).toBe(true);
    expect(isClose(1, 1 + 1e-8, 1e-9, 0)).toBe(false);
    expect(isClose(0, 1e-12, 1e-9, 0)).toBe(false);
    expect(isClose(0, 1e-12, 1e-9, 1e-11)).toBe(true);
    expect(isClose(Infinity, Infinity, 0, 0)).toBe(true);
    expect(isClose(NaN, NaN, 1, 1)).toBe(false);
  });

  it("extracts the answer's number and applies the tolerances", () => {
    expect(numericMatch()("\\boxed{1,234.5}", numeric(1234.5))).toBe(1);
    expect(numericMatch()("Answer: 1234.6", numeric(1234.5))).toBe(0);
    expect(numericMatch({ relTol: 1e-3 })("Answer: 1234.6", numeric(1234.5))).toBe(1);
    expect(numericMatch({ absTol: 0.5 })("Answer: -3.2", numeric(-3))).toBe(1);
    expect(numericMatch()("Answer: none", numeric(0))).toBe(0);
  });

  it("accepts a percentage written on one side only as a fraction", () => {
    expect(numericMatch()("Answer: 12.5%", numeric(0.125))).toBe(1);
    expect(numericMatch()("Answer: 0.125", numeric(12.5, "%"))).toBe(1);
    expect(numericMatch()("Answer: 12.5%", numeric(12.5, "%"))).toBe(1);
    expect(numericMatch()("Answer: 3 apples", reading("three or 3 apples"))).toBe(1);
    expect(() => numericMatch({ relTol: -1 })).toThrow(/rel_tol=-1/);
  });
});

describe("sequence rewards", () => {
  const dialogue = (answer: string): TaskRecord => ({
    task: "dialogue_memory",
    id: "d7",
    question: "repeat the 2nd poem about tapirs",
    answer,
    conversation: [{ role: "user", content: "write a poem about tapirs" }],
    prefix: "xQ3z",
    needles: 4,
    target: 2,
  });

  it("sequence_ratio compares the final text", () => {
    expect(sequenceRatioReward("<think>x</think>\nhello world", reading("hello there"))).toBe(
      sequenceRatio("hello world", "hello there"),
    );
  });

  it("mrcr_grade is 0 without the prefix, otherwise the ratio after stripping it once", () => {
    const poem = "Tapirs wander, snouts aloft";
    expect(mrcrGrade(`${poem}`, dialogue(poem))).toBe(0);
    expect(mrcrGrade(`xQ3z${poem}`, dialogue(poem))).toBe(1);
    expect(mrcrGrade(`xQ3z${poem}`, dialogue(`xQ3z${poem}`))).toBe(1);
    expect(mrcrGrade(`xQ3zxQ3z${poem}`, dialogue(poem))).toBe(sequenceRatio(`xQ3z${poem}`, poem));
    expect(mrcrGrade(`<think>plan</think>\n\nxQ3z${poem}!`, dialogue(poem))).toBe(
      sequenceRatio(`${poem}!`, poem),
    );
    expect(() => mrcrGrade("x", reading("x"))).toThrow(/r1 is a reading task/);
  });
});
