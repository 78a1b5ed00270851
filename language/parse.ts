// Text → AST + syntax diagnostics. `parse` never throws and always returns a whole `File`;
// see `cst-to-ast.ts` for how recovered regions are represented.
import type { File } from "./ast.ts";
import { AstBuilder } from "./cst-to-ast.ts";
import { diag, type Diagnostic } from "./diagnostics.ts";
import { lexSource } from "./lexer.ts";
import { limitNesting, MAX_NESTING, parseTokens } from "./parser.ts";

export interface ParseResult {
  readonly ast: File;
  /** Syntax diagnostics (QLX1xxx), sorted by position. */
  readonly diagnostics: Diagnostic[];
}

export function parse(text: string, file: string): ParseResult {
  const lexed = lexSource(text, file);
  const { tokens, tooDeep } = limitNesting(lexed.tokens);
  const builder = new AstBuilder(file, lexed.lines);
  const parsed = parseTokens(tokens, (offset) => lexed.lines.position(offset).line);
  const ast = { ...builder.build(parsed, text.length), comments: lexed.comments };
  let syntactic = builder.diagnostics;
  if (tooDeep !== undefined) {
    // The input was cut at `tooDeep`: what the parser says about the cut end is not news.
    syntactic = syntactic.filter((d) => d.code !== "QLX1004" && d.data["found"] !== "end of file");
    const start = tooDeep.startOffset;
    syntactic.push(
      diag("QLX1013", lexed.lines.span(file, start, start + 1), { limit: MAX_NESTING }),
    );
  }
  return { ast, diagnostics: mergeDiagnostics(lexed.diagnostics, syntactic) };
}

/**
 * A lexical error explains any parse error on its line (a malformed number or a stray
 * character leaves the parser a surprise), and an unterminated comment explains the unclosed
 * blocks it swallowed: report only the lexical one, so one mistake is one diagnostic.
 */
function mergeDiagnostics(lexical: Diagnostic[], syntactic: Diagnostic[]): Diagnostic[] {
  const lexicalLines = new Set(lexical.map((d) => d.span.line));
  const swallowed = lexical.some((d) => d.code === "QLX1006");
  const kept = syntactic.filter(
    (d) => !lexicalLines.has(d.span.line) && !(swallowed && d.code === "QLX1004"),
  );
  return [...lexical, ...kept].sort(
    (a, b) => a.span.start - b.span.start || a.span.end - b.span.end,
  );
}
