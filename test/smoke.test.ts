import { describe, expect, it } from "vitest";
import { byteTokenizer } from "../runtime/tokenizer/byte.ts";

describe("byte tokenizer", () => {
  it("round-trips unicode text and counts bytes", () => {
    const text = "naïve 文字 ✓";
    const ids = byteTokenizer.encode(text);
    expect(byteTokenizer.decode(ids)).toBe(text);
    expect(byteTokenizer.count(text)).toBe(new TextEncoder().encode(text).length);
  });
  it("drops special tokens when decoding", () => {
    const ids = [
      byteTokenizer.special.bos,
      ...byteTokenizer.encode("ab"),
      byteTokenizer.special.eos,
    ];
    expect(byteTokenizer.decode(ids)).toBe("ab");
  });
});
