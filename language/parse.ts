// Text → AST + syntax diagnostics. `parse` never throws and always returns a whole `File`;
// see `cst-to-ast.ts` for how recovered regions are represented.
import type { File } from "./ast.ts";
import { AstBuilder } from "./cst-to-ast.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { lexSource } from "./lexer.ts";
import { parseTokens } from "./parser.ts";

export interface ParseResult {
  readonly ast: File;
  /** Syntax diagnostics (QLX1xxx), sorted by position. */
  readonly diagnostics: Diagnostic[];
}

export function parse(text: string, file: string): ParseResult {
  const lexed = lexSource(text, file);
  const builder = new AstBuilder(file, lexed.lines);
  const ast = {
    ...builder.build(
      parseTokens(lexed.tokens, (offset) => lexed.lines.position(offset).line),
      text.length,
    ),
    comments: lexed.comments,
  };
  return { ast, diagnostics: mergeDiagnostics(lexed.diagnostics, builder.diagnostics) };
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
