// Diagnostics as a terminal shows them, in the style of tsc and rustc:
//
//   recipe.qlx:2:3 - error QLX1009: expected '=' after 'seed'
//
//   2   seed 7
//       ~~~~
//     help: write 'seed = <value>'
//
// The underline covers the span on its first line (a span that runs onto later lines is
// underlined to the end of its first line; an empty span gets a single ^). Related spans
// follow as notes with their own source line. Without colour the output is stable text that
// golden files compare against: paths are made relative to `root`, tabs become spaces.
import path from "node:path";
import type { Span } from "./ast.ts";
import type { Diagnostic, Severity } from "./diagnostics.ts";
import { LineIndex } from "./lexer.ts";

export interface RenderOptions {
  readonly color: boolean;
  /** Paths are shown relative to this directory when given. */
  readonly root?: string;
}

const TAB = "    ";
const SEVERITY_COLOR: Readonly<Record<Severity, string>> = {
  error: "31",
  warning: "33",
  info: "36",
};

export function renderDiagnostics(
  diagnostics: readonly Diagnostic[],
  getSource: (file: string) => string | undefined,
  opts: RenderOptions,
): string {
  const indexes = new Map<string, LineIndex | undefined>();
  const sourceOf = (file: string): LineIndex | undefined => {
    if (!indexes.has(file)) {
      const text = getSource(file);
      indexes.set(file, text === undefined ? undefined : new LineIndex(text));
    }
    return indexes.get(file);
  };
  const paint = (code: string, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const where = (span: Span) =>
    paint("36", `${displayPath(span.file, opts.root)}:${span.line}:${span.column}`);

  const blocks = diagnostics.map((d) => {
    const color = SEVERITY_COLOR[d.severity];
    const out = [
      `${where(d.span)} - ${paint(color, d.severity)} ${paint("90", d.code)}: ${d.message}`,
    ];
    out.push(...snippet(sourceOf(d.span.file), d.span, "", (s) => paint(color, s), paint));
    for (const r of d.related) {
      out.push(`  ${where(r.span)} - ${paint("36", "note")}: ${r.message}`);
      out.push(...snippet(sourceOf(r.span.file), r.span, "  ", (s) => paint("36", s), paint));
    }
    if (d.help !== undefined) out.push(`  ${paint("32", "help")}: ${d.help}`);
    return out.join("\n");
  });
  return blocks.length === 0 ? "" : `${blocks.join("\n\n")}\n`;
}

function displayPath(file: string, root: string | undefined): string {
  if (root === undefined) return file;
  const relative = path.relative(root, path.resolve(root, file));
  return relative.split(path.sep).join("/");
}

/** The span's first source line with a gutter, and the underline beneath it. */
function snippet(
  source: LineIndex | undefined,
  span: Span,
  indent: string,
  underlineColor: (s: string) => string,
  paint: (code: string, s: string) => string,
): string[] {
  if (source === undefined || span.line > source.lineCount) return [];
  const raw = source.lineText(span.line);
  const gutter = String(span.line);
  const pad = " ".repeat(gutter.length);
  const startCol = Math.min(span.column - 1, raw.length);
  const endCol = span.endLine === span.line ? Math.min(span.endColumn - 1, raw.length) : raw.length;
  const before = expandTabs(raw.slice(0, startCol)).length;
  const width = expandTabs(raw.slice(startCol, Math.max(endCol, startCol))).length;
  const marks = width === 0 ? "^" : "~".repeat(width);
  return [
    "",
    `${indent}${paint("90", gutter)}   ${expandTabs(raw)}`,
    `${indent}${pad}   ${" ".repeat(before)}${underlineColor(marks)}`,
    "",
  ];
}

function expandTabs(s: string): string {
  return s.replace(/\t/g, TAB);
}
