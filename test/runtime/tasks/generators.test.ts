import { describe, expect, it } from "vitest";
import { TASK_KINDS, validateRecord } from "../../../runtime/data/schema.ts";
import type { TaskKind, TaskRecord } from "../../../runtime/data/schema.ts";
import { generateDataset } from "../../../runtime/tasks/registry.ts";
import { renderPrompt } from "../../../runtime/tasks/prompt.ts";
import { byteTokenizer } from "../../../runtime/tokenizer/byte.ts";
import { Rng } from "../../../runtime/rng.ts";
import { distinctNames } from "../../../runtime/tasks/vocab.ts";
import { rederive, dialogueAnswer, numericAnswer } from "./rederive.ts";

const SIZES = [
  { style: "tiny", inputTokens: 32, count: 40 },
  { style: "tiny", inputTokens: 64, count: 20 },
  { style: "tiny", inputTokens: 128, count: 10 },
  { style: "natural", inputTokens: 3000, count: 6 },
] as const;

const cache = new Map<string, Promise<TaskRecord[]>>();
function dataset(kind: TaskKind, style: string, inputTokens: number, count: number, seed = 5) {
  const key = `${kind}/${style}/${inputTokens}/${count}/${seed}`;
  if (!cache.has(key)) cache.set(key, generateDataset(kind, { style, inputTokens }, count, seed));
  return cache.get(key)!;
}

describe.each(TASK_KINDS)("%s generator", (kind) => {
  it.each(SIZES)(
    "$style at $inputTokens tokens: valid records, exact length, answer re-derived from the prompt",
    async ({ style, inputTokens, count }) => {
      const records = await dataset(kind, style, inputTokens, count);
      expect(records).toHaveLength(count);
      for (const record of records) {
        const check = validateRecord(record);
        expect(check.ok ? [] : check.issues).toEqual([]);
        expect(record.task).toBe(kind);
        // Byte tokenizer, ASCII text: the padding hits the target exactly.
        expect(byteTokenizer.count(renderPrompt(record))).toBe(inputTokens);
        expect(record.meta?.["input_tokens"]).toBe(inputTokens);
        expect(rederive(record)).toBe(record.answer);
        expect(record.question).toBe(
          [record.meta?.["q_core"], record.meta?.["q_inst"]].filter((s) => s !== "").join(" "),
        );
      }
    },
  );

  it("is deterministic: same seed, same bytes; another seed, other records", async () => {
    const a = await generateDataset(kind, { style: "tiny", inputTokens: 48 }, 8, 11);
    const b = await generateDataset(kind, { style: "tiny", inputTokens: 48 }, 8, 11);
    const c = await generateDataset(kind, { style: "tiny", inputTokens: 48 }, 8, 12);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.map(renderPrompt)).not.toEqual(c.map(renderPrompt));
  });

  it("produces varied prompts and answers (no degenerate generator)", async () => {
    const records = await dataset(kind, "tiny", 32, 40);
    expect(new Set(records.map(renderPrompt)).size).toBe(records.length);
    // Two-option tiny multiple choice has two possible answers; every other kind has many.
    expect(new Set(records.map((r) => r.answer)).size).toBeGreaterThan(
      kind === "multiple_choice" ? 1 : 5,
    );
  });
});

