// The qlx grammar (see the EBNF in `ast.ts`) as a chevrotain CST parser with error recovery.
// The grammar is left-factored so that every decision needs at most two tokens: an item that
// starts with a word is a block (`model policy {`, `stage s4 from s3 {`) or an assignment
// (`seed = 7`, `merge fused = …`, `s1.input = 32`) depending on what follows the first one
// or two words. `cst-to-ast.ts` turns the concrete tree into the AST.
//
// Recovery: chevrotain re-synchronises at the follow set of the failing rule, so a bad item
// costs one error and the parser resumes at the next item or closing brace. A token that cannot
// start a top-level item (a surplus `}`) ends the file rule early; `parseTokens` then records
// it as stray and parses on from the next token, so the parse always reaches the end. (Letting
// the file rule consume stray tokens itself would put nearly every token in the top-level
// follow set, and chevrotain would re-synchronise there, abandoning the enclosing block.)
import {
  CstParser,
  EOF,
  MismatchedTokenException,
  NotAllInputParsedException,
  type CstNode,
  type IOrAlt,
  type IParserErrorMessageProvider,
  type IRecognitionException,
  type IToken,
  type TokenType,
  tokenMatcher,
} from "chevrotain";
import {
  AddOp,
  AssignOp,
  Comma,
  CompareOp,
  Dot,
  Eq,
  False,
  For,
  From,
  Ident,
  In,
  LBrace,
  LBracket,
  LParen,
  Minus,
  MulOp,
  NumberTok,
  Of,
  parserVocabulary,
  RBrace,
  RBracket,
  RParen,
  StringTok,
  TokenCount,
  True,
  Unknown,
  Use,
} from "./tokens.ts";

const END_OF_FILE = "end of file";
const ITEM_STARTS: readonly TokenType[] = [Ident, StringTok, For, Use];

function label(t: TokenType): string {
  return t === EOF ? END_OF_FILE : (t.LABEL ?? t.name);
}

/** Describes a token as found, e.g. `'}'`, `identifier 'seed'`, `end of file`. */
export function describeToken(t: IToken): string {
  if (t.tokenType === EOF) return END_OF_FILE;
  const l = label(t.tokenType);
  return l.startsWith("'") ? l : `${l} '${t.image}'`;
}

function listOf(labels: readonly string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length <= 1) return unique[0] ?? "nothing";
  return `${unique.slice(0, -1).join(", ")} or ${unique[unique.length - 1]}`;
}

// Rules whose alternatives are better summarised by a phrase than by their first tokens.
const RULE_EXPECTATIONS: Readonly<Record<string, string>> = {
  primary: "an expression",
  wordItem: "'=' or '{'",
  wordItemRest: "'=' or '{'",
};

/**
 * The parser's error messages are the *expected* half of QLX1003 ("expected X, found Y");
 * `cst-to-ast.ts` adds the found token from the exception.
 */
const expectationProvider: IParserErrorMessageProvider = {
  // Inside a call or list the closing bracket is expected only because no comma came.
  buildMismatchTokenMessage: ({ expected, ruleName }) =>
    ruleName === "pathOrCall" || ruleName === "list"
      ? `',' or ${label(expected)}`
      : label(expected),
  buildNotAllInputParsedMessage: () => END_OF_FILE,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, ruleName }) =>
    RULE_EXPECTATIONS[ruleName] ??
    listOf(expectedPathsPerAlt.flatMap((alt) => alt.map((path) => label(path[0]!)))),
  buildEarlyExitMessage: ({ expectedIterationPaths, ruleName }) =>
    RULE_EXPECTATIONS[ruleName] ?? listOf(expectedIterationPaths.map((path) => label(path[0]!))),
};

/** Chevrotain internals the re-sync override below builds on (see `findReSyncTokenType`). */
interface RecoveryInternals {
  flattenFollowSet(): TokenType[];
  SKIP_TOKEN(): IToken;
}

/**
 * An alternative of `OR`. Written as a call rather than `{ ALT: () => … }` because tsx's
 * keep-names transform wraps every arrow function assigned to a property in a `__name(…)`
 * call, which on a per-parse closure cost a third of the parse time.
 */
function alt(ALT: () => unknown): IOrAlt<unknown> {
  return { ALT };
}

class QlxCstParser extends CstParser {
  /** Line of an offset; set for each parse so that recovery can prefer the next line. */
  lineOf: (offset: number) => number = () => 0;
  private resyncToken: IToken | undefined;

  constructor() {
    super(parserVocabulary as TokenType[], {
      recoveryEnabled: true,
      maxLookahead: 2,
      nodeLocationTracking: "onlyOffset",
      errorMessageProvider: expectationProvider,
    });
    this.performSelfAnalysis();
  }

  file = this.RULE("file", () => {
    this.MANY(() =>
      this.OR([alt(() => this.SUBRULE(this.useDecl)), alt(() => this.SUBRULE(this.item))]),
    );
  });

  useDecl = this.RULE("useDecl", () => {
    this.CONSUME(Use);
    this.CONSUME(StringTok);
  });

