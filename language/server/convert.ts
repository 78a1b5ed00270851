// Front-end values → LSP values: spans to ranges (LSP lines/characters are 0-based, ours
// 1-based), diagnostics with their QLX code in `code` and typed data in `data` so that code
// actions can key on the code (STYLE.md §2).
import {
  DiagnosticSeverity,
  type Diagnostic as LspDiagnostic,
  type Position,
  type Range,
} from "vscode-languageserver";
import type { Span } from "../ast.ts";
import type { Diagnostic, Severity } from "../diagnostics.ts";
import { pathToUri, type ParsedDocument } from "./documents.ts";

export function toRange(span: Span): Range {
  return {
    start: { line: span.line - 1, character: span.column - 1 },
    end: { line: span.endLine - 1, character: span.endColumn - 1 },
  };
}

export function offsetAt(doc: ParsedDocument, position: Position): number {
  const lineStart = doc.lineStarts[position.line];
  if (lineStart === undefined) return doc.text.length;
  return Math.min(doc.text.length, lineStart + position.character);
}

export function positionAt(doc: ParsedDocument, offset: number): Position {
  const p = doc.lines.position(offset);
  return { line: p.line - 1, character: p.column - 1 };
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

/** The data a diagnostic carries to code actions: its code and the checker's typed params. */
export interface DiagnosticData {
  readonly code: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export function toLspDiagnostic(d: Diagnostic): LspDiagnostic {
  const data: DiagnosticData = { code: d.code, params: d.data };
  return {
    range: toRange(d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: "qlx",
    // The help line is part of what `qlx check` prints; editors show the message only.
    message: d.help === undefined ? d.message : `${d.message}\nhelp: ${d.help}`,
    relatedInformation: d.related.map((r) => ({
      location: { uri: pathToUri(r.span.file), range: toRange(r.span) },
      message: r.message,
    })),
    data,
  };
}
