// The memory agent reads its document chunk by chunk (paper §2.3, Figure 2): `chunk` tokens
// per step. A document may be far larger than memory (Table 9: up to 4M tokens), so the file
// variant streams: it reads a bounded buffer at a time, tokenizes on the fly and hands out one
// chunk at a time, never holding the whole document. Its working set is bounded by
// chunk + read buffer + one carried word, whatever the document's length.
import { createReadStream } from "node:fs";
import type { Tokenizer } from "../tokenizer/byte.ts";

/** Where a memory-agent trajectory reads its document from, one chunk of tokens at a time. */
export interface ChunkSource {
  /** A fresh pass over the document; each call starts from the beginning. */
  chunks(): AsyncIterable<number[]>;
}

/** Chunks of a document already in memory (generated records). */
export function memoryChunks(tokens: readonly number[], chunk: number): ChunkSource {
  checkChunk(chunk);
  return {
    async *chunks() {
      for (let at = 0; at < tokens.length; at += chunk) yield tokens.slice(at, at + chunk);
    },
  };
}

export interface FileChunkOptions {
  /** Bytes per read from disk (default 64 KiB). */
  readonly readBytes?: number;
  /**
   * Longest run of text kept back waiting for a whitespace boundary (default 4096 chars): a
   * subword tokenizer must not see a word cut in two, so text is tokenized up to its last
   * whitespace and the rest carried to the next read; a run longer than this is cut anyway.
   */
  readonly maxCarryChars?: number;
  /** Observes the number of tokens and text characters held after each read (tests, bench). */
  readonly onHeld?: (held: { tokens: number; chars: number }) => void;
}

/**
 * Chunks of a UTF-8 text file, tokenized while streaming. Token i of the file's chunks is
 * token i of `tokenizer.encode(whole file)` for tokenizers that never merge across
 * whitespace (the byte tokenizer exactly; BPE tokenizers up to their whitespace handling).
 */
export function fileChunks(
  path: string,
  chunk: number,
  tokenizer: Pick<Tokenizer, "encode">,
  opts: FileChunkOptions = {},
): ChunkSource {
  checkChunk(chunk);
  const readBytes = opts.readBytes ?? 64 * 1024;
  const maxCarry = opts.maxCarryChars ?? 4096;
  return {
    async *chunks() {
      const decoder = new TextDecoder("utf-8");
      let carry = "";
      // Tokens not yet handed out; always fewer than `chunk` between reads.
      let pending: number[] = [];
      const stream = createReadStream(path, { highWaterMark: readBytes });
      try {
        for await (const buf of stream as AsyncIterable<Buffer>) {
          const text = carry + decoder.decode(buf, { stream: true });
          const cut = cutPoint(text, maxCarry);
          carry = text.slice(cut);
          pending = pending.concat(tokenizer.encode(text.slice(0, cut)));
          opts.onHeld?.({ tokens: pending.length, chars: carry.length });
          let at = 0;
          for (; at + chunk <= pending.length; at += chunk) yield pending.slice(at, at + chunk);
          pending = pending.slice(at);
        }
      } finally {
        stream.destroy();
      }
      pending = pending.concat(tokenizer.encode(carry + decoder.decode()));
      for (let at = 0; at < pending.length; at += chunk) yield pending.slice(at, at + chunk);
    },
  };
}

/** Index after the last whitespace of `text`, or a forced cut keeping at most `maxCarry` chars. */
function cutPoint(text: string, maxCarry: number): number {
  for (let i = text.length - 1; i >= 0 && i >= text.length - maxCarry; i--) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 9 || c === 13) return i + 1;
  }
  // No whitespace in the last maxCarry chars: cut there, never inside a surrogate pair.
  let cut = Math.max(0, text.length - maxCarry);
  const c = text.charCodeAt(cut);
  if (cut > 0 && c >= 0xdc00 && c <= 0xdfff) cut--;
  return cut;
}

function checkChunk(chunk: number): void {
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new RangeError(`memory agent: chunk must be a positive integer, got ${chunk}`);
  }
}