  item = this.RULE("item", () => {
    this.OR([
      alt(() => this.SUBRULE(this.forItem)),
      alt(() => this.SUBRULE(this.rowBlock)),
      alt(() => this.SUBRULE(this.wordItem)),
    ]);
  });

  /** `w {`, `w of x {`, `w = e`, `w.p = e`, or a second word followed by the same. */
  wordItem = this.RULE("wordItem", () => {
    this.CONSUME(Ident, { LABEL: "first" });
    this.OR([
      alt(() => this.SUBRULE(this.blockTail)),
      alt(() => this.SUBRULE(this.assignTail)),
      alt(() => {
        this.CONSUME2(Ident, { LABEL: "second" });
        this.SUBRULE(this.wordItemRest);
      }),
    ]);
  });

  wordItemRest = this.RULE("wordItemRest", () => {
    this.OR([alt(() => this.SUBRULE(this.blockTail)), alt(() => this.SUBRULE(this.assignTail))]);
  });

  /** `[of|from Ident] body` */
  blockTail = this.RULE("blockTail", () => {
    this.OPTION(() => {
      this.OR([
        alt(() => this.CONSUME(Of, { LABEL: "relation" })),
        alt(() => this.CONSUME(From, { LABEL: "relation" })),
      ]);
      this.CONSUME(Ident, { LABEL: "base" });
    });
    this.SUBRULE(this.body);
  });

  /** `{ . Ident } (= | *=) Expr`: the rest of an assignment after its first path segment. */
  assignTail = this.RULE("assignTail", () => {
    this.MANY(() => {
      this.CONSUME(Dot);
      this.CONSUME(Ident, { LABEL: "part" });
    });
    this.CONSUME(AssignOp);
    this.SUBRULE(this.expr);
  });

  rowBlock = this.RULE("rowBlock", () => {
    this.CONSUME(StringTok);
    this.SUBRULE(this.body);
  });

  forItem = this.RULE("forItem", () => {
    this.CONSUME(For);
    this.CONSUME(Ident);
    this.CONSUME(In);
    this.SUBRULE(this.expr);
    this.SUBRULE(this.body);
  });

  /** Commas are items of their own here so that a doubled comma gets its own message. */
  body = this.RULE("body", () => {
    this.CONSUME(LBrace);
    this.MANY(() => this.OR([alt(() => this.SUBRULE(this.item)), alt(() => this.CONSUME(Comma))]));
    this.CONSUME(RBrace);
  });

  expr = this.RULE("expr", () => {
    this.SUBRULE(this.sum, { LABEL: "operand" });
    this.OPTION(() => {
      this.CONSUME(CompareOp, { LABEL: "operator" });
      this.SUBRULE2(this.sum, { LABEL: "operand" });
    });
  });

  sum = this.RULE("sum", () => {
    this.SUBRULE(this.product, { LABEL: "operand" });
    this.MANY(() => {
      this.CONSUME(AddOp, { LABEL: "operator" });
      this.SUBRULE2(this.product, { LABEL: "operand" });
    });
  });

  product = this.RULE("product", () => {
    this.SUBRULE(this.unary, { LABEL: "operand" });
    this.MANY(() => {
      this.CONSUME(MulOp, { LABEL: "operator" });
      this.SUBRULE2(this.unary, { LABEL: "operand" });
    });
  });

  unary = this.RULE("unary", () => {
    this.OPTION(() => this.CONSUME(Minus));
    this.SUBRULE(this.primary);
  });

  primary = this.RULE("primary", () => {
    this.OR([
      alt(() => this.CONSUME(TokenCount, { LABEL: "literal" })),
      alt(() => this.CONSUME(NumberTok, { LABEL: "literal" })),
      alt(() => this.CONSUME(StringTok, { LABEL: "literal" })),
      alt(() => this.CONSUME(True, { LABEL: "literal" })),
      alt(() => this.CONSUME(False, { LABEL: "literal" })),
      alt(() => this.SUBRULE(this.pathOrCall)),
      alt(() => this.SUBRULE(this.list)),
      alt(() => this.SUBRULE(this.paren)),
      // A character the lexer rejected (and reported) stands where a value was meant.
      alt(() => this.CONSUME(Unknown, { LABEL: "literal" })),
    ]);
  });

  pathOrCall = this.RULE("pathOrCall", () => {
    this.CONSUME(Ident, { LABEL: "part" });
    this.MANY(() => {
      this.CONSUME(Dot);
      this.CONSUME2(Ident, { LABEL: "part" });
    });
    this.OPTION(() => {
      this.CONSUME(LParen);
      // Every element is optional so that `f(a,, b)` and `f(, a)` parse and are reported as an
      // extra comma (QLX1008) rather than as an unexpected token.
      this.OPTION2(() => this.SUBRULE(this.arg));
      this.MANY2(() => {
        this.CONSUME(Comma);
        this.OPTION3(() => this.SUBRULE2(this.arg));
      });
      this.CONSUME(RParen);
    });
  });

  arg = this.RULE("arg", () => {
    this.OPTION(() => {
      this.CONSUME(Ident, { LABEL: "name" });
      this.CONSUME(Eq);
    });
    this.SUBRULE(this.expr);
  });

