// Inputs for parser fuzzing, shared by `fuzz.test.ts` (a small seeded run in CI) and
// `scripts/fuzz-parser.ts` (the large campaign): random token soups and random edits of
// valid source, plus the invariants every parse must satisfy.
import fc from "fast-check";
import type * as A from "../../language/ast.ts";
import type { Diagnostic } from "../../language/diagnostics.ts";
import { format, parse } from "../../language/index.ts";

const FRAGMENTS = [
  ...["experiment", "ablation", "stage", "merge", "profile", "rows", "tasks", "x", "s1", "std"],
  ...["use", "for", "in", "from", "of", "true", "false"],
  ...["7", "0.95", "2e-6", "20K", "1.5K", "1M", "20Q", "2e", "3.", "1.3K"],
  ...['"GRPO"', '"a\\"b"', '"lr {lr}"', '"open', '"bad \\q"', '"'],
  ...["{", "}", "[", "]", "(", ")", ",", ".", "=", "*=", "<", "<=", ">", ">=", "==", "!="],
  ...["+", "-", "*", "/", "// note", "/* c */", "/*", "*/", "$", "é", "\t", "\r\n", "\n"],
];
const GAPS = ["", " ", "  ", "\n", "\n\n"];

export const tokenSoup = fc
  .array(fc.tuple(fc.constantFrom(...FRAGMENTS), fc.constantFrom(...GAPS)), { maxLength: 120 })
  .map((parts) => parts.map(([f, g]) => f + g).join(""));

type Edit =
  | { kind: "delete"; at: number; length: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "duplicate"; at: number; length: number }
  | { kind: "swap"; at: number; other: number; length: number };

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: position, length: fc.nat({ max: 40 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: position,
    text: fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 8 })),
  }),
  fc.record({ kind: fc.constant("duplicate" as const), at: position, length: fc.nat({ max: 60 }) }),
  fc.record({
    kind: fc.constant("swap" as const),
    at: position,
    other: position,
    length: fc.nat({ max: 30 }),
  }),
);

function applyEdit(text: string, e: Edit): string {
  const at = Math.floor(e.at * (text.length + 1));
  switch (e.kind) {
    case "delete":
      return text.slice(0, at) + text.slice(at + e.length);
    case "insert":
      return text.slice(0, at) + e.text + text.slice(at);
    case "duplicate":
      return (
        text.slice(0, at + e.length) + text.slice(at, at + e.length) + text.slice(at + e.length)
      );
    case "swap": {
      const [a, b] = [at, Math.floor(e.other * (text.length + 1))].sort((x, y) => x - y) as [
        number,
        number,
      ];
      const length = Math.min(e.length, b - a);
      const first = text.slice(a, a + length);
      const second = text.slice(b, b + length);
      return text.slice(0, a) + second + text.slice(a + length, b) + first + text.slice(b + length);
    }
  }
}

/** Valid sources with 1-5 random edits (deletions, insertions, duplications, swaps). */
export function mutationsOf(sources: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...sources), fc.array(edit, { minLength: 1, maxLength: 5 }))
    .map(([source, edits]) => edits.reduce(applyEdit, source));
}

export interface FuzzOutcome {
  /** The first invariant the parse broke, if any. */
  readonly violation?: string;
  /** True when the input parsed without diagnostics (and so was also formatted). */
  readonly clean: boolean;
}

/**
 * What every parse must satisfy. A file that parses without diagnostics must also format
 * idempotently to the same tree.
 */
export function checkParse(text: string): FuzzOutcome {
  const { ast, diagnostics } = parse(text, "fuzz.qlx");
  const violation = findViolation(text, ast, diagnostics);
  return violation === undefined
    ? { clean: diagnostics.length === 0 }
    : { violation, clean: diagnostics.length === 0 };
}

function findViolation(
  text: string,
  ast: A.File,
  diagnostics: readonly Diagnostic[],
): string | undefined {
  if (ast.kind !== "File" || !Array.isArray(ast.items)) return "parse did not return a File";
  const bad = findBadSpan(ast, text.length);
  if (bad !== undefined) return `span out of range: ${JSON.stringify(bad)}`;
  for (const d of diagnostics) {
    if (!d.code.startsWith("QLX1")) return `non-syntax diagnostic ${d.code}`;
    if (d.span.start > d.span.end || d.span.end > text.length)
      return `diagnostic span out of range`;
  }
  if (diagnostics.length > 0) return undefined;
  const once = format(text, "fuzz.qlx");
  if (!once.ok) return "format refused a file that parsed cleanly";
  const twice = format(once.text, "fuzz.qlx");
  if (!twice.ok || twice.text !== once.text) return "format is not idempotent";
  if (shape(parse(once.text, "fuzz.qlx").ast.items) !== shape(ast.items)) {
    return "format changed the tree";
  }
  return undefined;
}

function shape(node: unknown): string {
  return JSON.stringify(node, (k, v) => (k === "span" || k === "headSpan" ? undefined : v));
}

function findBadSpan(node: unknown, length: number): A.Span | undefined {
  if (Array.isArray(node)) {
    for (const child of node) {
      const bad = findBadSpan(child, length);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (node === null || typeof node !== "object") return undefined;
  for (const [key, value] of Object.entries(node)) {
    if (key === "span" || key === "headSpan") {
      const s = value as A.Span;
      const ok =
        0 <= s.start && s.start <= s.end && s.end <= length && s.line >= 1 && s.column >= 1;
      if (!ok) return s;
    } else {
      const bad = findBadSpan(value, length);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}
