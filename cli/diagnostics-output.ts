// How the CLI prints diagnostics: rendered with source excerpts for people, or the JSON array
// other tools rely on (paths relative to the working directory).
import * as fs from "node:fs";
import * as nodePath from "node:path";
import type { Diagnostic } from "../language/diagnostics.ts";
import { renderDiagnostics } from "../language/index.ts";

export interface DiagnosticJson {
  readonly code: string;
  readonly severity: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly message: string;
  readonly help: string | null;
}

export function relativeFile(file: string): string {
  return nodePath.relative(process.cwd(), file).split(nodePath.sep).join("/");
}

export function diagnosticsJson(diags: readonly Diagnostic[]): DiagnosticJson[] {
  return diags.map((d) => ({
    code: d.code,
    severity: d.severity,
    file: relativeFile(d.span.file),
    line: d.span.line,
    column: d.span.column,
    endLine: d.span.endLine,
    endColumn: d.span.endColumn,
    message: d.message,
    help: d.help ?? null,
  }));
}

export function renderForTerminal(diags: readonly Diagnostic[]): string {
  const color = process.stderr.isTTY === true && process.env.NO_COLOR === undefined;
  return renderDiagnostics(diags, (file) => readSource(file), { color, root: process.cwd() });
}

function readSource(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

export function usageError(message: string, help: string): number {
  process.stderr.write(`qlx: ${message}\n\n${help}`);
  return 2;
}
