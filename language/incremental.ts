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
// A block the edit leaves with syntax errors may still be spliced, with its errors, where its
// re-parse in the same context as the full parse's ends at its own `}` and keeps every error on
// its inner lines (`reparseBrokenBlock`): most keystrokes of a field being typed are broken.
//
// Everything else falls back to a full `parse`, which is always correct.
import { createTokenInstance, type IToken } from "chevrotain";
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
 * Equal (deep-equal AST and diagnostics) to `parse(text, previous.ast.path)`. It consumes
 * `previous`: the new tree shares its nodes, and those after the edit are moved in place, so
 * `previous` no longer describes its text (keep only the result).
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
 * cannot be localised (see the file comment): callers then parse the whole text. A splice
 * consumes `previous` as `reparse` does; undefined leaves it as it was.
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
  const local = spliceItem(previous, text, delta, steps, item);
  if (local !== undefined || item.kind === "Block") return local;
  // An assignment that no longer parses alone (a value half typed at its end): the block
  // around it may, with its errors (`reparseBrokenBlock`).
  const block = steps[steps.length - 1]!.node;
  return block.kind === "Block"
    ? spliceItem(previous, text, delta, steps.slice(0, -1), block)
    : undefined;
}

/** The splice of `item`, reached through `steps`, re-parsed from `text`; see `reparseLocally`. */
function spliceItem(
  previous: ParseResult,
  text: string,
  delta: number,
  steps: readonly Step[],
  item: A.Block | A.Assignment,
): ParseResult | undefined {
  const file = previous.ast;
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
  const clean =
    first?.kind !== "Block" || item.kind === "Block"
      ? first
      : first.items.length === 1
        ? first.items[0]
        : undefined;
  let replacement: A.Block | A.Assignment | undefined =
    (clean?.kind === "Block" || clean?.kind === "Assignment") &&
    clean.kind === item.kind &&
    clean.span.start === start &&
    clean.span.end === end &&
    reparsed.length === 1 &&
    builder.diagnostics.length === 0
      ? clean
      : undefined;
  let errors: Diagnostic[] = [];
  if (replacement === undefined && item.kind === "Block") {
    const broken = reparseBrokenBlock(text, lines, steps, lexed.tokens, start, end);
    replacement = broken?.block;
    errors = broken?.diagnostics ?? [];
  }
  if (replacement === undefined) return undefined;

  // Past this point the splice cannot fail: moving positions in place (below) consumes
  // `previous`, which a fallback would still have needed.
  const mover = new SpanMover({
    delta,
    lines: replacement.span.endLine - item.span.endLine,
    line: item.span.endLine,
    columns: replacement.span.endColumn - item.span.endColumn,
  });
  let child: A.Item = replacement;
  for (let i = steps.length - 1; i >= 1; i--) {
    const { node, index } = steps[i] as { node: A.Block | A.RowBlock | A.For; index: number };
    child = {
      ...node,
      items: splice(node.items, index, child, mover),
      span: endShifted(node.span, mover.shift),
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
    if (c.span.start >= item.span.end) {
      mover.move(c.span);
      comments.push(c);
    }
  const ast: A.File = {
    ...file,
    items: splice(file.items, top.index, child as A.Block, mover),
    comments,
    span: endShifted(file.span, mover.shift),
  };
  const after = previous.diagnostics.filter((d) => d.span.start >= unrelatedFrom);
  for (const d of after) {
    mover.move(d.span);
    for (const r of d.related) mover.move(r.span);
  }
  return { ast, diagnostics: errors.length === 0 ? after : [...errors, ...after] };
}

/** How far past a block to look for the two tokens after it (a long comment gives up). */
const TAIL_CHARS = 512;

/**
 * The re-parse of an edited block whose text has syntax errors (typing a new field, `m`,
 * `model =`, `model = poli(`, is broken at most keystrokes), with its errors, or undefined
 * where it might differ from what the full parse builds there.
 *
 * The parser's recovery reads more than the block: re-synchronising takes the follow sets of
 * every rule on its stack, and deleting a surplus token looks one token past it, which at the
 * block's `}` is the token after the block (`s1.` then `}` then `stage s3 …` deletes the `}`
 * and reads `stage` as the path's next part). So the block is parsed inside one `_ {` per
 * enclosing block, which puts the same rules on the stack (containers must all be blocks: rows
 * and grids have rules of their own), followed by the two tokens after it. The result stands if
 * the block still ends at its own `}` (so recovery did not run past it) and every error lies on
 * a line strictly inside the block, like the previous errors `repairedBy` accepts: one on its
 * first or last line may belong to a neighbour, and an error on the last line would be hidden
 * by a lexical error after the `}` on that line. Errors reported from the tail are the full
 * parse's business after the block: the previous parse's, moved, stand for them.
 */
function reparseBrokenBlock(
  text: string,
  lines: LineIndex,
  steps: readonly Step[],
  region: readonly IToken[],
  start: number,
  end: number,
): { block: A.Block; diagnostics: Diagnostic[] } | undefined {
  if (steps.some((s, i) => i > 0 && s.node.kind !== "Block")) return undefined;
  const path = steps[0]!.node.span.file;
  const tailText = text.slice(end, end + TAIL_CHARS);
  const tail = lexSource(tailText, path);
  const next = tail.tokens.slice(0, 2);
  const lexedUpTo = next.length === 2 ? next[1]!.endOffset! + 1 : tailText.length;
  // Short of the end of the text, the chunk must hold both tokens whole (a cut `20K` is `20`).
  if (
    (lexedUpTo >= tailText.length && end + TAIL_CHARS < text.length) ||
    tail.diagnostics.some((d) => d.span.start < lexedUpTo)
  )
    return undefined;
  for (const t of next) {
    t.startOffset += end;
    t.endOffset = t.endOffset! + end;
  }
  const containers = steps.length - 1;
  const open = (): IToken[] => [
    createTokenInstance(Ident, "_", start, start, NaN, NaN, NaN, NaN),
    createTokenInstance(LBrace, "{", start, start, NaN, NaN, NaN, NaN),
  ];
  const close = () =>
    createTokenInstance(RBrace, "}", text.length, text.length, NaN, NaN, NaN, NaN);
  const wrapped = [
    ...Array.from({ length: containers }, open).flat(),
    ...region,
    ...next,
    ...Array.from({ length: containers }, close),
  ];
  const { tokens, tooDeep } = limitNesting(wrapped);
  if (tooDeep !== undefined) return undefined;
  const builder = new AstBuilder(path, lines);
  const parsed = parseTokens(tokens, (offset) => lines.position(offset).line);
  let node: A.Item | A.Use | undefined = builder.build(parsed, text.length).items[0];
  for (let i = 0; i < containers; i++) node = node?.kind === "Block" ? node.items[0] : undefined;
  if (node?.kind !== "Block" || node.span.start !== start || node.span.end !== end)
    return undefined;
  const block = node;
  const diagnostics = builder.diagnostics.filter((d) => d.span.start < end);
  const contained = diagnostics.every(
    (d) =>
      d.code !== "QLX1004" &&
      d.code !== "QLX1011" &&
      d.code !== "QLX1013" &&
      d.related.length === 0 &&
      d.span.start >= start &&
      d.span.end <= end &&
      d.span.line > block.span.line &&
      d.span.endLine < block.span.endLine,
  );
  if (!contained) return undefined;
  return {
    block,
    diagnostics: diagnostics.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end),
  };
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
interface SpanShift {
  readonly delta: number;
  readonly lines: number;
  readonly line: number;
  readonly columns: number;
}

type MutableSpan = { -readonly [K in keyof A.Span]: A.Span[K] };

/**
 * Moves positions after the re-parsed item IN PLACE, each span object once. Copying the nodes
 * after a length-changing edit (most of a long recipe) cost more than the rest of the edit
 * together, and a moved copy is a new node, whose block check had to be moved too
 * (bench/RESULTS.md, lsp). In place, every node keeps its identity: the checks kept by node
 * (compiler/block-cache.ts) stay valid, and so do comparisons of spans by identity (`checkLoss`
 * tells written from defaulted arguments that way). A span object may be shared (a string-named
 * block's head is its name's span; a syntax error may carry a node's span), hence `done`.
 */
class SpanMover {
  private readonly done = new Set<A.Span>();
  /** Whether anything moves: an edit that keeps its line's length (a digit for a digit) does not. */
  readonly moves: boolean;

  constructor(readonly shift: SpanShift) {
    this.moves = shift.delta !== 0 || shift.lines !== 0 || shift.columns !== 0;
  }

  move(span: A.Span): void {
    if (!this.moves || this.done.has(span)) return;
    this.done.add(span);
    const s = span as MutableSpan;
    const k = this.shift;
    s.start += k.delta;
    s.end += k.delta;
    // Columns move on the line where the item ended only; a one-line edit that adds or
    // removes no newline moves no line, so later lines keep their line and column.
    if (s.line === k.line) s.column += k.columns;
    if (s.endLine === k.line) s.endColumn += k.columns;
    s.line += k.lines;
    s.endLine += k.lines;
  }

  /** Moves a node, its descendants and the spans carried by its blocks. */
  node(n: A.Item | A.Use): void {
    if (!this.moves) return;
    forEachSpan(n, (s) => this.move(s));
  }
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
  mover: SpanMover,
): T[] {
  const out = items.slice(0, index);
  out.push(replacement);
  for (let i = index + 1; i < items.length; i++) {
    mover.node(items[i]!);
    out.push(items[i]!);
  }
  return out;
}

/**
 * Spans that belong to a block without being spans of its nodes (a position the checker
 * derived inside the block and kept in the block's check): they move with the block.
 */
const carried = new WeakMap<A.Block, readonly A.Span[]>();

/** Makes `spans`, positions inside `block`, move along with it when an edit moves the block. */
export function carrySpans(block: A.Block, spans: readonly A.Span[]): void {
  if (spans.length === 0) carried.delete(block);
  else carried.set(block, spans);
}

// ── visiting every span of a node ────────────────────────────────────────────────────────
// One function per node kind rather than a generic walk over object keys: an edit visits
// every node after it, which on a long recipe is most of the tree.

/**
 * Calls `visit` on every span of the node and its descendants, and on the spans its blocks
 * carry (`carrySpans`). A span shared by several nodes is visited once per node.
 */
function forEachSpan(n: A.Item | A.Use, visit: (s: A.Span) => void): void {
  switch (n.kind) {
    case "Use":
      visit(n.path.span);
      break;
    case "Assignment":
      if (n.keyword !== undefined) visit(n.keyword.span);
      pathSpans(n.target, visit);
      exprSpans(n.value, visit);
      break;
    case "For":
      visit(n.variable.span);
      exprSpans(n.iterable, visit);
      for (const i of n.items) forEachSpan(i, visit);
      break;
    case "Row":
      visit(n.name.span);
      visit(n.headSpan);
      for (const i of n.items) forEachSpan(i, visit);
      break;
    case "Block": {
      visit(n.keyword.span);
      if (n.name !== undefined) visit(n.name.span);
      if (n.from !== undefined) visit(n.from.span);
      if (n.of !== undefined) visit(n.of.span);
      visit(n.headSpan);
      for (const i of n.items) forEachSpan(i, visit);
      const extra = carried.get(n);
      if (extra !== undefined) for (const s of extra) visit(s);
      break;
    }
  }
  visit(n.span);
}

function pathSpans(p: A.Path, visit: (s: A.Span) => void): void {
  for (const part of p.parts) visit(part.span);
  visit(p.span);
}

function exprSpans(e: A.Expr, visit: (s: A.Span) => void): void {
  switch (e.kind) {
    case "Path":
      pathSpans(e, visit);
      return;
    case "Call":
      pathSpans(e.callee, visit);
      for (const a of e.args) {
        if (a.name !== undefined) visit(a.name.span);
        exprSpans(a.value, visit);
        visit(a.span);
      }
      break;
    case "List":
      for (const x of e.items) exprSpans(x, visit);
      break;
    case "Binary":
      exprSpans(e.left, visit);
      exprSpans(e.right, visit);
      break;
    case "Unary":
      exprSpans(e.operand, visit);
      break;
    case "Paren":
      exprSpans(e.inner, visit);
      break;
    case "Number":
    case "TokenCount":
    case "String":
    case "Bool":
    case "ErrorExpr":
      break;
  }
  visit(e.span);
}
