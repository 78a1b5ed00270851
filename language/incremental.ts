// Incremental re-parsing for the editor: after an edit, re-parse only the innermost block that
// contains it, or the assignment it falls in, and splice that into the previous tree. A recipe
// is one experiment block holding hundreds of stages, so re-parsing "the top-level block"
// would re-parse everything; the innermost enclosing block is usually a single stage or task
// of a few lines, and an edit of a field of the experiment itself re-parses that one field.
//
// Why splicing gives exactly the tree `parse` would build: the edit lies strictly inside the
// item (an assignment's end included, see `enclosingItem`), so the text before it is unchanged
// and the lexer reaches the item's first character in its normal state (no string or comment
// is open there, since the item's first token started there before the edit). The parser
// reaches the item in the same state as before (same tokens, and no error before the item, so
// no recovery scanned into it), parses the item on its own tokens only (the grammar's LL(2)
// decisions inside a body stop at its `}`; a value stops at the next item's first token), and
// leaves it with the same next token in the same state, so everything after is parsed as
// before, shifted (a block that had errors inside still ended at its own `}`, after which the
// parser is in its normal state). Hence the conditions below: the item re-parses alone
// without any diagnostic, as one item of its kind spanning the edited region, and the previous
// parse had no diagnostic before the item's end but errors inside a block that the clean
// re-parse repairs (`repairedBy`); those after it are shifted along with the tree.
//
// Everything else falls back to a full `parse`, which is always correct.
import { createTokenInstance } from "chevrotain";
import type * as A from "./ast.ts";
import { AstBuilder } from "./cst-to-ast.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { LineIndex, lexSource } from "./lexer.ts";
import { parse, type ParseResult } from "./parse.ts";
import { limitNesting, parseTokens } from "./parser.ts";
import { Ident, LBrace, RBrace } from "./tokens.ts";

/** One edit of the previous text: `[start, end)` (offsets in that text) became `newText`. */
export interface TextChange {
  readonly start: number;
  readonly end: number;
  readonly newText: string;
}

/**
 * The edit that turns `before` into `after`: the differing middle between their common
 * prefix and suffix (what an editor's full-document sync leaves the server to find).
 */
export function diffText(before: string, after: string): TextChange {
  const max = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (
    suffix < max - prefix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  )
    suffix++;
  return {
    start: prefix,
    end: before.length - suffix,
    newText: after.slice(prefix, after.length - suffix),
  };
}

/**
 * The parse of `text`, which is the text `previous` was parsed from with `change` applied.
 * Equal (deep-equal AST and diagnostics) to `parse(text, previous.ast.path)`.
 */
export function reparse(previous: ParseResult, text: string, change: TextChange): ParseResult {
  return reparseLocally(previous, text, change) ?? parse(text, previous.ast.path);
}

/** Containers on the way from the file to the re-parsed item, with the index taken in each. */
interface Step {
  readonly node: A.File | A.Block | A.RowBlock | A.For;
  readonly index: number;
}

/**
 * The splice of the innermost enclosing block or assignment, or undefined where the edit
 * cannot be localised (see the file comment): callers then parse the whole text.
 */
