import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { loadQwen3Tokenizer, type Qwen3Tokenizer } from "../../../runtime/data/qwen3.ts";
import { middleTruncate } from "../../../runtime/data/truncate.ts";
import { byteTokenizer } from "../../../runtime/tokenizer/byte.ts";

/** True when `result` is a prefix of `text` followed by a suffix of it. */
function isHeadPlusTail(result: string, text: string): boolean {
  for (let k = 0; k <= result.length; k++) {
    if (text.startsWith(result.slice(0, k)) && text.endsWith(result.slice(k))) return true;
  }
  return false;
}

// Characters of 1, 2, 3 and 4 UTF-8 bytes, so cuts land inside characters.
const mixedText = fc
  .array(fc.constantFrom("a", " ", "é", "ß", "中", "€", "😀", "𝒳"), { maxLength: 40 })
  .map((chars) => chars.join(""));

describe("middle truncation", () => {
  it("leaves a text within the limit alone", () => {
    expect(middleTruncate("short", 5, byteTokenizer)).toEqual({
      text: "short",
      truncated: false,
      tokens: 5,
    });
  });

  it("keeps ⌊max/2⌋ head and ⌈max/2⌉ tail tokens", () => {
    expect(middleTruncate("0123456789", 5, byteTokenizer)).toEqual({
      text: "01789",
      truncated: true,
      tokens: 5,
    });
    expect(middleTruncate("0123456789", 0, byteTokenizer)).toEqual({
      text: "",
      truncated: true,
      tokens: 0,
    });
    expect(() => middleTruncate("x", -1, byteTokenizer)).toThrow(RangeError);
  });

  it("never exceeds the limit nor leaves a cut character behind (byte tokenizer)", () => {
    fc.assert(
      fc.property(mixedText, fc.nat(80), (text, max) => {
        const cut = middleTruncate(text, max, byteTokenizer);
        expect(cut.tokens).toBe(byteTokenizer.count(cut.text));
        expect(cut.tokens).toBeLessThanOrEqual(max);
        expect(cut.truncated).toBe(byteTokenizer.count(text) > max);
        expect(isHeadPlusTail(cut.text, text)).toBe(true);
        // A cut of at most 3 bytes per side loses at most one character per side.
        if (cut.truncated) expect(cut.tokens).toBeGreaterThanOrEqual(max - 6);
      }),
      { numRuns: 150, seed: 6 },
    );
  });
});

describe("Qwen3 token counting", () => {
  let qwen3: Qwen3Tokenizer;
  beforeAll(async () => {
    qwen3 = await loadQwen3Tokenizer();
  });

  it("encodes like the Qwen3 vocabulary and round-trips text", async () => {
    expect(await loadQwen3Tokenizer()).toBe(qwen3);
    expect(qwen3.encode("Hello world!")).toEqual([9707, 1879, 0]);
    expect(qwen3.count("<|im_start|>")).toBe(1);
    const text = "Long-context RL, 长上下文强化学习 😀 — ok.";
    expect(qwen3.decode(qwen3.encode(text))).toBe(text);
    expect(qwen3.count(text)).toBeLessThan(byteTokenizer.count(text));
  });

  it("truncates to real-model tokens", () => {
    const text = Array.from({ length: 400 }, (_, k) => `sentence ${k} 文 😀`).join(" ");
    for (const max of [1, 7, 100, 501]) {
      const cut = middleTruncate(text, max, qwen3);
      expect(cut.truncated).toBe(true);
      expect(cut.tokens).toBeLessThanOrEqual(max);
      expect(cut.tokens).toBe(qwen3.count(cut.text));
      expect(isHeadPlusTail(cut.text, text)).toBe(true);
    }
    expect(middleTruncate(text, 100, qwen3).text.startsWith("sentence 0 ")).toBe(true);
    expect(middleTruncate(text, 100, qwen3).text.endsWith("sentence 399 文 😀")).toBe(true);
  });
});
