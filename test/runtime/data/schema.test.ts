import { describe, expect, it } from "vitest";
import { choiceIndex, choiceLetter, validateRecord } from "../../../runtime/data/schema.ts";

const doc = { title: "T", text: "body" };

describe("task record schema", () => {
  it("accepts one record of each kind", () => {
    const records = [
      {
        task: "multiple_choice",
        id: "m",
        question: "q",
        answer: "B",
        documents: [doc],
        choices: ["x", "y"],
      },
      {
        task: "multihop",
        id: "h",
        question: "q",
        answer: "Paris",
        documents: [doc],
        evidence: [0],
        hops: 2,
      },
      {
        task: "reading",
        id: "r",
        question: "q",
        answer: "x",
        documents: [],
        aliases: ["y"],
        meta: { pos: 0.5 },
      },
      {
        task: "dialogue_memory",
        id: "d",
        question: "q",
        answer: "a poem",
        conversation: [{ role: "user", content: "write" }],
        prefix: "xK9q",
        needles: 4,
        target: 2,
      },
      {
        task: "corpus_numeric",
        id: "c",
        question: "q",
        answer: "12.5%",
        documents: [doc],
        value: 12.5,
        unit: "%",
      },
    ];
    for (const r of records) expect(validateRecord(r)).toMatchObject({ ok: true, record: r });
  });

  it("names the offending field by its path", () => {
    const bad = {
      task: "multihop",
      id: "h",
      question: "q",
      answer: "a",
      documents: [{ title: "t", text: 3 }],
      hops: 0,
    };
    const result = validateRecord(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.field)).toEqual(["documents.0.text", "hops"]);
  });

  it("rejects unknown fields at the key, and answers beyond the choices", () => {
    const extra = validateRecord({
      task: "reading",
      id: "r",
      question: "q",
      answer: "a",
      documents: [],
      sorce: "x",
    });
    expect(extra.ok ? [] : extra.issues.map((i) => i.field)).toEqual(["sorce"]);
    const mc = validateRecord({
      task: "multiple_choice",
      id: "m",
      question: "q",
      answer: "C",
      documents: [],
      choices: ["a", "b"],
    });
    expect(mc.ok ? [] : mc.issues.map((i) => i.field)).toEqual(["answer"]);
    const kind = validateRecord({ task: "essay", id: "e" });
    expect(kind.ok ? [] : kind.issues.map((i) => i.field)).toEqual(["task"]);
  });

  it("maps choice letters both ways", () => {
    expect(choiceLetter(0)).toBe("A");
    expect(choiceLetter(25)).toBe("Z");
    expect(() => choiceLetter(26)).toThrow(RangeError);
    expect(choiceIndex("c")).toBe(2);
    expect(choiceIndex("AB")).toBe(-1);
  });
});
