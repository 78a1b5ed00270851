// Reads the judge's verdict from its free-text reply. The prompt asks for [[YES]] or [[NO]]
// on the last line, but models add markdown, explanations after the verdict, or answer in
// words; the last verdict-like mark in the reply wins, because explanations often quote
// the other option before concluding ("not 'no', the answer is [[YES]]").

const BRACKETED = /\[\[\s*(yes|no|true|false|equivalent|not\s+equivalent)\s*\]\]/gi;
const WORDS = /\b(not\s+equivalent|non-?equivalent|inequivalent|equivalent|yes|no|true|false)\b/gi;

function meaning(mark: string): boolean {
  const m = mark.toLowerCase().replace(/\s+/g, " ");
  return m === "yes" || m === "true" || m === "equivalent";
}

function lastMatch(pattern: RegExp, text: string): string | undefined {
  let found: string | undefined;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) found = m[1];
  return found;
}

/**
 * true (equivalent), false (not equivalent), or undefined when the reply holds no verdict.
 * A bracketed verdict anywhere beats bare words; among bare words, only the last line that
 * holds one is read, so a verdict line after the explanation decides.
 */
export function parseVerdict(reply: string): boolean | undefined {
  const bracketed = lastMatch(BRACKETED, reply);
  if (bracketed !== undefined) return meaning(bracketed);
  const lines = reply.split(/\r?\n/);
  for (let k = lines.length - 1; k >= 0; k--) {
    const word = lastMatch(WORDS, lines[k]!);
    if (word !== undefined) return meaning(word);
  }
  return undefined;
}
