// The qlx abstract syntax tree. The grammar is deliberately uniform (blocks, assignments,
// expressions), like HCL: what a block or field *means* is decided by the built-ins table in
// `language/builtins.ts`, read by the checker, hover and completion. The parser therefore
// never needs to change when a built-in is added, and a file that does not type-check still
// has a complete tree for the editor.
//
// Grammar (EBNF; newlines are insignificant, `,` between items is optional):
//   File        = { Use | Block } ;
//   Use         = "use" String ;
//   Block       = Head "{" { Item [","] } "}" ;
//   Head        = Word [ Name ] [ ("of" | "from") Ident ]         e.g. `experiment x`,
//                 | String                                         `stage s4 from fused`,
//                                                                  `ablation t2 of x`, `"GRPO"`,
//                                                                  `multiple_choice` (a task)
//   Item        = Block | Assignment | For ;
//   Assignment  = [ Word ] Path ("=" | "*=") Expr ;              e.g. `merge fused = sce(...)`,
//                                                                  `s1.input = 32`, `steps *= 0.1`
//   For         = "for" Ident "in" Expr "{" { Item [","] } "}" ;  ablation grids
//   Expr        = Compare ;
//   Compare     = Sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") Sum ] ;
//   Sum         = Product { ("+" | "-") Product } ;
//   Product     = Unary { ("*" | "/") Unary } ;
//   Unary       = [ "-" ] Primary ;
//   Primary     = Number | TokenCount | String | "true" | "false" | Call | Path | List
//               | "(" Expr ")" ;
//   Call        = Path "(" [ Arg { "," Arg } [","] ] ")" ;  Arg = [ Ident "=" ] Expr ;
//   List        = "[" [ Expr { "," Expr } [","] ] "]" ;
//   Path        = Ident { "." Ident } ;
// Numbers: `7`, `0.95`, `2e-6`. Token counts: an integer or decimal with suffix K (×1024) or
// M (×1024²): `20K` = 20480, `1.5K` = 1536. Strings: double quotes with \" \\ \n \t escapes;
// `{name}` inside a row-name string of an ablation grid is interpolated by the compiler.
// Comments: `// line` and `/* block */`; they are kept (see `File.comments`) for `qlx fmt`.

/** A half-open range of source text. Lines and columns are 1-based; offsets are 0-based. */
export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

interface NodeBase {
  readonly span: Span;
}

export interface Ident extends NodeBase {
  readonly kind: "Ident";
  readonly name: string;
}

export interface Path extends NodeBase {
  readonly kind: "Path";
  readonly parts: readonly Ident[];
}

export interface NumberLit extends NodeBase {
  readonly kind: "Number";
  readonly value: number;
  /** The literal as written, so the formatter keeps `2e-6` rather than `0.000002`. */
  readonly text: string;
}

export interface TokenCountLit extends NodeBase {
  readonly kind: "TokenCount";
  /** Value in tokens: `20K` → 20480. */
  readonly value: number;
  readonly text: string;
}

export interface StringLit extends NodeBase {
  readonly kind: "String";
  readonly value: string;
  readonly text: string;
}

export interface BoolLit extends NodeBase {
  readonly kind: "Bool";
  readonly value: boolean;
}

export interface Arg extends NodeBase {
  readonly kind: "Arg";
  readonly name?: Ident;
  readonly value: Expr;
}

export interface Call extends NodeBase {
  readonly kind: "Call";
  readonly callee: Path;
  readonly args: readonly Arg[];
}

export interface ListLit extends NodeBase {
  readonly kind: "List";
  readonly items: readonly Expr[];
}

export type BinaryOp = "+" | "-" | "*" | "/" | "<" | "<=" | ">" | ">=" | "==" | "!=";

export interface Binary extends NodeBase {
  readonly kind: "Binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}

export interface Unary extends NodeBase {
  readonly kind: "Unary";
  readonly op: "-";
  readonly operand: Expr;
}

export interface Paren extends NodeBase {
  readonly kind: "Paren";
  readonly inner: Expr;
}

/** Stands where the parser could not build an expression; later passes accept it silently. */
export interface ErrorExpr extends NodeBase {
  readonly kind: "ErrorExpr";
}

export type Expr =
  | Path
  | NumberLit
  | TokenCountLit
  | StringLit
  | BoolLit
  | Call
  | ListLit
  | Binary
  | Unary
  | Paren
  | ErrorExpr;

export interface Block extends NodeBase {
  readonly kind: "Block";
  /** First word of the head: `experiment`, `stage`, `model`, `tasks`, or a task's name. */
  readonly keyword: Ident;
  /** Second word (`stage s1`) or a quoted row name (`"GRPO" { … }`, then `keyword` is absent). */
  readonly name?: Ident | StringLit;
  readonly from?: Ident;
  readonly of?: Ident;
  readonly items: readonly Item[];
  /** Span of the head only (keyword … of/from), for outline and diagnostics. */
  readonly headSpan: Span;
}

/** A quoted-name block such as an ablation row `"GRPO" { … }`. */
export interface RowBlock extends NodeBase {
  readonly kind: "Row";
  readonly name: StringLit;
  readonly items: readonly Item[];
  readonly headSpan: Span;
}

export interface Assignment extends NodeBase {
  readonly kind: "Assignment";
  /** Optional leading word: `merge fused = …`. */
  readonly keyword?: Ident;
  readonly target: Path;
  readonly op: "=" | "*=";
  readonly value: Expr;
}

export interface For extends NodeBase {
  readonly kind: "For";
  readonly variable: Ident;
  readonly iterable: Expr;
  readonly items: readonly Item[];
}

export type Item = Block | RowBlock | Assignment | For;

export interface Use extends NodeBase {
  readonly kind: "Use";
  readonly path: StringLit;
}

export interface Comment {
  readonly text: string;
  readonly span: Span;
}

export interface File {
  readonly kind: "File";
  readonly path: string;
  /** Top-level `use` lines and blocks in source order. */
  readonly items: readonly (Use | Block)[];
  /** Every comment in source order, for the formatter and the editor. */
  readonly comments: readonly Comment[];
  readonly span: Span;
}

export type Node = File | Use | Item | Expr | Arg | Ident;
