// Concrete syntax tree (chevrotain) → AST (`ast.ts`), plus the syntax diagnostics that need the
// tree: extra or missing commas, items at the wrong level, unclosed blocks, and the parser's
// own recognition errors worded as QLX codes. Recovered subtrees become partial nodes:
// a value the parser could not read is an `ErrorExpr`, a block missing its `}` keeps the items
// read so far, so the checker, hover and completion always get a whole `File`.
import type { CstElement, CstNode, IRecognitionException, IToken } from "chevrotain";
import { EOF, MismatchedTokenException, NoViableAltException } from "chevrotain";
import type * as A from "./ast.ts";
import { diag, type Diagnostic } from "./diagnostics.ts";
import { decodeString, tokenCountValue, tokenEnd, type LineIndex } from "./lexer.ts";
import { describeToken, type CstParseResult } from "./parser.ts";
import {
  Eq,
  False,
  LBracket,
  LParen,
  Minus,
  NumberTok,
  RBrace,
  StarEq,
  StringTok,
  TokenCount,
  True,
} from "./tokens.ts";

function isToken(e: CstElement): e is IToken {
  return (e as IToken).tokenType !== undefined;
}

function isReal(t: IToken | undefined): t is IToken {
  return t !== undefined && t.isInsertedInRecovery !== true && !Number.isNaN(t.startOffset);
}

interface Extent {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

/** Tokens that can start a value: a name followed by one of them is missing its `=`. */
const VALUE_STARTS = [NumberTok, TokenCount, StringTok, True, False, LBracket, LParen, Minus];

interface UnclosedBlock {
  readonly open: IToken;
  readonly head: string;
}

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  /** Bodies whose `}` is missing, innermost first (a body is recorded after its items). */
  private readonly unclosed: UnclosedBlock[] = [];

  constructor(
    private readonly file: string,
    private readonly lines: LineIndex,
  ) {}

  build(parsed: CstParseResult, textLength: number): A.File {
    const items: (A.Use | A.Block)[] = [];
    const elements = [
      ...parsed.files.flatMap((f) => this.ordered(f, ["useDecl", "item"])),
      ...parsed.stray,
    ].sort((a, b) => this.startOf(a) - this.startOf(b));
    let strayRun: IToken[] = [];
    const flushStray = () => {
      if (strayRun.length > 0) this.reportStray(strayRun);
      strayRun = [];
    };
    for (const e of elements) {
      if (isToken(e)) {
        strayRun.push(e);
        continue;
      }
      flushStray();
      if (e.name === "useDecl") {
        const use = this.use(e);
        if (use !== undefined) items.push(use);
        continue;
      }
      const item = this.item(e);
      if (item === undefined) continue;
      if (item.kind === "Block") items.push(item);
      else this.diagnostics.push(diag("QLX1010", item.span, { what: topLevelName(item) }));
    }
    flushStray();
    this.reportErrors(parsed.errors);
    return {
      kind: "File",
      path: this.file,
      items,
      comments: [],
      span: this.span(0, textLength),
    };
  }

  // ── spans ────────────────────────────────────────────────────────────────────────────────

  private span(start: number, end: number): A.Span {
    return this.lines.span(this.file, start, end);
  }

  private tokenSpan(t: IToken): A.Span {
    return this.span(t.startOffset, tokenEnd(t));
  }

  /**
   * Offsets of the node's real tokens, from chevrotain's location tracking (tokens inserted in
   * recovery have no offsets and do not count); null when recovery left it without tokens.
   */
  private extent(node: CstNode): Extent | null {
    const loc = node.location;
    if (loc === undefined || Number.isNaN(loc.startOffset) || Number.isNaN(loc.endOffset)) {
      return null;
    }
    // chevrotain's endOffset is the offset of the last character, inclusive.
    return { start: loc.startOffset, end: loc.endOffset! + 1 };
  }

  /** The node's span, or an empty span at `after` when recovery left it without tokens. */
  private nodeSpan(node: CstNode | undefined, after: number): A.Span {
    const ext = node === undefined ? null : this.extent(node);
    return ext === null ? this.span(after, after) : this.span(ext.start, ext.end);
  }

