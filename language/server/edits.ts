// Formatting through `qlx fmt`'s formatter, and quick fixes keyed by QLX code: swap reversed
// AEPO bounds (QLX5009), round a batch to the nearest valid multiple (QLX5012: the task
// count; QLX5001: batch × group across data-parallel workers), and did-you-mean for any
// diagnostic whose data carries a `suggestion`.
import {
  CodeActionKind,
  type CodeAction,
  type Diagnostic as LspDiagnostic,
  type Range,
  type TextEdit,
} from "vscode-languageserver";
import type * as A from "../ast.ts";
import { format } from "../index.ts";
import { offsetAt, positionAt, toRange, type DiagnosticData } from "./convert.ts";
import type { ParsedDocument } from "./documents.ts";

/** One edit replacing the lines that formatting changes, or none when already formatted. */
function minimalEdit(doc: ParsedDocument, formatted: string): TextEdit | undefined {
  if (formatted === doc.text) return undefined;
  let start = 0;
  while (start < doc.text.length && doc.text[start] === formatted[start]) start++;
  let oldEnd = doc.text.length;
  let newEnd = formatted.length;
  while (oldEnd > start && newEnd > start && doc.text[oldEnd - 1] === formatted[newEnd - 1]) {
    oldEnd--;
    newEnd--;
  }
  return {
    range: { start: positionAt(doc, start), end: positionAt(doc, oldEnd) },
    newText: formatted.slice(start, newEnd),
  };
}

/**
 * Whole-document formatting, or with `range` the formatter's change when it overlaps the range
 * (the formatter prints whole files, so a range request returns its changed region).
 */
export function formatDocument(doc: ParsedDocument, range?: Range): TextEdit[] {
  const result = format(doc.text, doc.path);
  if (!result.ok) return [];
  const edit = minimalEdit(doc, result.text);
  if (edit === undefined) return [];
  if (range !== undefined) {
    const a = offsetAt(doc, range.start);
    const b = offsetAt(doc, range.end);
    const s = offsetAt(doc, edit.range.start);
    const e = offsetAt(doc, edit.range.end);
    if (e < a || s > b) return [];
  }
  return [edit];
}

function callsIn(doc: ParsedDocument): A.Call[] {
  const out: A.Call[] = [];
  const expr = (e: A.Expr): void => {
    if (e.kind === "Call") {
      out.push(e);
      e.args.forEach((a) => expr(a.value));
    } else if (e.kind === "List") e.items.forEach(expr);
    else if (e.kind === "Binary") [e.left, e.right].forEach(expr);
    else if (e.kind === "Unary") expr(e.operand);
    else if (e.kind === "Paren") expr(e.inner);
  };
  const items = (list: readonly A.Item[]): void => {
    for (const i of list) {
      if (i.kind === "Assignment") expr(i.value);
      else items(i.items);
    }
  };
  items(doc.ast.items.filter((i): i is A.Block => i.kind === "Block"));
  return out;
}

/** The `batch = N` assignment of the block whose span contains `offset`, innermost first. */
function batchAssignment(doc: ParsedDocument, offset: number): A.Assignment | undefined {
  let found: A.Assignment | undefined;
  const visit = (list: readonly A.Item[]) => {
    for (const i of list) {
      if (i.kind === "Assignment") {
        if (i.target.parts.length === 1 && i.target.parts[0]?.name === "batch") found = i;
      } else if (i.span.start <= offset && offset <= i.span.end) visit(i.items);
    }
  };
  visit(doc.ast.items.filter((i): i is A.Block => i.kind === "Block"));
  return found;
}

function textOf(doc: ParsedDocument, node: { span: A.Span }): string {
  return doc.text.slice(node.span.start, node.span.end);
}

function fix(doc: ParsedDocument, title: string, d: LspDiagnostic, edits: TextEdit[]): CodeAction {
  return {
    title,
    kind: CodeActionKind.QuickFix,
    diagnostics: [d],
    isPreferred: true,
    edit: { changes: { [doc.uri]: edits } },
  };
}

function roundBatch(
  doc: ParsedDocument,
  d: LspDiagnostic,
  multiple: number,
  why: string,
): CodeAction[] {
  const batch = batchAssignment(doc, offsetAt(doc, d.range.start));
  if (batch?.value.kind !== "Number" || multiple < 1) return [];
  const value = batch.value.value;
  const down = Math.floor(value / multiple) * multiple;
  const up = down + multiple;
  const target = down >= multiple && value - down <= up - value ? down : up;
  return [
    fix(doc, `Round batch to ${target} (a multiple of ${why})`, d, [
      { range: toRange(batch.value.span), newText: String(target) },
    ]),
  ];
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function codeActions(
  doc: ParsedDocument,
  diagnostics: readonly LspDiagnostic[],
): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    const data = d.data as DiagnosticData | undefined;
    if (data === undefined) continue;
    const p = data.params;
    if (typeof p["suggestion"] === "string") {
      const s = p["suggestion"];
      out.push(fix(doc, `Change to '${s}'`, d, [{ range: d.range, newText: s }]));
    }
    if (data.code === "QLX5009") {
      const start = offsetAt(doc, d.range.start);
      const call = callsIn(doc).find((c) => c.span.start === start);
      const low = call?.args.find((a) => a.name?.name === "low")?.value;
      const high = call?.args.find((a) => a.name?.name === "high")?.value;
      if (low !== undefined && high !== undefined)
        out.push(
          fix(doc, "Swap low and high", d, [
            { range: toRange(low.span), newText: textOf(doc, high) },
            { range: toRange(high.span), newText: textOf(doc, low) },
          ]),
        );
    }
    if (data.code === "QLX5012" && typeof p["tasks"] === "number")
      out.push(...roundBatch(doc, d, p["tasks"], `the ${p["tasks"]} tasks`));
    if (
      data.code === "QLX5001" &&
      typeof p["dp"] === "number" &&
      typeof p["responses"] === "number"
    ) {
      // batch × group divides dp exactly when batch is a multiple of dp / gcd(group, dp).
      const batch = batchAssignment(doc, offsetAt(doc, d.range.start));
      const group = batch?.value.kind === "Number" ? p["responses"] / batch.value.value : undefined;
      if (group !== undefined && Number.isInteger(group))
        out.push(
          ...roundBatch(
            doc,
            d,
            p["dp"] / gcd(group, p["dp"]),
            "data_parallel / gcd(group, data_parallel)",
          ),
        );
    }
  }
  return out;
}