export function reparseLocally(
  previous: ParseResult,
  text: string,
  change: TextChange,
): ParseResult | undefined {
  const file = previous.ast;
  const oldLength = file.span.end;
  const delta = change.newText.length - (change.end - change.start);
  if (
    change.start < 0 ||
    change.end < change.start ||
    change.end > oldLength ||
    text.length !== oldLength + delta
  )
    return undefined;

  const path = enclosingItem(file, change);
  if (path === undefined) return undefined;
  const { steps, item } = path;
  // A syntax error reported after an assignment may still be its own (`seed 7` is reported at
  // the token after it), so for an assignment only errors after its whole block are unrelated.
  const unrelatedFrom =
    item.kind === "Assignment" ? steps[steps.length - 1]!.node.span.end : item.span.end;
  if (
    previous.diagnostics.some(
      (d) =>
        d.code === "QLX1004" ||
        d.code === "QLX1013" ||
        (d.span.start < unrelatedFrom && !repairedBy(d, item)),
    )
  )
    return undefined;

  const start = item.span.start;
  const region = text.slice(start, item.span.end + delta);
  const lexed = lexSource(region, file.path);
  if (lexed.diagnostics.length > 0) return undefined;
  for (const t of lexed.tokens) {
    t.startOffset += start;
    t.endOffset = t.endOffset! + start;
  }
  const end = start + region.length;
  // An assignment is parsed as the one item of a block around it (`_ { … }`), as it is in
  // its own block: at the top of a file it would be a misplaced item.
  const wrapped =
    item.kind === "Assignment"
      ? [
          createTokenInstance(Ident, "_", start, start, NaN, NaN, NaN, NaN),
          createTokenInstance(LBrace, "{", start, start, NaN, NaN, NaN, NaN),
          ...lexed.tokens,
          createTokenInstance(RBrace, "}", end, end, NaN, NaN, NaN, NaN),
        ]
      : lexed.tokens;
  // Each container on the way (blocks, rows, `for` grids) opened one `{` before the item; the
  // wrapping block's `{` stands for the innermost one.
  const enclosing = steps.length - 1 - (item.kind === "Assignment" ? 1 : 0);
  const { tokens, tooDeep } = limitNesting(wrapped, enclosing);
  if (tooDeep !== undefined) return undefined;
  const lines = new LineIndex(text);
  const builder = new AstBuilder(file.path, lines);
  const parsed = parseTokens(tokens, (offset) => lines.position(offset).line);
  const reparsed = builder.build(parsed, text.length).items;
  const first = reparsed[0];
  const replacement =
    first?.kind !== "Block" || item.kind === "Block"
      ? first
      : first.items.length === 1
        ? first.items[0]
        : undefined;
  if (
    builder.diagnostics.length > 0 ||
    reparsed.length !== 1 ||
    replacement?.kind !== item.kind ||
    replacement.span.start !== start ||
    replacement.span.end !== end
  )
    return undefined;

  const shift: SpanShift = {
    delta,
    lines: replacement.span.endLine - item.span.endLine,
    line: item.span.endLine,
    columns: replacement.span.endColumn - item.span.endColumn,
  };
  let child: A.Item = replacement;
  for (let i = steps.length - 1; i >= 1; i--) {
    const { node, index } = steps[i] as { node: A.Block | A.RowBlock | A.For; index: number };
    child = {
      ...node,
      items: splice(node.items, index, child, shift),
      span: endShifted(node.span, shift),
    };
  }
  const top = steps[0]!;
  const comments = file.comments.filter((c) => c.span.end <= start);
  for (const c of lexed.comments)
    comments.push({
      text: c.text,
      span: lines.span(file.path, c.span.start + start, c.span.end + start),
    });
  for (const c of file.comments)
    if (c.span.start >= item.span.end)
      comments.push({ text: c.text, span: shiftSpan(c.span, shift) });
  const ast: A.File = {
    ...file,
    items: splice(file.items, top.index, child as A.Block, shift),
    comments,
    span: endShifted(file.span, shift),
  };
  const after = previous.diagnostics.filter((d) => d.span.start >= unrelatedFrom);
  return { ast, diagnostics: after.map((d) => shiftDiagnostic(d, shift)) };
}

/**
 * Whether re-parsing `item` cleanly repairs the previous syntax error `d`: an error on a line
 * strictly inside a block, where the block's own tokens caused it (one on its first line may
 * come from the item before; one on its last line may be reported at its `}` for the token
 * after it; a lexical error hides the syntax errors of its line, which may lie outside).
 * That keeps typing through a broken value of a stage from re-parsing the whole file on the
 * keystroke that repairs it.
 */
function repairedBy(d: Diagnostic, item: A.Block | A.Assignment): boolean {
  return (
    item.kind === "Block" &&
    d.span.start >= item.span.start &&
    d.span.end <= item.span.end &&
    d.span.line > item.span.line &&
    d.span.endLine < item.span.endLine
  );
}