  private startOf(e: CstElement): number {
    return isToken(e) ? e.startOffset : (this.extent(e)?.start ?? 0);
  }

  private endOf(node: CstNode | undefined, fallback: number): number {
    const ext = node === undefined ? null : this.extent(node);
    return ext === null ? fallback : ext.end;
  }

  /** Children of the given names, real tokens and nodes with tokens, in source order. */
  private ordered(node: CstNode, names: readonly string[]): CstElement[] {
    const out: { offset: number; e: CstElement }[] = [];
    for (const name of names) {
      for (const e of node.children[name] ?? []) {
        if (isToken(e)) {
          if (isReal(e)) out.push({ offset: e.startOffset, e });
        } else {
          const ext = this.extent(e);
          if (ext !== null) out.push({ offset: ext.start, e });
        }
      }
    }
    return out.sort((a, b) => a.offset - b.offset).map((x) => x.e);
  }

  private token(node: CstNode, name: string, index = 0): IToken | undefined {
    const t = node.children[name]?.[index];
    return t !== undefined && isToken(t) && isReal(t) ? t : undefined;
  }

  private child(node: CstNode, name: string, index = 0): CstNode | undefined {
    const c = node.children[name]?.[index];
    return c !== undefined && !isToken(c) ? c : undefined;
  }

  private ident(t: IToken): A.Ident {
    return { kind: "Ident", name: t.image, span: this.tokenSpan(t) };
  }

  // ── items ────────────────────────────────────────────────────────────────────────────────

  private use(node: CstNode): A.Use | undefined {
    const kw = this.token(node, "Use")!;
    const path = this.token(node, "String");
    if (path === undefined) return undefined;
    return {
      kind: "Use",
      path: this.stringLit(path),
      span: this.span(kw.startOffset, tokenEnd(path)),
    };
  }

  private item(node: CstNode): A.Item | undefined {
    const inner =
      this.child(node, "forItem") ?? this.child(node, "rowBlock") ?? this.child(node, "wordItem");
    if (inner === undefined) return undefined;
    if (inner.name === "forItem") return this.forItem(inner);
    if (inner.name === "rowBlock") return this.rowBlock(inner);
    return this.wordItem(inner);
  }

  private wordItem(node: CstNode): A.Item {
    const first = this.token(node, "first")!;
    const second = this.token(node, "second");
    const rest = second === undefined ? node : this.child(node, "wordItemRest");
    const blockTail = rest && this.child(rest, "blockTail");
    const assignTail = rest && this.child(rest, "assignTail");
    if (assignTail !== undefined) {
      const target = second ?? first;
      return this.assignment(first, second === undefined ? undefined : first, target, assignTail);
    }
    if (blockTail !== undefined || second !== undefined) {
      return this.block(first, second, blockTail);
    }
    // `seed 7`: the parser reported the missing `=`; keep the field so later passes know it
    // was written and accept its value silently.
    const span = this.tokenSpan(first);
    return {
      kind: "Assignment",
      target: { kind: "Path", parts: [this.ident(first)], span },
      op: "=",
      value: { kind: "ErrorExpr", span: this.span(span.end, span.end) },
      span,
    };
  }

  private assignment(
    start: IToken,
    keyword: IToken | undefined,
    targetStart: IToken,
    tail: CstNode,
  ): A.Assignment {
    const parts = [targetStart, ...((tail.children["part"] ?? []) as IToken[]).filter(isReal)];
    const lastPart = parts[parts.length - 1]!;
    const target: A.Path = {
      kind: "Path",
      parts: parts.map((p) => this.ident(p)),
      span: this.span(targetStart.startOffset, tokenEnd(lastPart)),
    };
    const opToken = this.token(tail, "AssignOp");
    const afterOp = opToken === undefined ? tokenEnd(lastPart) : tokenEnd(opToken);
    const value = this.expr(this.child(tail, "expr"), afterOp);
    return {
      kind: "Assignment",
      ...(keyword === undefined ? {} : { keyword: this.ident(keyword) }),
      target,
      op: opToken?.image === "*=" ? "*=" : "=",
      value,
      span: this.span(start.startOffset, Math.max(value.span.end, afterOp)),
    };
  }

