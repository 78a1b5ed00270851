// The VS Code grammar classifies every case of the shared token corpus (test/corpus/tokens.json,
// also read by the lexer tests) exactly as the chevrotain lexer does, so editor colours and
// the compiler agree on what each token is (STYLE.md §1).
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TokenClass } from "../../language/index.ts";
import { lex } from "../../language/index.ts";
import { tokenize, type Grammar } from "./textmate.ts";

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url), "utf8");
const grammar = JSON.parse(read("../../editors/vscode/syntaxes/qlx.tmLanguage.json")) as Grammar;
const corpus = JSON.parse(read("../corpus/tokens.json")) as {
  text: string;
  tokens: { image: string; type: TokenClass }[];
}[];

/** TextMate scope → token class; the first matching prefix wins. */
const SCOPE_CLASS: readonly [string, TokenClass][] = [
  ["comment.", "comment"],
  ["string.", "string"],
  ["constant.numeric.token-count.", "token-count"],
  ["constant.numeric.", "number"],
  ["constant.language.boolean.", "boolean"],
  ["keyword.operator.", "operator"],
  ["keyword.control.", "keyword"],
  ["punctuation.", "punctuation"],
  ["storage.type.", "identifier"],
  ["entity.name.function.", "identifier"],
  ["variable.", "identifier"],
  ["invalid.", "invalid"],
];

function classOf(scope: string): TokenClass | string {
  return SCOPE_CLASS.find(([prefix]) => scope.startsWith(prefix))?.[1] ?? `unmapped scope ${scope}`;
}

const classified = (text: string) =>
  tokenize(grammar, text).map((t) => ({ image: t.text, type: classOf(t.scope) }));

describe("TextMate grammar", () => {
  it.each(corpus.map((c) => [c.text, c.tokens] as const))(
    "tokenizes %j like the lexer",
    (text, tokens) => {
      expect(classified(text)).toEqual(tokens);
    },
  );

  it("agrees with the lexer on every example file", () => {
    const dir = new URL("../../examples/", import.meta.url);
    const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) =>
      f.endsWith(".qlx"),
    );
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const text = readFileSync(new URL(f, dir), "utf8");
      expect(classified(text), f).toEqual(lex(text).map((t) => ({ image: t.image, type: t.type })));
    }
  });

  it("scopes declaring heads and calls apart from plain names", () => {
    const scopes = tokenize(
      grammar,
      "stage s1 from s0 { retrospective = hard(pass_rate < 0.5) }",
    ).map((t) => `${t.text}:${t.scope}`);
    expect(scopes).toContain("stage:storage.type.qlx");
    expect(scopes).toContain("hard:entity.name.function.qlx");
    expect(scopes).toContain("s1:variable.other.qlx");
  });
});
