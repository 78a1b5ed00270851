// The public front end: text → AST + syntax diagnostics (`parse`, which never throws and
// always returns a whole `File`; `reparse`, the same after an edit, re-parsing only the
// edited block or assignment), text → classified tokens (`lex`), diagnostics → terminal text
// (`renderDiagnostics`), and the formatter (`format`).
export { parse, type ParseResult } from "./parse.ts";
export { diffText, reparse, type TextChange } from "./incremental.ts";
export { format, printFile, type FormatResult } from "./format.ts";
export { lex, LineIndex, type EditorToken } from "./lexer.ts";
export { renderDiagnostics, type RenderOptions } from "./render.ts";
export type { TokenClass } from "./tokens.ts";