  private block(keyword: IToken, name: IToken | undefined, tail: CstNode | undefined): A.Block {
    const relation = tail && this.token(tail, "relation");
    const base = tail && this.token(tail, "base");
    const headEnd = base ?? relation ?? name ?? keyword;
    const headSpan = this.span(keyword.startOffset, tokenEnd(headEnd));
    const head = this.lines.text.slice(keyword.startOffset, tokenEnd(name ?? keyword));
    const body = this.body(tail && this.child(tail, "body"), head);
    const rel =
      relation !== undefined && base !== undefined
        ? { [relation.image === "of" ? "of" : "from"]: this.ident(base) }
        : {};
    return {
      kind: "Block",
      keyword: this.ident(keyword),
      ...(name === undefined ? {} : { name: this.ident(name) }),
      ...rel,
      items: body.items,
      headSpan,
      span: this.span(keyword.startOffset, Math.max(body.end, headSpan.end)),
    };
  }

  private rowBlock(node: CstNode): A.RowBlock {
    const nameToken = this.token(node, "String")!;
    const name = this.stringLit(nameToken);
    const body = this.body(this.child(node, "body"), nameToken.image);
    return {
      kind: "Row",
      name,
      items: body.items,
      headSpan: name.span,
      span: this.span(nameToken.startOffset, Math.max(body.end, name.span.end)),
    };
  }

  private forItem(node: CstNode): A.For {
    const kw = this.token(node, "For")!;
    const variableToken = this.token(node, "Ident");
    const inToken = this.token(node, "In");
    const variable: A.Ident = variableToken
      ? this.ident(variableToken)
      : { kind: "Ident", name: "", span: this.span(tokenEnd(kw), tokenEnd(kw)) };
    const after = tokenEnd(inToken ?? variableToken ?? kw);
    const iterable = this.expr(this.child(node, "expr"), after);
    const body = this.body(this.child(node, "body"), `for ${variable.name}`);
    return {
      kind: "For",
      variable,
      iterable,
      items: body.items,
      span: this.span(kw.startOffset, Math.max(body.end, iterable.span.end)),
    };
  }

  private body(node: CstNode | undefined, head: string): { items: A.Item[]; end: number } {
    if (node === undefined) return { items: [], end: 0 };
    const items: A.Item[] = [];
    let previousWasItem = false;
    for (const e of this.ordered(node, ["item", "Comma"])) {
      if (!isToken(e)) {
        const item = this.item(e);
        if (item !== undefined) items.push(item);
        previousWasItem = true;
      } else {
        if (!previousWasItem) this.diagnostics.push(diag("QLX1008", this.tokenSpan(e), {}));
        previousWasItem = false;
      }
    }
    const open = this.token(node, "LBrace");
    const close = this.token(node, "RBrace");
    if (open !== undefined && close === undefined) this.unclosed.push({ open, head });
    return { items, end: this.endOf(node, 0) };
  }

  // ── expressions ──────────────────────────────────────────────────────────────────────────

  private errorExpr(node: CstNode | undefined, after: number): A.ErrorExpr {
    return { kind: "ErrorExpr", span: this.nodeSpan(node, after) };
  }

  private expr(node: CstNode | undefined, after: number): A.Expr {
    if (node === undefined) return this.errorExpr(undefined, after);
    switch (node.name) {
      case "expr":
      case "sum":
      case "product":
        return this.binaryChain(node, after);
      case "unary":
        return this.unary(node, after);
      case "primary":
        return this.primary(node, after);
      default:
        return this.errorExpr(node, after);
    }
  }

  /** Left-associative chain `operand { operator operand }` of one precedence level. */
  private binaryChain(node: CstNode, after: number): A.Expr {
    const operands = (node.children["operand"] ?? []) as CstNode[];
    const operators = ((node.children["operator"] ?? []) as IToken[]).filter(isReal);
    let left = this.expr(operands[0], after);
    operators.forEach((op, i) => {
      const right = this.expr(operands[i + 1], tokenEnd(op));
      left = {
        kind: "Binary",
        op: op.image as A.BinaryOp,
        left,
        right,
        span: this.span(left.span.start, Math.max(right.span.end, tokenEnd(op))),
      };
    });
    return left;
  }

