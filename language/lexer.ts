// Text → tokens. Lexical mistakes never stop the lexer: each becomes one diagnostic and a
// token the parser can still use (a malformed number is a value, an unterminated string is a
// string, an unknown character a placeholder value), so that one bad line yields one
// diagnostic.
import { createTokenInstance, Lexer, type IToken, type TokenType } from "chevrotain";
import type { Comment, Span } from "./ast.ts";
import { diag, type Diagnostic } from "./diagnostics.ts";
import {
  allTokens,
  MalformedNumber,
  StringTok,
  TokenCount,
  tokenClass,
  Unknown,
  UnterminatedBlockComment,
  UnterminatedString,
  type TokenClass,
} from "./tokens.ts";

const chevrotainLexer = new Lexer(allTokens as TokenType[], {
  positionTracking: "onlyOffset",
  ensureOptimizations: true,
});

/** Maps offsets to 1-based line/column (UTF-16 code units, as editors count them). */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      // \r\n counts once: the line starts after the \n.
      if (ch === 10 || (ch === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  get lineCount(): number {
    return this.starts.length;
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }

  span(file: string, start: number, end: number): Span {
    const s = this.position(start);
    const e = this.position(end);
    return {
      file,
      start,
      end,
      line: s.line,
      column: s.column,
      endLine: e.line,
      endColumn: e.column,
    };
  }

  /** The text of a 1-based line without its line break. */
  lineText(line: number): string {
    const start = this.starts[line - 1];
    if (start === undefined) return "";
    const next = this.starts[line];
    return this.text.slice(start, next ?? this.text.length).replace(/\r?\n$|\r$/, "");
  }
}

export interface LexResult {
  /** The tokens the parser reads (all but comments). */
  readonly tokens: IToken[];
  readonly comments: Comment[];
  readonly diagnostics: Diagnostic[];
  readonly lines: LineIndex;
}

/** Exclusive end offset of a chevrotain token. */
export function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

/**
 * Chevrotain's tokens with each run of characters no pattern matches turned into one `Unknown`
 * token in its place, so the parser can read it as a bad value (chevrotain itself only
 * reports such runs as errors and skips them).
 */
function tokenize(text: string): { tokens: IToken[]; comments: IToken[] } {
  const result = chevrotainLexer.tokenize(text);
  // "onlyOffset" tracking leaves out the end offset; the parser's node locations need it.
  for (const t of result.tokens) t.endOffset = t.startOffset + t.image.length - 1;
  const unknown = result.errors.map((e) =>
    createTokenInstance(
      Unknown,
      text.slice(e.offset, e.offset + e.length),
      e.offset,
      e.offset + e.length - 1,
      NaN,
      NaN,
      NaN,
      NaN,
    ),
  );
  const tokens =
    unknown.length === 0
      ? result.tokens
      : [...result.tokens, ...unknown].sort((a, b) => a.startOffset - b.startOffset);
  return { tokens, comments: result.groups["comments"] ?? [] };
}

export function lexSource(text: string, file: string): LexResult {
  const lines = new LineIndex(text);
  const { tokens, comments: commentTokens } = tokenize(text);
  const diagnostics: Diagnostic[] = [];
  const span = (start: number, end: number) => lines.span(file, start, end);

  for (const t of tokens) {
    const s = () => span(t.startOffset, tokenEnd(t));
    if (t.tokenType === Unknown) {
      diagnostics.push(diag("QLX1001", s(), { text: t.image }));
    } else if (t.tokenType === MalformedNumber) {
      diagnostics.push(diag("QLX1005", s(), { text: t.image }));
    } else if (t.tokenType === UnterminatedString) {
      diagnostics.push(diag("QLX1002", s(), {}));
    } else if (t.tokenType === TokenCount) {
      const value = tokenCountValue(t.image);
      if (!Number.isInteger(value)) {
        diagnostics.push(diag("QLX1012", s(), { text: t.image, value }));
      }
    }
    if (t.tokenType === StringTok || t.tokenType === UnterminatedString) {
      for (const bad of invalidEscapes(t.image)) {
        const start = t.startOffset + bad.index;
        diagnostics.push(diag("QLX1007", span(start, start + bad.text.length), { text: bad.text }));
      }
    }
  }

  const comments: Comment[] = [];
  for (const c of commentTokens) {
    comments.push({ text: c.image, span: span(c.startOffset, tokenEnd(c)) });
    if (c.tokenType === UnterminatedBlockComment) {
      diagnostics.push(diag("QLX1006", span(c.startOffset, c.startOffset + 2), {}));
    }
  }
  diagnostics.sort((a, b) => a.span.start - b.span.start);
  return { tokens, comments, diagnostics, lines };
}

/** `20K` → 20480, `1.5K` → 1536, `1M` → 1048576 (K = 1024, M = 1024²). */
export function tokenCountValue(image: string): number {
  const unit = image.endsWith("M") ? 1024 * 1024 : 1024;
  return Number(image.slice(0, -1)) * unit;
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", n: "\n", t: "\t" };

function invalidEscapes(image: string): { index: number; text: string }[] {
  const bad: { index: number; text: string }[] = [];
  for (let i = 1; i < image.length; i++) {
    if (image[i] !== "\\") continue;
    const next = image[i + 1];
    if (next === undefined || ESCAPES[next] === undefined) {
      bad.push({ index: i, text: image.slice(i, i + 2) });
    }
    i++;
  }
  return bad;
}

/** The value of a string literal's image (quotes removed, escapes decoded; unknown ones kept). */
export function decodeString(image: string): string {
  const closed = image.length >= 2 && image.endsWith('"') && !isEscapedQuoteAtEnd(image);
  const body = image.slice(1, closed ? -1 : undefined);
  return body.replace(/\\(.?)/g, (whole, ch: string) => ESCAPES[ch] ?? whole);
}

function isEscapedQuoteAtEnd(image: string): boolean {
  let backslashes = 0;
  for (let i = image.length - 2; i >= 1 && image[i] === "\\"; i--) backslashes++;
  return backslashes % 2 === 1;
}

export interface EditorToken {
  readonly image: string;
  readonly type: TokenClass;
  /** 0-based offsets, end exclusive. */
  readonly start: number;
  readonly end: number;
}

/**
 * Every token of `text` in source order, comments included, classified for highlighting
 * (semantic tokens, `test/corpus/tokens.json`). Never throws.
 */
export function lex(text: string): EditorToken[] {
  const { tokens, comments } = tokenize(text);
  const all = [...tokens, ...comments];
  all.sort((a, b) => a.startOffset - b.startOffset);
  return all.map((t) => ({
    image: t.image,
    type: tokenClass(t.tokenType),
    start: t.startOffset,
    end: tokenEnd(t),
  }));
}