/**
 * The innermost `Block` whose span strictly contains the edit, or the assignment in it that
 * contains it (its end included, where typing at the end of a value goes: a value cannot run
 * on into the next item, which starts with a word, a string, `for` or ends the block), with
 * the containers on the way.
 */
function enclosingItem(
  file: A.File,
  change: TextChange,
): { steps: Step[]; item: A.Block | A.Assignment } | undefined {
  const inside = (item: A.Item | A.Use) =>
    item.span.start < change.start &&
    (change.end < item.span.end || (item.kind === "Assignment" && change.end === item.span.end));
  const walk: Step[] = [];
  let found: { steps: Step[]; item: A.Block | A.Assignment } | undefined;
  let container: Step["node"] = file;
  for (;;) {
    const items: readonly (A.Item | A.Use)[] = container.items;
    const index = items.findIndex(inside);
    const item = items[index];
    if (item === undefined || item.kind === "Use") return found;
    walk.push({ node: container, index });
    if (item.kind === "Assignment") return { steps: walk, item };
    if (item.kind === "Block") found = { steps: [...walk], item };
    container = item;
  }
}

/**
 * How positions after the re-parsed item move: offsets by `delta`, lines by `lines`, and
 * columns by `columns` on the (old) line where the item ends.
 */
export interface SpanShift {
  readonly delta: number;
  readonly lines: number;
  readonly line: number;
  readonly columns: number;
}

/** Where a position after the re-parsed item is now. */
export function shiftSpan(s: A.Span, k: SpanShift): A.Span {
  return {
    file: s.file,
    start: s.start + k.delta,
    end: s.end + k.delta,
    line: s.line + k.lines,
    column: s.line === k.line ? s.column + k.columns : s.column,
    endLine: s.endLine + k.lines,
    endColumn: s.endLine === k.line ? s.endColumn + k.columns : s.endColumn,
  };
}

/** A container's span: it starts before the edit and ends after it. */
function endShifted(s: A.Span, k: SpanShift): A.Span {
  return {
    ...s,
    end: s.end + k.delta,
    endLine: s.endLine + k.lines,
    endColumn: s.endLine === k.line ? s.endColumn + k.columns : s.endColumn,
  };
}

function splice<T extends A.Item | A.Use>(
  items: readonly T[],
  index: number,
  replacement: T,
  k: SpanShift,
): T[] {
  const out = items.slice(0, index);
  out.push(replacement);
  // An edit that keeps its line's length (a digit for a digit) moves nothing: the nodes after
  // it are shared with the previous tree, not copied.
  const moves = k.delta !== 0 || k.lines !== 0 || k.columns !== 0;
  for (let i = index + 1; i < items.length; i++)
    out.push(moves ? (shiftNode(items[i]!, k) as T) : items[i]!);
  return out;
}

function shiftDiagnostic(d: Diagnostic, k: SpanShift): Diagnostic {
  return {
    ...d,
    span: shiftSpan(d.span, k),
    related: d.related.map((r) => ({ ...r, span: shiftSpan(r.span, k) })),
  };
}

/**
 * Each block a re-parse moved, with the block of the previous tree it is a copy of and how it
 * moved: the checker reuses (and moves) that block's check instead of checking it again
 * (compiler/block-cache.ts). The previous block is held weakly: the previous tree is garbage
 * once nothing else uses it (a check right after the re-parse, in the same job, still finds
 * it), and a chain of edits does not keep every earlier tree alive.
 */
const origins = new WeakMap<
  A.Block,
  { readonly node: WeakRef<A.Block>; readonly shift: SpanShift }
>();

export function movedFrom(
  block: A.Block,
): { readonly node: A.Block; readonly shift: SpanShift } | undefined {
  const origin = origins.get(block);
  const node = origin?.node.deref();
  return origin === undefined || node === undefined ? undefined : { node, shift: origin.shift };
}

// ── moving the nodes after the edit ──────────────────────────────────────────────────────
// One function per node kind rather than a generic walk over object keys: every node after
// the edit is copied, and on a long recipe that is most of the tree.

