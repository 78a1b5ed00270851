// Answer extraction: from a policy's whole response to the short answer the rule-based
// rewards compare (paper §3, "we employ a rule-based method to extract the final prediction y
// from the response"; §5.1 rewards). Order of preference, each on the text after the last
// `</think>` (Qwen3 thinking models reason inside <think>…</think>):
//   1. the last `\boxed{…}` (balanced braces, so `\boxed{\frac{1}{2}}` is whole);
//   2. the last line "Answer: …" / "Final answer: …" (markdown bold tolerated);
//   3. the last "the answer is …" sentence (the QwenLong-L1 prompt asks for "Therefore, the
//      answer is (insert answer here)");
//   4. otherwise the whole final text, trimmed.

import { choiceIndex, choiceLetter } from "../data/schema.ts";

/**
 * The part of a response after its reasoning: text after the last `</think>`, with the
 * whitespace the model puts after the tag removed. A response with no tag is returned as is,
 * except one that opened `<think>` and never closed it: generation stopped mid-reasoning, so
 * there is no answer (the empty string), and an answer-like line inside the unfinished
 * reasoning earns nothing.
 */
export function finalText(response: string): string {
  const end = response.lastIndexOf("</think>");
  if (end >= 0) return response.slice(end + "</think>".length).trimStart();
  return response.includes("<think>") ? "" : response;
}

/** Content of the last `\boxed{…}` (or `\fbox{…}`), or undefined when there is none. */
export function extractBoxed(text: string): string | undefined {
  const opener = /\\(?:boxed|fbox)\s*\{/g;
  let found: string | undefined;
  for (let m = opener.exec(text); m !== null; m = opener.exec(text)) {
    let depth = 1;
    let k = m.index + m[0].length;
    const start = k;
    for (; k < text.length && depth > 0; k++) {
      if (text[k] === "{") depth++;
      else if (text[k] === "}") depth--;
    }
    if (depth === 0) found = text.slice(start, k - 1);
  }
  return found?.trim();
}

const ANSWER_LINE = /^\s*[*_#>\s]*(?:final\s+answer|answer)\s*[*_]*\s*[:：]\s*(.*)$/i;
const ANSWER_IS = /\bthe\s+(?:final\s+|correct\s+)?answer\s+is\s*[:：]?\s*/gi;

/** Strips wrapping markdown emphasis, quotes and trailing full stops from an answer. */
function tidy(answer: string): string {
  let out = answer.trim();
  for (let before = ""; before !== out;) {
    before = out;
    out = out
      .replace(/\.+$/, "")
      .replace(/^[*_]+|[*_]+$/g, "")
      .replace(/^["“'](.*)["”']$/s, "$1")
      .trim();
  }
  return out;
}

/** The answer of the last "Answer:" line; if that line is empty, the next non-empty one. */
function extractAnswerLine(text: string): string | undefined {
  const lines = text.split(/\r?\n/);
  for (let k = lines.length - 1; k >= 0; k--) {
    const m = ANSWER_LINE.exec(lines[k]!);
    if (m === null) continue;
    let answer = tidy(m[1]!);
    for (let next = k + 1; answer === "" && next < lines.length; next++)
      answer = tidy(lines[next]!);
    if (answer !== "") return answer;
  }
  return undefined;
}

/** What follows the last "the answer is", up to the end of its line. */
function extractAnswerIs(text: string): string | undefined {
  let last: number | undefined;
  ANSWER_IS.lastIndex = 0;
  for (let m = ANSWER_IS.exec(text); m !== null; m = ANSWER_IS.exec(text))
    last = ANSWER_IS.lastIndex;
  if (last === undefined) return undefined;
  const rest = text.slice(last);
  const newline = rest.search(/\r?\n/);
  const answer = tidy(newline < 0 ? rest : rest.slice(0, newline));
  return answer === "" ? undefined : answer;
}

/** The short answer of a response (see the order at the top of this file). */
export function extractAnswer(response: string): string {
  const text = finalText(response);
  return extractBoxed(text) ?? extractAnswerLine(text) ?? extractAnswerIs(text) ?? text.trim();
}

const LONE_LETTER = /^(?:option|choice)?\s*[([]?\s*([A-Z])\s*[)\]]?[.:)]?$/i;
const LEADING_LETTER = /^[([]?([A-Z])[)\].:]\s/;

/**
 * The choice letter a response picks among `choiceCount` options (A, B, …), or undefined.
 * Accepts "B", "(B)", "Option B", "B) text", "B. text"; otherwise, when `choices` is given,
 * an answer equal (case- and space-insensitively) to one option's text.
 */
export function extractChoiceLetter(
  response: string,
  choiceCount: number,
  choices?: readonly string[],
): string | undefined {
  const answer = extractAnswer(response);
  const valid = (letter: string | undefined): string | undefined => {
    const index = letter === undefined ? -1 : choiceIndex(letter);
    return index >= 0 && index < choiceCount ? choiceLetter(index) : undefined;
  };
  const lone = LONE_LETTER.exec(answer);
  // A lone lower-case letter is only a choice when marked as one ("(b)", "option b"): a
  // bare "a" is far more often the article or a variable than choice A.
  if (
    lone !== null &&
    (lone[1] === lone[1]!.toUpperCase() || /^(?:option|choice)|[([]/i.test(answer))
  ) {
    return valid(lone[1]);
  }
  const leading = LEADING_LETTER.exec(answer);
  if (leading !== null) return valid(leading[1]);
  if (choices !== undefined) {
    const key = (s: string) => s.trim().replace(/\s+/g, " ").toLowerCase();
    const index = choices.findIndex((c) => key(c) === key(answer));
    if (index >= 0 && index < choiceCount) return choiceLetter(index);
  }
  return undefined;
}

export interface ExtractedNumber {
  readonly value: number;
  /** The number was written as a percentage ("12.5%", "12.5 percent"). */
  readonly percent: boolean;
}

const NUMBER =
  /([-+\u2212]?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?:[eE]([-+]?\d+))?(\s*(?:%|percent\b))?/gu;

/**
 * The last number written in `text`: thousands separators ("1,234.5"), signs (including
 * U+2212 minus), scientific notation ("2.5e-3") and percentages are understood.
 */
export function extractNumber(text: string): ExtractedNumber | undefined {
  let last: RegExpExecArray | undefined;
  NUMBER.lastIndex = 0;
  for (let m = NUMBER.exec(text); m !== null; m = NUMBER.exec(text)) last = m;
  if (last === undefined) return undefined;
  const [, sign, digits, exponent, percent] = last;
  const literal = `${sign === "-" || sign === "\u2212" ? "-" : ""}${digits!.replace(/,/g, "")}${
    exponent === undefined ? "" : `e${exponent}`
  }`;
  const value = Number(literal);
  return Number.isFinite(value) ? { value, percent: percent !== undefined } : undefined;
}
