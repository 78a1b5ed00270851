// The streaming chunker: a file many times larger than the read buffer comes out as the same
// tokens as encoding it whole, in `chunk`-token pieces, while the chunker never holds more than
// a bounded number of tokens and characters — the same bound for a file 8× larger.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileChunks, memoryChunks, type ChunkSource } from "../../../runtime/agent/chunker.ts";
import { Rng } from "../../../runtime/rng.ts";
import { byteTokenizer } from "../../../runtime/tokenizer/byte.ts";

const dir = mkdtempSync(join(tmpdir(), "qlx-chunker-"));

/** Text with multi-byte characters (2-4 UTF-8 bytes) that straddle read boundaries. */
function text(chars: number, seed: number): string {
  const rng = Rng.stream(seed, "chunker-text");
  const pieces = ["K:37 ", "é", "∑", "𝄞", "word ", "\n", "longerword", "~.,-_+*"];
  let s = "";
  while (s.length < chars) s += pieces[rng.int(pieces.length)]!;
  return s;
}

async function collect(src: ChunkSource): Promise<number[][]> {
  const out: number[][] = [];
  for await (const c of src.chunks()) out.push(c);
  return out;
}

async function streamed(chars: number, chunk: number, readBytes: number) {
  const file = join(dir, `doc-${chars}-${chunk}.txt`);
  const body = text(chars, chars);
  writeFileSync(file, body);
  let maxTokens = 0;
  let maxChars = 0;
  const chunks = await collect(
    fileChunks(file, chunk, byteTokenizer, {
      readBytes,
      maxCarryChars: 64,
      onHeld: (h) => {
        maxTokens = Math.max(maxTokens, h.tokens);
        maxChars = Math.max(maxChars, h.chars);
      },
    }),
  );
  return { body, chunks, maxTokens, maxChars };
}

describe("fileChunks", () => {
  it("streams a file 100× the read buffer into exactly the whole-file tokens", async () => {
    const { body, chunks } = await streamed(100_000, 100, 1024);
    const whole = byteTokenizer.encode(body);
    expect(whole.length).toBeGreaterThan(100 * 1024);
    expect(chunks.flat()).toEqual(whole);
    expect(chunks.slice(0, -1).every((c) => c.length === 100)).toBe(true);
    expect(chunks.at(-1)!.length).toBe(whole.length - 100 * (chunks.length - 1));
  });

  it("holds a bounded number of tokens whatever the file size", async () => {
    const small = await streamed(20_000, 100, 1024);
    const large = await streamed(160_000, 100, 1024);
    // Pending tokens: under one chunk carried + one read (≤ 1024 bytes) + the carried word.
    const bound = 100 + 1024 + 4 * 64;
    for (const r of [small, large]) {
      expect(r.maxTokens).toBeLessThanOrEqual(bound);
      expect(r.maxChars).toBeLessThanOrEqual(64);
    }
    expect(large.chunks.length).toBeGreaterThan(7 * small.chunks.length);
  });

  it("cuts a run without whitespace at the carry limit and never splits a surrogate pair", async () => {
    const file = join(dir, "no-spaces.txt");
    const body = "𝄞".repeat(5000);
    writeFileSync(file, body);
    const chunks = await collect(
      fileChunks(file, 7, byteTokenizer, { readBytes: 333, maxCarryChars: 10 }),
    );
    expect(byteTokenizer.decode(chunks.flat())).toBe(body);
  });

  it("starts a fresh pass on every call", async () => {
    const { chunks } = await streamed(3000, 50, 256);
    const file = join(dir, "doc-3000-50.txt");
    const src = fileChunks(file, 50, byteTokenizer, { readBytes: 256 });
    expect(await collect(src)).toEqual(chunks);
    expect(await collect(src)).toEqual(chunks);
  });
});

describe("memoryChunks", () => {
  it("splits tokens into chunk-sized pieces with a shorter last one", async () => {
    const tokens = Array.from({ length: 23 }, (_, i) => i);
    const chunks = await collect(memoryChunks(tokens, 5));
    expect(chunks.map((c) => c.length)).toEqual([5, 5, 5, 5, 3]);
    expect(chunks.flat()).toEqual(tokens);
    expect(await collect(memoryChunks([], 5))).toEqual([]);
    expect(() => memoryChunks(tokens, 0)).toThrow(/chunk must be a positive integer/);
  });
});
