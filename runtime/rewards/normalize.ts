// Answer normalisation shared by the text-matching rewards: the SQuAD convention that EM,
// F1 and cover exact match are defined with (lower-case, drop punctuation, drop the articles
// a/an/the, collapse whitespace), applied after Unicode NFKC so full-width and compatibility
// forms compare equal. Punctuation and symbols are the Unicode classes P and S, which cover
// SQuAD's ASCII `string.punctuation` and extend it to other scripts.

const PUNCTUATION = /[\p{P}\p{S}]/gu;
// Word boundaries by Unicode letters and digits, as Python's `re` draws `\b` on str; a JS
// `\b` without the u-flag semantics would treat "é" as a boundary.
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;
const WHITESPACE = /\s+/gu;

/** SQuAD-style normal form of an answer. */
export function normalizeAnswer(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(PUNCTUATION, "")
    .replace(ARTICLES, " ")
    .replace(WHITESPACE, " ")
    .trim();
}

/** The whitespace-separated tokens of the normal form (the units of token F1). */
export function answerTokens(text: string): string[] {
  const normal = normalizeAnswer(text);
  return normal === "" ? [] : normal.split(" ");
}