function shiftIdent(n: A.Ident, k: SpanShift): A.Ident {
  return { kind: "Ident", name: n.name, span: shiftSpan(n.span, k) };
}

function shiftString(n: A.StringLit, k: SpanShift): A.StringLit {
  return { ...n, span: shiftSpan(n.span, k) };
}

function shiftPath(n: A.Path, k: SpanShift): A.Path {
  return { kind: "Path", parts: n.parts.map((p) => shiftIdent(p, k)), span: shiftSpan(n.span, k) };
}

function shiftArg(n: A.Arg, k: SpanShift): A.Arg {
  const value = shiftExpr(n.value, k);
  const span = shiftSpan(n.span, k);
  return n.name === undefined
    ? { kind: "Arg", value, span }
    : { kind: "Arg", name: shiftIdent(n.name, k), value, span };
}

function shiftExpr(e: A.Expr, k: SpanShift): A.Expr {
  switch (e.kind) {
    case "Path":
      return shiftPath(e, k);
    case "Call":
      return {
        kind: "Call",
        callee: shiftPath(e.callee, k),
        args: e.args.map((a) => shiftArg(a, k)),
        span: shiftSpan(e.span, k),
      };
    case "List":
      return {
        kind: "List",
        items: e.items.map((x) => shiftExpr(x, k)),
        span: shiftSpan(e.span, k),
      };
    case "Binary":
      return {
        kind: "Binary",
        op: e.op,
        left: shiftExpr(e.left, k),
        right: shiftExpr(e.right, k),
        span: shiftSpan(e.span, k),
      };
    case "Unary":
      return {
        kind: "Unary",
        op: e.op,
        operand: shiftExpr(e.operand, k),
        span: shiftSpan(e.span, k),
      };
    case "Paren":
      return { kind: "Paren", inner: shiftExpr(e.inner, k), span: shiftSpan(e.span, k) };
    case "Number":
    case "TokenCount":
    case "String":
    case "Bool":
    case "ErrorExpr":
      return { ...e, span: shiftSpan(e.span, k) };
  }
}

function shiftNode(n: A.Item | A.Use, k: SpanShift): A.Item | A.Use {
  switch (n.kind) {
    case "Use":
      return { kind: "Use", path: shiftString(n.path, k), span: shiftSpan(n.span, k) };
    case "Assignment": {
      const moved = {
        target: shiftPath(n.target, k),
        op: n.op,
        value: shiftExpr(n.value, k),
        span: shiftSpan(n.span, k),
      };
      return n.keyword === undefined
        ? { kind: "Assignment", ...moved }
        : { kind: "Assignment", keyword: shiftIdent(n.keyword, k), ...moved };
    }
    case "For":
      return {
        kind: "For",
        variable: shiftIdent(n.variable, k),
        iterable: shiftExpr(n.iterable, k),
        items: n.items.map((i) => shiftNode(i, k) as A.Item),
        span: shiftSpan(n.span, k),
      };
    case "Row":
      return {
        kind: "Row",
        name: shiftString(n.name, k),
        items: n.items.map((i) => shiftNode(i, k) as A.Item),
        headSpan: shiftSpan(n.headSpan, k),
        span: shiftSpan(n.span, k),
      };
    case "Block": {
      const moved = shiftBlock(n, k);
      origins.set(moved, { node: new WeakRef(n), shift: k });
      return moved;
    }
  }
}

function shiftBlock(n: A.Block, k: SpanShift): A.Block {
  const name =
    n.name === undefined
      ? {}
      : { name: n.name.kind === "Ident" ? shiftIdent(n.name, k) : shiftString(n.name, k) };
  return {
    kind: "Block",
    keyword: shiftIdent(n.keyword, k),
    ...name,
    ...(n.from === undefined ? {} : { from: shiftIdent(n.from, k) }),
    ...(n.of === undefined ? {} : { of: shiftIdent(n.of, k) }),
    items: n.items.map((i) => shiftNode(i, k) as A.Item),
    headSpan: shiftSpan(n.headSpan, k),
    span: shiftSpan(n.span, k),
  };
}