  private unary(node: CstNode, after: number): A.Expr {
    const minus = this.token(node, "Minus");
    const operand = this.primary(this.child(node, "primary"), minus ? tokenEnd(minus) : after);
    if (minus === undefined) return operand;
    return {
      kind: "Unary",
      op: "-",
      operand,
      span: this.span(minus.startOffset, Math.max(operand.span.end, tokenEnd(minus))),
    };
  }

  private primary(node: CstNode | undefined, after: number): A.Expr {
    if (node === undefined) return this.errorExpr(undefined, after);
    const literal = this.token(node, "literal");
    if (literal !== undefined) return this.literal(literal);
    const pathOrCall = this.child(node, "pathOrCall");
    if (pathOrCall !== undefined) return this.pathOrCall(pathOrCall);
    const list = this.child(node, "list");
    if (list !== undefined) return this.list(list);
    const paren = this.child(node, "paren");
    if (paren !== undefined) {
      const open = this.token(paren, "LParen")!;
      const inner = this.expr(this.child(paren, "expr"), tokenEnd(open));
      return { kind: "Paren", inner, span: this.nodeSpan(paren, after) };
    }
    return this.errorExpr(node, after);
  }

  private literal(t: IToken): A.Expr {
    const span = this.tokenSpan(t);
    switch (t.tokenType) {
      case TokenCount:
        return { kind: "TokenCount", value: tokenCountValue(t.image), text: t.image, span };
      case NumberTok:
        return { kind: "Number", value: Number(t.image), text: t.image, span };
      case StringTok:
        return this.stringLit(t);
      case True:
      case False:
        return { kind: "Bool", value: t.tokenType === True, span };
      // A malformed number, an unterminated string or an unknown character: the lexer
      // reported it.
      default:
        return { kind: "ErrorExpr", span };
    }
  }

  private stringLit(t: IToken): A.StringLit {
    return { kind: "String", value: decodeString(t.image), text: t.image, span: this.tokenSpan(t) };
  }

  private pathOrCall(node: CstNode): A.Expr {
    const parts = ((node.children["part"] ?? []) as IToken[]).filter(isReal);
    const path: A.Path = {
      kind: "Path",
      parts: parts.map((p) => this.ident(p)),
      span: this.span(parts[0]!.startOffset, tokenEnd(parts[parts.length - 1]!)),
    };
    const open = this.token(node, "LParen");
    if (open === undefined) return path;
    const args = this.separated(node, "arg", (arg) => this.arg(arg));
    return { kind: "Call", callee: path, args, span: this.nodeSpan(node, path.span.end) };
  }

  private arg(node: CstNode): A.Arg {
    const name = this.token(node, "name");
    const eq = this.token(node, "Eq");
    const start = this.extent(node)!.start;
    const value = this.expr(this.child(node, "expr"), eq === undefined ? start : tokenEnd(eq));
    return {
      kind: "Arg",
      ...(name === undefined ? {} : { name: this.ident(name) }),
      value,
      span: this.nodeSpan(node, start),
    };
  }

  private list(node: CstNode): A.ListLit {
    const items = this.separated(node, "expr", (e) => this.expr(e, this.extent(e)!.start));
    return { kind: "List", items, span: this.nodeSpan(node, 0) };
  }

  /** Elements of a call or list; a comma with no element before it is extra (QLX1008). */
  private separated<T>(node: CstNode, name: string, build: (n: CstNode) => T): T[] {
    const out: T[] = [];
    let previousWasElement = false;
    for (const e of this.ordered(node, [name, "Comma"])) {
      if (isToken(e)) {
        if (!previousWasElement) this.diagnostics.push(diag("QLX1008", this.tokenSpan(e), {}));
        previousWasElement = false;
      } else {
        out.push(build(e));
        previousWasElement = true;
      }
    }
    return out;
  }

  // ── diagnostics from the parser ──────────────────────────────────────────────────────────

  private reportStray(run: readonly IToken[]): void {
    const first = run[0]!;
    if (first.tokenType === RBrace) {
      this.diagnostics.push(diag("QLX1011", this.tokenSpan(first), {}));
    } else {
      this.diagnostics.push(
        diag("QLX1003", this.tokenSpan(first), {
          expected: "'use' or a block",
          found: describeToken(first),
        }),
      );
    }
  }

