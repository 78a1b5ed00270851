// `qlx fmt`: prints the AST back in the canonical layout, keeping every comment.
//
// Layout rules:
// - Two-space indentation, one item per line, no commas between items on separate lines.
// - `a = b`, `a *= b`, `f(a = 1, b = 2)`, `[a, b]`, binary operators with one space each side.
// - A block stays on one line (`head { a = 1, b = 2 }`) only if the user wrote it on one line,
//   it has at most three items (nested blocks must qualify too), no comment inside, and the
//   line fits in 100 columns. An empty block without comments is `head { }`.
// - A call or list that does not fit in 100 columns is broken one argument per line with a
//   trailing comma; nested calls are broken the same way only if they still do not fit.
// - Blank lines between items and comments are kept, collapsed to one; none after `{` or
//   before `}`.
// - Literals keep their text (`2e-6`, `1.5K`, escapes). Nothing is reordered.
// Comments: a comment on the line of the previous item (or of the `{`) stays at the end of that
// line; other comments keep their own line. A comment inside an expression or a block head
// cannot be placed by these rules: that expression or head is printed exactly as written.
import type * as A from "./ast.ts";
import { hasErrors, type Diagnostic } from "./diagnostics.ts";
import { parse } from "./parse.ts";

export type FormatResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly diagnostics: Diagnostic[] };

const WIDTH = 100;
const INDENT = "  ";
const MAX_ONE_LINE_ITEMS = 3;

/** Formats `text`; refuses (returning the diagnostics) when it has syntax errors. */
export function format(text: string, file: string): FormatResult {
  const { ast, diagnostics } = parse(text, file);
  if (hasErrors(diagnostics)) return { ok: false, diagnostics };
  return { ok: true, text: printFile(ast, text) };
}

/**
 * Prints a syntax-error-free AST. `text` is the source it was parsed from, used for comment
 * placement, blank lines and the one-line rule; for a tree built in code pass "" and spans of
 * zero (every block then counts as written on one line).
 */
