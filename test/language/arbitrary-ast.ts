// fast-check generators of syntactically valid qlx ASTs (spans zeroed), built by precedence
// level so that printing and re-parsing must give the same tree back.
import fc from "fast-check";
import type * as A from "../../language/ast.ts";

const ZERO: A.Span = {
  file: "gen.qlx",
  start: 0,
  end: 0,
  line: 0,
  column: 0,
  endLine: 0,
  endColumn: 0,
};
const RESERVED = new Set(["use", "for", "in", "from", "of", "true", "false"]);

export const identName = fc
  .stringMatching(/^[a-z_][a-z0-9_]{0,7}$/)
  .filter((s) => !RESERVED.has(s));
const ident = identName.map((name): A.Ident => ({ kind: "Ident", name, span: ZERO }));
const path = fc
  .array(ident, { minLength: 1, maxLength: 3 })
  .map((parts): A.Path => ({ kind: "Path", parts, span: ZERO }));

const numberText = fc.oneof(
  fc.nat({ max: 100000 }).map(String),
  fc.tuple(fc.nat({ max: 999 }), fc.nat({ max: 999 })).map(([a, b]) => `${a}.${b}`),
  fc
    .tuple(
      fc.integer({ min: 1, max: 9 }),
      fc.constantFrom("e", "E"),
      fc.constantFrom("-", "+", ""),
      fc.nat({ max: 12 }),
    )
    .map(([m, e, s, x]) => `${m}${e}${s}${x}`),
);
const numberLit = numberText.map((text): A.NumberLit => ({
  kind: "Number",
  value: Number(text),
  text,
  span: ZERO,
}));
const tokenCount = fc
  .tuple(fc.nat({ max: 512 }), fc.constantFrom("", ".5", ".25"), fc.constantFrom("K", "M"))
  .map(([n, frac, unit]): A.TokenCountLit => {
    const text = `${n}${frac}${unit}`;
    return {
      kind: "TokenCount",
      value: Number(`${n}${frac}`) * (unit === "K" ? 1024 : 1048576),
      text,
      span: ZERO,
    };
  });

/** A string value and its literal: quotes, backslashes, newlines and tabs are escaped. */
export const stringLit = fc
  .string({
    unit: fc.constantFrom("a", "Z", " ", "{", "}", "/", '"', "\\", "\n", "\t", "é", "+"),
    maxLength: 12,
  })
  .map((value): A.StringLit => {
    const text = `"${value.replace(/[\\"\n\t]/g, (c) => ({ "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t" })[c]!)}"`;
    return { kind: "String", value, text, span: ZERO };
  });
const bool = fc.boolean().map((value): A.BoolLit => ({ kind: "Bool", value, span: ZERO }));

function binary(
  ops: readonly A.BinaryOp[],
  left: fc.Arbitrary<A.Expr>,
  right: fc.Arbitrary<A.Expr>,
) {
  return fc
    .tuple(fc.constantFrom(...ops), left, right)
    .map(([op, l, r]): A.Expr => ({ kind: "Binary", op, left: l, right: r, span: ZERO }));
}

const { expr } = fc.letrec<{
  expr: A.Expr;
  sum: A.Expr;
  product: A.Expr;
  unary: A.Expr;
  primary: A.Expr;
}>((tie) => ({
  expr: fc.oneof(
    { weight: 4, arbitrary: tie("sum") },
    { weight: 1, arbitrary: binary(["<", "<=", ">", ">=", "==", "!="], tie("sum"), tie("sum")) },
  ),
  sum: fc.oneof(
    { weight: 4, arbitrary: tie("product") },
    { weight: 1, arbitrary: binary(["+", "-"], tie("sum"), tie("product")) },
  ),
  product: fc.oneof(
    { weight: 4, arbitrary: tie("unary") },
    { weight: 1, arbitrary: binary(["*", "/"], tie("product"), tie("unary")) },
  ),
  unary: fc.oneof(
    { weight: 5, arbitrary: tie("primary") },
    {
      weight: 1,
      arbitrary: tie("primary").map((operand): A.Expr => ({
        kind: "Unary",
        op: "-",
        operand,
        span: ZERO,
      })),
    },
  ),
  primary: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    numberLit,
    tokenCount,
    stringLit,
    bool,
    path,
    fc
      .tuple(
        path,
        fc.array(fc.tuple(fc.option(ident, { nil: undefined }), tie("expr")), { maxLength: 4 }),
      )
      .map(([callee, args]): A.Expr => ({
        kind: "Call",
        callee,
        args: args.map(([name, value]) => ({
          kind: "Arg",
          ...(name ? { name } : {}),
          value,
          span: ZERO,
        })),
        span: ZERO,
      })),
    fc
      .array(tie("expr"), { maxLength: 4 })
      .map((items): A.Expr => ({ kind: "List", items, span: ZERO })),
    tie("expr").map((inner): A.Expr => ({ kind: "Paren", inner, span: ZERO })),
  ),
}));
export { expr };

const assignment = fc
  .tuple(fc.option(ident, { nil: undefined }), path, fc.constantFrom("=", "*=" as const), expr)
  .map(([keyword, target, op, value]): A.Assignment => ({
    kind: "Assignment",
    ...(keyword ? { keyword } : {}),
    target,
    op,
    value,
    span: ZERO,
  }));

const { item } = fc.letrec<{ item: A.Item; items: A.Item[] }>((tie) => ({
  item: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    assignment,
    fc
      .tuple(
        ident,
        fc.option(ident, { nil: undefined }),
        fc.constantFrom("none", "of", "from"),
        ident,
        tie("items"),
      )
      .map(([keyword, name, rel, base, items]): A.Item => ({
        kind: "Block",
        keyword,
        ...(name ? { name } : {}),
        ...(rel === "none" ? {} : { [rel]: base }),
        items,
        headSpan: ZERO,
        span: ZERO,
      })),
    fc
      .tuple(stringLit, tie("items"))
      .map(([name, items]): A.Item => ({ kind: "Row", name, items, headSpan: ZERO, span: ZERO })),
    fc.tuple(ident, expr, tie("items")).map(([variable, iterable, items]): A.Item => ({
      kind: "For",
      variable,
      iterable,
      items,
      span: ZERO,
    })),
  ),
  items: fc.array(tie("item"), { maxLength: 4 }),
}));

const topBlock = fc
  .tuple(ident, fc.option(ident, { nil: undefined }), fc.array(item, { maxLength: 6 }))
  .map(([keyword, name, items]): A.Block => ({
    kind: "Block",
    keyword,
    ...(name ? { name } : {}),
    items,
    headSpan: ZERO,
    span: ZERO,
  }));
const use = stringLit.map((p): A.Use => ({ kind: "Use", path: p, span: ZERO }));

export const file = fc
  .array(fc.oneof({ weight: 1, arbitrary: use }, { weight: 4, arbitrary: topBlock }), {
    maxLength: 4,
  })
  .map((items): A.File => ({ kind: "File", path: "gen.qlx", items, comments: [], span: ZERO }));

/** The tree without spans, for structural comparison. */
export function shape(node: unknown): unknown {
  return JSON.parse(
    JSON.stringify(node, (k, v) => (k === "span" || k === "headSpan" ? undefined : v)),
  );
}
