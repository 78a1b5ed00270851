// The built-in tokenizer: byte-level UTF-8, plus a few special tokens. It needs no training
// and no download, counts are exact and cheap (a token is a byte), and the tiny policy's
// vocabulary stays small (260). Its name and version travel with every checkpoint so that a
// checkpoint is never decoded with another tokenizer.

export const BYTE_TOKENIZER_ID = "qlx-byte-v1";

export const SPECIAL_TOKENS = {
  pad: 256,
  bos: 257,
  eos: 258,
  /** Separates the prompt from the response in supervised warm-up data. */
  sep: 259,
} as const;

export const BYTE_VOCAB_SIZE = 260;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

export interface Tokenizer {
  readonly id: string;
  readonly vocabSize: number;
  readonly special: typeof SPECIAL_TOKENS;
  encode(text: string): number[];
  /** Special tokens are dropped; invalid UTF-8 (a cut multi-byte char) decodes to U+FFFD. */
  decode(ids: ArrayLike<number>): string;
  count(text: string): number;
}

export const byteTokenizer: Tokenizer = {
  id: BYTE_TOKENIZER_ID,
  vocabSize: BYTE_VOCAB_SIZE,
  special: SPECIAL_TOKENS,
  encode(text) {
    return Array.from(encoder.encode(text));
  },
  decode(ids) {
    const bytes: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const t = ids[i]!;
      if (t >= 0 && t < 256) bytes.push(t);
    }
    return decoder.decode(new Uint8Array(bytes));
  },
  count(text) {
    return encoder.encode(text).length;
  },
};