export function printFile(ast: A.File, text: string): string {
  const lines = new Printer(text, ast.comments).container(ast.items, 0, text.length, "", undefined);
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

type Element =
  | {
      readonly kind: "node";
      readonly node: A.Item | A.Use;
      readonly start: number;
      readonly end: number;
    }
  | {
      readonly kind: "comment";
      readonly text: string;
      readonly start: number;
      readonly end: number;
    };

class Printer {
  private readonly commentStarts: number[];

  constructor(
    private readonly text: string,
    private readonly comments: readonly A.Comment[],
  ) {
    this.commentStarts = comments.map((c) => c.span.start);
  }

  // ── comments and source text ──────────────────────────────────────────────────────────

  /** Comments that lie entirely within [start, end). */
  private commentsIn(start: number, end: number): A.Comment[] {
    const out: A.Comment[] = [];
    for (let i = this.firstCommentAtOrAfter(start); i < this.comments.length; i++) {
      const c = this.comments[i]!;
      if (c.span.start >= end) break;
      if (c.span.end <= end) out.push(c);
    }
    return out;
  }

  private firstCommentAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.commentStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.commentStarts[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private hasComment(span: A.Span): boolean {
    return this.commentsIn(span.start, span.end).length > 0;
  }

  private newlinesBetween(start: number, end: number): number {
    let n = 0;
    for (let i = start; i < end; i++) if (this.text.charCodeAt(i) === 10) n++;
    return n;
  }

  private source(span: A.Span): string {
    return this.text.slice(span.start, span.end);
  }

  /** Offset of the `{` that opens a body whose head ends at `after` (skipping comments). */
  private openBrace(after: number): number {
    let i = after;
    while (i < this.text.length) {
      const c = this.comments[this.firstCommentAtOrAfter(i)];
      if (c !== undefined && c.span.start === i) i = c.span.end;
      else if (/\s/.test(this.text[i]!)) i++;
      else return i;
    }
    return i;
  }

  // ── item lists ─────────────────────────────────────────────────────────────────────────

  /**
   * The lines of the items and loose comments in the region (start, end) of a file or body.
   * `trailingOpen` receives comments on the line of the body's opening brace (a file has none).
   */
  container(
    items: readonly (A.Item | A.Use)[],
    start: number,
    end: number,
    indent: string,
    trailingOpen: string[] | undefined,
  ): string[] {
    const elements: Element[] = items.map((node) => ({
      kind: "node",
      node,
      start: node.span.start,
      end: node.span.end,
    }));
    for (const c of this.commentsIn(start, end)) {
      if (!items.some((i) => i.span.start <= c.span.start && c.span.end <= i.span.end)) {
        elements.push({ kind: "comment", text: c.text, start: c.span.start, end: c.span.end });
      }
    }
    elements.sort((a, b) => a.start - b.start);

    const lines: string[] = [];
    let previousEnd = start;
    let atOpen = trailingOpen !== undefined;
    for (const e of elements) {
      const newlines = this.newlinesBetween(previousEnd, e.start);
      const sameLine = newlines === 0 && this.text.length > 0;
      if (e.kind === "comment" && sameLine && (lines.length > 0 || atOpen)) {
        if (lines.length === 0) trailingOpen!.push(e.text);
        else lines[lines.length - 1] += ` ${e.text}`;
      } else {
        if (newlines >= 2 && lines.length > 0) lines.push("");
        if (e.kind === "comment") lines.push(indent + e.text);
        else lines.push(...this.item(e.node, indent));
      }
      atOpen = false;
      previousEnd = e.end;
    }
    return lines;
  }

  private item(node: A.Item | A.Use, indent: string): string[] {
    switch (node.kind) {
      case "Use":
        return this.hasComment(node.span)
          ? this.verbatim(node.span, indent)
          : [`${indent}use ${node.path.text}`];
      case "Assignment":
        return this.assignment(node, indent);
      case "Block":
      case "Row":
      case "For":
        return this.block(node, indent);
    }
  }

  private verbatim(span: A.Span, indent: string): string[] {
    const [first, ...rest] = this.source(span).split(/\r?\n/);
    return [indent + first, ...rest];
  }

  private assignment(a: A.Assignment, indent: string): string[] {
    const commentOutsideValue = this.commentsIn(a.span.start, a.span.end).some(
      (c) => c.span.end <= a.value.span.start || c.span.start >= a.value.span.end,
    );
    if (commentOutsideValue) return this.verbatim(a.span, indent);
    const keyword = a.keyword === undefined ? "" : `${a.keyword.name} `;
    return this.expr(a.value, indent, `${keyword}${path(a.target)} ${a.op} `, "");
  }

  // ── blocks ─────────────────────────────────────────────────────────────────────────────

  /** The head as written when a comment sits inside it, else canonical. */
  private head(b: A.Block | A.RowBlock | A.For): { text: string; end: number } {
    switch (b.kind) {
      case "Block": {
        if (this.hasComment(b.headSpan))
          return { text: this.source(b.headSpan), end: b.headSpan.end };
        const words = [b.keyword.name];
        if (b.name !== undefined) words.push(b.name.kind === "Ident" ? b.name.name : b.name.text);
        if (b.of !== undefined) words.push("of", b.of.name);
        if (b.from !== undefined) words.push("from", b.from.name);
        return { text: words.join(" "), end: b.headSpan.end };
      }
      case "Row":
        return { text: b.name.text, end: b.headSpan.end };
      case "For": {
        const end = b.iterable.span.end;
        const header = { ...b.span, end };
        if (this.hasComment(header)) return { text: this.source(header), end };
        // A long iterable stays on the `for` line: breaking it would push `{` far away.
        return { text: `for ${b.variable.name} in ${this.flat(b.iterable)}`, end };
      }
    }
  }

  private block(b: A.Block | A.RowBlock | A.For, indent: string): string[] {
    const head = this.head(b);
    const open = this.text.length === 0 ? head.end : this.openBrace(head.end);
    const headComments = this.commentsIn(head.end, open);
    // Block comments between the head and `{` stay there; a line comment cannot, so it moves
    // to the end of the `{` line.
    const inline = headComments.filter((c) => c.text.startsWith("/*")).map((c) => ` ${c.text}`);
    const trailingOpen = headComments.filter((c) => c.text.startsWith("//")).map((c) => c.text);
    const opening = `${indent}${head.text}${inline.join("")} {`;

    const bodyStart = open + 1;
    const bodyEnd = b.span.end - 1;
    if (trailingOpen.length === 0 && this.commentsIn(bodyStart, bodyEnd).length === 0) {
      if (b.items.length === 0) return [`${opening} }`];
      const flat = this.oneLine(b);
      if (flat !== undefined && opening.length + flat.length + 3 <= WIDTH) {
        return [`${opening} ${flat} }`];
      }
    }
    const body = this.container(b.items, bodyStart, bodyEnd, indent + INDENT, trailingOpen);
    const first = trailingOpen.length === 0 ? opening : `${opening} ${trailingOpen.join(" ")}`;
    return [first, ...body, `${indent}}`];
  }

  /** The block's items on one line, if the one-line rule allows it. */
  private oneLine(b: A.Block | A.RowBlock | A.For): string | undefined {
    if (b.span.line !== b.span.endLine || b.items.length > MAX_ONE_LINE_ITEMS) return undefined;
    const parts: string[] = [];
    for (const item of b.items) {
      if (item.kind === "Assignment") {
        const keyword = item.keyword === undefined ? "" : `${item.keyword.name} `;
        parts.push(`${keyword}${path(item.target)} ${item.op} ${this.flat(item.value)}`);
        continue;
      }
      const head = this.head(item).text;
      if (item.items.length === 0) {
        parts.push(`${head} { }`);
        continue;
      }
      const inner = this.oneLine(item);
      if (inner === undefined) return undefined;
      parts.push(`${head} { ${inner} }`);
    }
    return parts.join(", ");
  }

  // ── expressions ────────────────────────────────────────────────────────────────────────

  /** An expression on one line; as written when a comment sits inside it. */
  private flat(e: A.Expr): string {
    if (this.hasComment(e.span)) return this.source(e.span);
    switch (e.kind) {
      case "Path":
        return path(e);
      case "Number":
      case "TokenCount":
      case "String":
        return e.text;
      case "Bool":
        return e.value ? "true" : "false";
      case "Call":
        return `${path(e.callee)}(${e.args.map((a) => this.arg(a)).join(", ")})`;
      case "List":
        return `[${e.items.map((i) => this.flat(i)).join(", ")}]`;
      case "Binary": {
        // Walk the left spine iteratively: `a - b - c …` nests to the left, as deep as it is
        // long, and recursion would overflow the stack on a generated expression.
        const rights: string[] = [];
        let left: A.Expr = e;
        while (left.kind === "Binary" && (left === e || !this.hasComment(left.span))) {
          rights.push(` ${left.op} ${this.flat(left.right)}`);
          left = left.left;
        }
        return this.flat(left) + rights.reverse().join("");
      }
      case "Unary":
        return `-${this.flat(e.operand)}`;
      case "Paren":
        return `(${this.flat(e.inner)})`;
      case "ErrorExpr":
        // format() refuses files with syntax errors, so only a tree built in code gets here.
        throw new Error(
          `cannot print an ErrorExpr at ${e.span.file}:${e.span.line}:${e.span.column}`,
        );
    }
  }

  private arg(a: A.Arg): string {
    return a.name === undefined ? this.flat(a.value) : `${a.name.name} = ${this.flat(a.value)}`;
  }

  /**
   * Lines for `prefix + e + suffix` at `indent`: flat when it fits, else a call or list broken
   * one element per line (each element laid out by the same rule).
   */
  private expr(e: A.Expr, indent: string, prefix: string, suffix: string): string[] {
    const flat = `${indent}${prefix}${this.flat(e)}${suffix}`;
    if (flat.length <= WIDTH || this.hasComment(e.span)) {
      return this.hasComment(e.span) ? this.verbatimWith(e.span, indent, prefix, suffix) : [flat];
    }
    const inner = indent + INDENT;
    if (e.kind === "Call" && e.args.length > 0) {
      return [
        `${indent}${prefix}${path(e.callee)}(`,
        ...e.args.flatMap((a) =>
          this.expr(a.value, inner, a.name === undefined ? "" : `${a.name.name} = `, ","),
        ),
        `${indent})${suffix}`,
      ];
    }
    if (e.kind === "List" && e.items.length > 0) {
      return [
        `${indent}${prefix}[`,
        ...e.items.flatMap((i) => this.expr(i, inner, "", ",")),
        `${indent}]${suffix}`,
      ];
    }
    return [flat];
  }

  private verbatimWith(span: A.Span, indent: string, prefix: string, suffix: string): string[] {
    const lines = this.verbatim(span, indent + prefix);
    lines[lines.length - 1] += suffix;
    return lines;
  }
}

function path(p: A.Path): string {
  return p.parts.map((i) => i.name).join(".");
}
