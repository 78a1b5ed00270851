// The token types of qlx. Only `use`, `for`, `in`, `from`, `of`, `true` and `false` are
// reserved: every other word (`experiment`, `stage`, `model`, a built-in's name) is an
// identifier, so adding a built-in never touches the lexer or the parser (see `ast.ts`).
//
// Each token type carries a `TokenClass`, the name an editor gives it. The classes map one to
// one onto TextMate scopes, and `test/corpus/tokens.json` pins them, so the chevrotain lexer
// and the VS Code grammar are tested against the same cases.
import { createToken, Lexer, type TokenType } from "chevrotain";

export type TokenClass =
  | "keyword"
  | "identifier"
  | "number"
  | "token-count"
  | "string"
  | "comment"
  | "operator"
  | "punctuation"
  | "boolean"
  | "invalid";

const classOf = new Map<TokenType, TokenClass>();

function token(
  cls: TokenClass,
  config: Parameters<typeof createToken>[0],
  extraCategories: TokenType[] = [],
): TokenType {
  const t = createToken({ ...config, categories: extraCategories });
  classOf.set(t, cls);
  return t;
}

/** Categories the parser matches on: `=`/`*=`, comparisons, `+`/`-`, `*`/`/`. */
export const AssignOp = createToken({ name: "AssignOp", pattern: Lexer.NA, label: "'='" });
export const CompareOp = createToken({ name: "CompareOp", pattern: Lexer.NA, label: "'<'" });
export const AddOp = createToken({ name: "AddOp", pattern: Lexer.NA, label: "'+'" });
export const MulOp = createToken({ name: "MulOp", pattern: Lexer.NA, label: "'*'" });

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/,
  group: Lexer.SKIPPED,
});
export const LineComment = token("comment", {
  name: "LineComment",
  pattern: /\/\/[^\r\n]*/,
  group: "comments",
});
export const BlockComment = token("comment", {
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: "comments",
  line_breaks: true,
});
/** A `/*` with no closing `*\/`: it runs to the end of the file and is reported by the lexer. */
export const UnterminatedBlockComment = token("comment", {
  name: "UnterminatedBlockComment",
  pattern: /\/\*[\s\S]*/,
  group: "comments",
  line_breaks: true,
});

export const Ident = token("identifier", {
  name: "Ident",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  label: "identifier",
});
function keyword(cls: TokenClass, word: string): TokenType {
  return token(cls, {
    name: word[0]!.toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Ident,
    label: `'${word}'`,
  });
}
export const Use = keyword("keyword", "use");
export const For = keyword("keyword", "for");
export const In = keyword("keyword", "in");
export const From = keyword("keyword", "from");
export const Of = keyword("keyword", "of");
export const True = keyword("boolean", "true");
export const False = keyword("boolean", "false");

// Token counts before numbers: `20K` must not lex as `20` followed by the identifier `K`.
export const TokenCount = token("token-count", {
  name: "TokenCount",
  pattern: /\d+(?:\.\d+)?[KM](?![A-Za-z0-9_.])/,
  start_chars_hint: [..."0123456789"],
  label: "token count",
});
export const NumberTok = token("number", {
  name: "Number",
  pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![A-Za-z0-9_.])/,
  start_chars_hint: [..."0123456789"],
  label: "number",
});
/**
 * Digits run into letters or dots that make no number (`20Q`, `2e`, `3.`). Lexed as one token
 * so that the parser sees a value where the user meant one, and the line yields a single
 * diagnostic (QLX1005) instead of a number followed by a surprising identifier.
 */
export const MalformedNumber = token(
  "number",
  { name: "MalformedNumber", pattern: /\d(?:[eE][+-]|[A-Za-z0-9_.])*/, label: "number" },
  [NumberTok],
);
export const StringTok = token("string", {
  name: "String",
  pattern: /"(?:[^"\\\r\n]|\\.)*"/,
  label: "string",
});
/** A string that reaches the end of its line: reported by the lexer (QLX1002). */
export const UnterminatedString = token(
  "string",
  { name: "UnterminatedString", pattern: /"(?:[^"\\\r\n]|\\.)*\\?/, label: "string" },
  [StringTok],
);

function op(name: string, image: string, categories: TokenType[] = []): TokenType {
  const escaped = image.replace(/[*+/.()[\]{}]/g, "\\$&");
  return token("operator", { name, pattern: new RegExp(escaped), label: `'${image}'` }, categories);
}
export const StarEq = op("StarEq", "*=", [AssignOp]);
export const LessEq = op("LessEq", "<=", [CompareOp]);
export const GreaterEq = op("GreaterEq", ">=", [CompareOp]);
export const EqEq = op("EqEq", "==", [CompareOp]);
export const NotEq = op("NotEq", "!=", [CompareOp]);
export const Eq = op("Eq", "=", [AssignOp]);
export const Less = op("Less", "<", [CompareOp]);
export const Greater = op("Greater", ">", [CompareOp]);
export const Plus = op("Plus", "+", [AddOp]);
export const Minus = op("Minus", "-", [AddOp]);
export const Star = op("Star", "*", [MulOp]);
export const Slash = op("Slash", "/", [MulOp]);

function punct(name: string, image: string): TokenType {
  return token("punctuation", {
    name,
    pattern: new RegExp(image.replace(/[.()[\]{}]/g, "\\$&")),
    label: `'${image}'`,
  });
}
export const LBrace = punct("LBrace", "{");
export const RBrace = punct("RBrace", "}");
export const LBracket = punct("LBracket", "[");
export const RBracket = punct("RBracket", "]");
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const Comma = punct("Comma", ",");
export const Dot = punct("Dot", ".");

/**
 * A run of characters that start no token. Chevrotain skips such runs; `lexer.ts` puts them
 * back as this token, reports them (QLX1001), and the parser reads one as a bad value.
 */
export const Unknown = token("invalid", { name: "Unknown", pattern: Lexer.NA, label: "character" });

/** In lexing order: longer and more specific patterns first. */
export const allTokens: readonly TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  UnterminatedBlockComment,
  Use,
  For,
  In,
  From,
  Of,
  True,
  False,
  Ident,
  TokenCount,
  NumberTok,
  MalformedNumber,
  StringTok,
  UnterminatedString,
  StarEq,
  LessEq,
  GreaterEq,
  EqEq,
  NotEq,
  Eq,
  Less,
  Greater,
  Plus,
  Minus,
  Star,
  Slash,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  LParen,
  RParen,
  Comma,
  Dot,
];

/** The lexer's tokens plus the categories and `Unknown`, which the lexer never matches. */
export const parserVocabulary: readonly TokenType[] = [
  Unknown,
  AssignOp,
  CompareOp,
  AddOp,
  MulOp,
  ...allTokens,
];

export function tokenClass(t: TokenType): TokenClass {
  const cls = classOf.get(t);
  if (cls === undefined) throw new Error(`token type ${t.name} has no token class`);
  return cls;
}