describe("kind-specific ground truth", () => {
  it("multiple_choice answers are spread over the letters and the right option holds the asked value", async () => {
    const records = await dataset("multiple_choice", "natural", 3000, 6);
    const tiny = await dataset("multiple_choice", "tiny", 32, 40);
    expect(new Set(tiny.map((r) => r.answer))).toEqual(new Set(["A", "B"]));
    for (const r of records) {
      if (r.task !== "multiple_choice") throw new Error("kind");
      expect(r.choices).toHaveLength(4);
      expect(new Set(r.choices).size).toBe(4);
      expect(r.choices["ABCD".indexOf(r.answer)]).toBe(r.meta?.["answer_value"]);
    }
  });

  it("multihop records state their hop count and the path has that many edges", async () => {
    for (const r of await dataset("multihop", "natural", 3000, 6)) {
      if (r.task !== "multihop") throw new Error("kind");
      expect(String(r.meta?.["path"]).split(">")).toHaveLength(r.hops + 1);
      expect(r.evidence).toHaveLength(r.hops);
    }
    for (const r of await dataset("multihop", "tiny", 32, 40)) {
      if (r.task !== "multihop") throw new Error("kind");
      expect(r.answer).toHaveLength(r.hops);
    }
  });

  it("no two entity names of a sample are prefix-related (CEM could accept the wrong one)", () => {
    const names = distinctNames(Rng.stream(1, "names"), 400, new Set(["Kelmar"]));
    expect(new Set(names).size).toBe(400);
    const clashes = names.filter((a) =>
      [...names, "Kelmar"].some((b) => a !== b && b.startsWith(a)),
    );
    expect(clashes).toEqual([]);
    expect(names.filter((n) => n.startsWith("Kelmar"))).toEqual([]);
  });

  it("dialogue_memory: the prefix is required, the answer is the k-th similar reply without it", async () => {
    for (const r of await dataset("dialogue_memory", "natural", 3000, 6)) {
      if (r.task !== "dialogue_memory") throw new Error("kind");
      const { prefix, reply } = dialogueAnswer(r);
      expect(prefix).toBe(r.prefix);
      expect(r.prefix).toMatch(/^[A-Za-z0-9]{10}$/);
      expect(reply).toBe(r.answer);
      expect(r.target).toBeGreaterThanOrEqual(1);
      expect(r.target).toBeLessThanOrEqual(r.needles);
    }
  });

  it("corpus_numeric: every op's SQL answer equals the TS computation over the rendered rows", async () => {
    const ops = ["sum", "avg", "max", "min", "count", "diff", "year_total"] as const;
    for (const op of ops) {
      const records = await generateDataset(
        "corpus_numeric",
        { style: "natural", inputTokens: 2500, ops: [op] },
        4,
        3,
      );
      for (const r of records) {
        if (r.task !== "corpus_numeric") throw new Error("kind");
        expect(r.meta?.["op"]).toBe(op);
        expect(r.value).toBeCloseTo(numericAnswer(r), 9);
        expect(r.sql).toContain("SELECT");
      }
    }
    const tiny = await generateDataset(
      "corpus_numeric",
      { style: "tiny", inputTokens: 32, ops: ["sum", "max", "min", "count"] },
      30,
      3,
    );
    for (const r of tiny) expect(r.answer).toBe(String(numericAnswer(r)));
  });

  it("corpus_numeric rejects an op without a tiny rendering, naming it", async () => {
    await expect(
      generateDataset("corpus_numeric", { style: "tiny", inputTokens: 32, ops: ["diff"] }, 1, 1),
    ).rejects.toThrow(/corpus_numeric: ops diff have no tiny rendering/);
  });
});

describe("difficulty knobs", () => {
  it("distractor similarity 0 gives no near misses, 1 makes every distractor one", async () => {
    for (const [similarity, expected] of [
      [0, (_: number) => 0],
      [1, (facts: number) => facts - 1],
    ] as const) {
      for (const style of ["tiny", "natural"] as const) {
        const records = await generateDataset(
          "reading",
          {
            style,
            inputTokens: style === "tiny" ? 64 : 2000,
            distractorSimilarity: similarity,
            facts: { min: 4, max: 4 },
          },
          5,
          2,
        );
        for (const r of records) expect(r.meta?.["near_misses"]).toBe(expected(4));
      }
    }
  });

  it("evidence position start/end puts the evidence before/after all padding", async () => {
    for (const kind of ["reading", "multihop", "dialogue_memory"] as const) {
      const start = await generateDataset(
        kind,
        { style: "tiny", inputTokens: 64, evidencePosition: "start" },
        5,
        4,
      );
      const end = await generateDataset(
        kind,
        { style: "tiny", inputTokens: 64, evidencePosition: "end" },
        5,
        4,
      );
      for (const r of start)
        expect(
          String(r.meta?.["evidence_depths"])
            .split(",")
            .every((d) => d === "0.000"),
        ).toBe(true);
      for (const r of end)
        expect(
          String(r.meta?.["evidence_depths"])
            .split(",")
            .every((d) => d === "1.000"),
        ).toBe(true);
    }
    const [first] = await generateDataset(
      "reading",
      { style: "tiny", inputTokens: 64, evidencePosition: "start", facts: { min: 1, max: 1 } },
      1,
      4,
    );
    expect(renderPrompt(first!)).toMatch(/^[A-Z]:\d\d /);
  });

  it("hops and fact counts follow their ranges (n means n..n, [a, b] means a..b)", async () => {
    const records = await generateDataset(
      "multihop",
      { style: "natural", inputTokens: 3000, hops: 4, facts: [9, 9] },
      4,
      6,
    );
    for (const r of records) {
      if (r.task !== "multihop") throw new Error("kind");
      expect(r.hops).toBe(4);
      expect(r.meta?.["facts"]).toBe(9);
      expect(rederive(r)).toBe(r.answer);
    }
  });

  it("a target shorter than the unpadded prompt is an error naming the kind and the sizes", async () => {
    await expect(
      generateDataset("reading", { style: "natural", inputTokens: 100 }, 1, 1),
    ).rejects.toThrow(
      /reading: the prompt needs \d+ tokens before any padding, more than the target 100/,
    );
  });

  it("unknown or out-of-range params are rejected, naming the field", async () => {
    await expect(
      generateDataset("multihop", { style: "tiny", inputTokens: 32, hopz: 2 }, 1, 1),
    ).rejects.toThrow(/hopz/);
    await expect(
      generateDataset("reading", { style: "tiny", inputTokens: 32, distractorSimilarity: 2 }, 1, 1),
    ).rejects.toThrow(/distractorSimilarity/);
  });
});