  list = this.RULE("list", () => {
    this.CONSUME(LBracket);
    this.OPTION(() => this.SUBRULE(this.expr));
    this.MANY(() => {
      this.CONSUME(Comma);
      this.OPTION2(() => this.SUBRULE2(this.expr));
    });
    this.CONSUME(RBracket);
  });

  /**
   * Chevrotain re-synchronises at the first token that is in the follow set of any rule on the
   * stack. Words and strings start items, so on a bad line like `merge fused sce([a, b])` that
   * would restart at `sce`, then at `a`, one error each. Here a token that starts an item
   * counts only on a later line than the last good token or right after a comma, and nothing
   * inside brackets opened after the error counts: one bad line, one error.
   */
  findReSyncTokenType(): TokenType {
    const internals = this as unknown as RecoveryInternals;
    const follows = internals.flattenFollowSet();
    const badLine = this.lineOf(this.LA(0).startOffset);
    let depth = 0;
    for (let k = 1; ; k++) {
      const t = this.LA(k);
      if (t.tokenType === EOF) {
        this.resyncToken = t;
        return EOF;
      }
      const match = depth === 0 ? follows.find((f) => tokenMatcher(t, f)) : undefined;
      if (t.tokenType === LParen || t.tokenType === LBracket) depth++;
      else if ((t.tokenType === RParen || t.tokenType === RBracket) && depth > 0) depth--;
      if (match === undefined) continue;
      const startsItem = ITEM_STARTS.some((s) => tokenMatcher(t, s));
      const afterComma = this.LA(k - 1).tokenType === Comma;
      if (!startsItem || afterComma || this.lineOf(t.startOffset) !== badLine) {
        this.resyncToken = t;
        return match;
      }
    }
  }

  /** Skips to the token `findReSyncTokenType` chose (chevrotain would stop at its type). */
  reSyncTo(_tokType: TokenType): IToken[] {
    const internals = this as unknown as RecoveryInternals;
    const skipped: IToken[] = [];
    while (this.LA(1) !== this.resyncToken && this.LA(1).tokenType !== EOF) {
      skipped.push(this.LA(1));
      internals.SKIP_TOKEN();
    }
    return skipped;
  }

  paren = this.RULE("paren", () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.expr);
    this.CONSUME(RParen);
  });
}

// Building the parser analyses the grammar once (tens of milliseconds); parses reuse it.
const parser = new QlxCstParser();

/**
 * The deepest nesting of `{ ( [` the parser accepts. Chevrotain descends several rules per
 * bracket and its recovery walks the whole rule stack, so unbounded nesting would overflow
 * the call stack; real recipes nest a handful of levels.
 */
export const MAX_NESTING = 64;

/**
 * The tokens up to the first bracket that opens level MAX_NESTING + 1, and that bracket.
 * `enclosing` is how many brackets are already open before the first token (a block re-parsed
 * on its own by `incremental.ts` sits inside its parents' bodies).
 */
export function limitNesting(
  tokens: readonly IToken[],
  enclosing = 0,
): {
  tokens: readonly IToken[];
  tooDeep?: IToken;
} {
  let depth = enclosing;
  for (let i = 0; i < tokens.length; i++) {
    const type = tokens[i]!.tokenType;
    if (type === LBrace || type === LParen || type === LBracket) {
      depth++;
      if (depth > MAX_NESTING) return { tokens: tokens.slice(0, i), tooDeep: tokens[i]! };
    } else if ((type === RBrace || type === RParen || type === RBracket) && depth > 0) {
      depth--;
    }
  }
  return { tokens };
}

export interface CstParseResult {
  /** One file node per run between stray tokens, in source order. */
  readonly files: readonly CstNode[];
  /** Tokens that could not start a top-level item and were skipped. */
  readonly stray: readonly IToken[];
  readonly errors: readonly IRecognitionException[];
}

export function parseTokens(
  tokens: readonly IToken[],
  lineOf: (offset: number) => number,
): CstParseResult {
  parser.lineOf = (offset) => (Number.isNaN(offset) ? 0 : lineOf(offset));
  const files: CstNode[] = [];
  const stray: IToken[] = [];
  const errors: IRecognitionException[] = [];
  let start = 0;
  while (true) {
    parser.input = start === 0 ? (tokens as IToken[]) : tokens.slice(start);
    files.push(parser.file());
    let leftover: IToken | undefined;
    for (const e of parser.errors) {
      if (e instanceof NotAllInputParsedException) leftover = e.token;
      // The file rule's repetition recovers from a stray token by deleting it and reporting
      // that it expected the end of the file; that token is stray as well.
      else if (e instanceof MismatchedTokenException && e.message === END_OF_FILE)
        stray.push(e.token);
      else errors.push(e);
    }
    if (leftover === undefined) break;
    stray.push(leftover);
    // The stray token is at or after `start`; find it by identity (tokens are unique objects).
    start = tokens.indexOf(leftover, start) + 1;
  }
  return { files, stray, errors };
}