  private reportErrors(errors: readonly IRecognitionException[]): void {
    const innermost = this.unclosed[0];
    if (innermost !== undefined) {
      const line = this.lines.position(innermost.open.startOffset).line;
      const end = this.lines.text.length;
      this.diagnostics.push(
        diag("QLX1004", this.tokenSpan(innermost.open), { head: innermost.head, line }, [
          { span: this.span(end, end), message: "the file ends here" },
        ]),
      );
    }
    const seen = new Set<number>();
    for (const e of errors) {
      const found = e.token;
      // The unclosed-block diagnostic above explains every error at the end of the file.
      if (found.tokenType === EOF && innermost !== undefined) continue;
      const previous = (e as { previousToken?: IToken }).previousToken;
      const d = this.recognitionDiagnostic(e, found, isReal(previous) ? previous : undefined);
      if (seen.has(d.span.start)) continue;
      seen.add(d.span.start);
      this.diagnostics.push(d);
    }
  }

  private recognitionDiagnostic(
    e: IRecognitionException,
    found: IToken,
    previous: IToken | undefined,
  ): Diagnostic {
    const ruleStack = e.context.ruleStack;
    const rule = ruleStack[ruleStack.length - 1];
    const missingAssign =
      (e instanceof NoViableAltException && (rule === "wordItem" || rule === "wordItemRest")) ||
      (e instanceof MismatchedTokenException && rule === "assignTail");
    if (
      missingAssign &&
      previous !== undefined &&
      VALUE_STARTS.some((t) => found.tokenType === t || found.tokenType.CATEGORIES?.includes(t))
    ) {
      return diag("QLX1009", this.tokenSpan(previous), { name: previous.image });
    }
    const emptyValue = this.emptyValueBefore(found);
    if (emptyValue !== undefined) {
      return diag("QLX1003", emptyValue, { expected: "a value after '='", found: "end of line" });
    }
    // An error on a later line than the last good token belongs to that token's line: the
    // user forgot something *after* it, and the next line may well be correct.
    const atFound = isReal(found) && found.tokenType !== EOF;
    const useFound =
      atFound &&
      (previous === undefined ||
        this.lines.position(found.startOffset).line ===
          this.lines.position(tokenEnd(previous)).line);
    const span = useFound
      ? this.tokenSpan(found)
      : previous !== undefined
        ? this.tokenSpan(previous)
        : this.span(this.lines.text.length, this.lines.text.length);
    return diag("QLX1003", span, { expected: e.message, found: describeToken(found) });
  }

  /**
   * `seed =` with its value not yet typed reads the next line's field name as the value
   * (`seed = batch`) and fails at that line's `=`. Recognise the shape (an `=` found right
   * after a word that starts its line, with a line ending in `=` above) and point at that
   * `=` instead.
   */
  private emptyValueBefore(found: IToken): A.Span | undefined {
    if (found.tokenType !== Eq && found.tokenType !== StarEq) return undefined;
    // Chevrotain's previous token is unreliable here (recovery may have skipped past the
    // error), so read the text: a word alone at the start of its line, `=` ending a line above.
    const text = this.lines.text;
    let i = found.startOffset - 1;
    while (i >= 0 && (text[i] === " " || text[i] === "\t")) i--;
    const wordEnd = i;
    while (i >= 0 && /[A-Za-z0-9_]/.test(text[i]!)) i--;
    if (i === wordEnd) return undefined;
    while (i >= 0 && (text[i] === " " || text[i] === "\t")) i--;
    if (i >= 0 && text[i] !== "\n" && text[i] !== "\r") return undefined;
    while (i >= 0 && /\s/.test(text[i]!)) i--;
    if (i < 1 || text[i] !== "=" || "=<>!*".includes(text[i - 1]!)) return undefined;
    return this.span(i, i + 1);
  }
}

function topLevelName(item: A.Item): string {
  switch (item.kind) {
    case "Assignment":
      return "an assignment";
    case "Row":
      return "a row";
    case "For":
      return "a 'for' grid";
    case "Block":
      return "a block";
  }
}
