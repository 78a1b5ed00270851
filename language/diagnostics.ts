// Every diagnostic qlx can report, in one table. Call sites pass a code and typed data, never
// prose (`diag("QLX2001", span, { name })`); the table owns the wording, the help line, the
// explanation and a minimal failing example, which `docs/diagnostics.md` is generated from.
// Ranges: QLX1xxx syntax, QLX2xxx names and imports, QLX3xxx types, units and ranges,
// QLX4xxx stages, schedule and graph, QLX5xxx cross-field RL rules, QLX6xxx backend
// capabilities (valid files a backend cannot run). Codes are never renumbered or reused.
import type { Span } from "./ast.ts";

export type Severity = "error" | "warning" | "info";

export interface DiagnosticDef<P> {
  readonly severity: Severity;
  /** A short name for the docs index. */
  readonly title: string;
  readonly message: (p: P) => string;
  readonly help?: (p: P) => string;
  /** One paragraph for the docs page and hover: why this is a problem. */
  readonly explanation: string;
  /** A minimal `.qlx` fragment that triggers it. */
  readonly example: string;
}

function def<P = Record<string, never>>(d: DiagnosticDef<P>): DiagnosticDef<P> {
  return d;
}

export const DIAGNOSTICS = {
  // ── QLX1xxx: syntax ────────────────────────────────────────────────────────────────────
  QLX1001: def<{ text: string }>({
    severity: "error",
    title: "unexpected character",
    message: (p) => `unexpected character '${p.text}'`,
    help: () =>
      "remove it; qlx source uses ASCII punctuation { } [ ] ( ) = , . and comparison operators",
    explanation:
      "The lexer found a character that starts no token of the language. Only the characters listed in the language reference can appear outside strings and comments.",
    example: "experiment x { seed = 7 $ }",
  }),
  QLX1002: def({
    severity: "error",
    title: "unterminated string",
    message: () => "unterminated string literal",
    help: () => 'close the string with a double quote (") on the same line',
    explanation: "A string literal must start and end on the same line.",
    example: 'experiment x { model policy { init = "Qwen/Qwen3 } }',
  }),
  QLX1003: def<{ expected: string; found: string }>({
    severity: "error",
    title: "unexpected token",
    message: (p) => `expected ${p.expected}, found ${p.found}`,
    explanation:
      "The parser expected a different token here. Parsing resumes at the next item or closing brace, so the rest of the file is still checked.",
    example: "experiment x { seed 7 }",
  }),
} as const satisfies Record<string, DiagnosticDef<any>>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;
export type DiagnosticParams<C extends DiagnosticCode> =
  (typeof DIAGNOSTICS)[C] extends DiagnosticDef<infer P> ? P : never;

export interface RelatedInfo {
  readonly span: Span;
  readonly message: string;
}

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly help?: string;
  readonly span: Span;
  readonly related: readonly RelatedInfo[];
  /** The typed data the message was built from; quick fixes read it (e.g. a suggestion). */
  readonly data: Readonly<Record<string, unknown>>;
}

export function diag<C extends DiagnosticCode>(
  code: C,
  span: Span,
  params: DiagnosticParams<C>,
  related: readonly RelatedInfo[] = [],
): Diagnostic {
  const d = DIAGNOSTICS[code] as DiagnosticDef<DiagnosticParams<C>>;
  const help = d.help?.(params);
  return {
    code,
    severity: d.severity,
    message: d.message(params),
    ...(help === undefined ? {} : { help }),
    span,
    related,
    data: params as Readonly<Record<string, unknown>>,
  };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
