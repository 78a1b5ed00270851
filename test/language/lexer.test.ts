import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeString, lexSource, LineIndex, tokenCountValue } from "../../language/lexer.ts";
import { lex, type TokenClass } from "../../language/index.ts";

interface CorpusCase {
  readonly text: string;
  readonly tokens: readonly { readonly image: string; readonly type: TokenClass }[];
}

const corpus = JSON.parse(
  readFileSync(new URL("../corpus/tokens.json", import.meta.url), "utf8"),
) as CorpusCase[];

describe("lexer: the shared token corpus", () => {
  it.each(corpus.map((c) => [c.text, c] as const))("%j", (_text, c) => {
    expect(lex(c.text).map(({ image, type }) => ({ image, type }))).toEqual(c.tokens);
  });

  it("covers every token class", () => {
    const classes: TokenClass[] = [
      "keyword",
      "identifier",
      "number",
      "token-count",
      "string",
      "comment",
      "operator",
      "punctuation",
      "boolean",
      "invalid",
    ];
    const seen = new Set(corpus.flatMap((c) => c.tokens.map((t) => t.type)));
    expect([...seen].sort()).toEqual([...classes].sort());
  });
});

describe("lexer: values and diagnostics", () => {
  it("computes token counts with K = 1024 and M = 1024²", () => {
    expect(tokenCountValue("20K")).toBe(20480);
    expect(tokenCountValue("1.5K")).toBe(1536);
    expect(tokenCountValue("1M")).toBe(1048576);
    expect(tokenCountValue("0.5M")).toBe(524288);
  });

  it("decodes the four escapes and keeps unknown ones", () => {
    expect(decodeString('"a\\"b\\\\c\\nd\\te"')).toBe('a"b\\c\nd\te');
    expect(decodeString('"x\\qy"')).toBe("x\\qy");
    expect(decodeString('"open')).toBe("open");
    expect(decodeString('"ends in \\"')).toBe('ends in "');
  });

  it("reports each lexical mistake once, with its span", () => {
    const { diagnostics } = lexSource('a = 20Q $$ "x\\q" 1.3K\nb = "open', "f.qlx");
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column, d.span.endColumn])).toEqual([
      ["QLX1005", 1, 5, 8],
      ["QLX1001", 1, 9, 11],
      ["QLX1007", 1, 14, 16],
      ["QLX1012", 1, 18, 22],
      ["QLX1002", 2, 5, 10],
    ]);
    expect(diagnostics[1]!.message).toBe("unexpected character '$$'");
  });

  it("collects comments with spans, and reports an unterminated block comment at its start", () => {
    const { comments, diagnostics } = lexSource("a // one\n/* two */ b /* three", "f.qlx");
    expect(comments.map((c) => [c.text, c.span.line, c.span.column])).toEqual([
      ["// one", 1, 3],
      ["/* two */", 2, 1],
      ["/* three", 2, 13],
    ]);
    expect(diagnostics.map((d) => [d.code, d.span.line, d.span.column])).toEqual([
      ["QLX1006", 2, 13],
    ]);
  });

  it("does not split words at reserved prefixes or numbers at letters", () => {
    expect(lex("input infrom usex 2x").map((t) => t.type)).toEqual([
      "identifier",
      "identifier",
      "identifier",
      "number",
    ]);
    expect(lexSource("2x", "f").diagnostics.map((d) => d.code)).toEqual(["QLX1005"]);
  });
});

describe("LineIndex", () => {
  it("maps offsets to 1-based lines and columns across LF, CRLF and CR", () => {
    const index = new LineIndex("ab\ncd\r\nef\rgh");
    expect(index.lineCount).toBe(4);
    expect(index.position(0)).toEqual({ line: 1, column: 1 });
    expect(index.position(3)).toEqual({ line: 2, column: 1 });
    expect(index.position(7)).toEqual({ line: 3, column: 1 });
    expect(index.position(10)).toEqual({ line: 4, column: 1 });
    expect(index.lineText(2)).toBe("cd");
    expect(index.lineText(3)).toBe("ef");
    expect(index.lineText(9)).toBe("");
  });
});
