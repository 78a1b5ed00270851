// Middle truncation by token count (paper §5.1, "we employ the middle truncation strategy
// from Bai et al. (2024) to preserve the front and tail portions of the context"): a text
// over the limit keeps its first ⌊max/2⌋ and last ⌈max/2⌉ tokens. Generic over any codec,
// so the built-in byte tokenizer and the Qwen3 counter (qwen3.ts) cut the same way.
//
// Two details LongBench's one-liner leaves to chance, fixed here: a token boundary inside a
// multi-byte character decodes to U+FFFD, so partial characters at the cut are dropped; and
// re-encoding head + tail can merge differently at the seam, so the cut shrinks, one token
// at a time, until the result really fits.

/** What truncation needs of a tokenizer (runtime/tokenizer/byte.ts's Tokenizer fits). */
export interface TextCodec {
  encode(text: string): number[];
  decode(ids: ArrayLike<number>): string;
  count(text: string): number;
}

export interface Truncation {
  readonly text: string;
  readonly truncated: boolean;
  /** Tokens in `text`. */
  readonly tokens: number;
}

const REPLACEMENT = "\uFFFD";

/** A decoded head, less the replacement characters a cut character left at its end. */
function cleanHead(head: string, original: string): string {
  while (head.endsWith(REPLACEMENT) && !original.startsWith(head)) head = head.slice(0, -1);
  return head;
}

function cleanTail(tail: string, original: string): string {
  while (tail.startsWith(REPLACEMENT) && !original.endsWith(tail)) tail = tail.slice(1);
  return tail;
}

/** Keeps the head and tail of `text` so that it has at most `maxTokens` tokens. */
export function middleTruncate(text: string, maxTokens: number, codec: TextCodec): Truncation {
  if (!Number.isInteger(maxTokens) || maxTokens < 0) {
    throw new RangeError(`middleTruncate: maxTokens must be an integer ≥ 0, got ${maxTokens}`);
  }
  const ids = codec.encode(text);
  if (ids.length <= maxTokens) return { text, truncated: false, tokens: ids.length };
  let head = Math.floor(maxTokens / 2);
  let tail = maxTokens - head;
  for (;;) {
    const headText = cleanHead(codec.decode(ids.slice(0, head)), text);
    const tailText = cleanTail(codec.decode(ids.slice(ids.length - tail)), text);
    const result = headText + tailText;
    const tokens = codec.count(result);
    if (tokens <= maxTokens) return { text: result, truncated: true, tokens };
    if (tail >= head) tail--;
    else head--;
  }
}
