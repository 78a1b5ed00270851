import { describe, expect, it } from "vitest";
import type * as A from "../../language/ast.ts";
import { parse } from "../../language/index.ts";
import { EXAMPLE } from "./example-source.ts";

function parseOk(text: string): A.File {
  const { ast, diagnostics } = parse(text, "t.qlx");
  expect(diagnostics).toEqual([]);
  return ast;
}

/** The text a span covers. */
function at(text: string, span: A.Span): string {
  return text.slice(span.start, span.end);
}

function block(items: readonly unknown[], index = 0): A.Block {
  const b = items.filter((i) => (i as A.Node).kind === "Block")[index] as A.Block;
  expect(b).toBeDefined();
  return b;
}

function field(b: { items: readonly A.Item[] }, name: string): A.Assignment {
  const a = b.items.find(
    (i) => i.kind === "Assignment" && i.target.parts.map((p) => p.name).join(".") === name,
  ) as A.Assignment | undefined;
  if (a === undefined) throw new Error(`no field ${name}`);
  return a;
}

function valueOf(text: string): A.Expr {
  return field(block(parseOk(`experiment x { v = ${text} }`).items), "v").value;
}

/** Strips spans so trees can be compared structurally. */
function shape(node: unknown): unknown {
  return JSON.parse(
    JSON.stringify(node, (k, v) => (k === "span" || k === "headSpan" ? undefined : v)),
  );
}

describe("parser: the target syntax", () => {
  it("parses the DESIGN.md example without diagnostics", () => {
    const ast = parseOk(EXAMPLE);
    expect(ast.items.map((i) => i.kind)).toEqual(["Use", "Block", "Block"]);
    const exp = block(ast.items, 0);
    expect(exp.keyword.name).toBe("experiment");
    expect((exp.name as A.Ident).name).toBe("qwenlong_l15");
    const abl = block(ast.items, 1);
    expect(abl.of?.name).toBe("qwenlong_l15");
    expect(ast.comments.map((c) => c.text)).toEqual([
      "// The QwenLong-L1.5 recipe, abridged.",
      "// §4.2",
      "/* the same experiment,\n     scaled down */",
    ]);
  });

  it("gives every node a span that covers exactly its text", () => {
    const ast = parseOk(EXAMPLE);
    const exp = block(ast.items, 0);
    expect(at(EXAMPLE, exp.headSpan)).toBe("experiment qwenlong_l15");
    expect(at(EXAMPLE, exp.span).startsWith("experiment qwenlong_l15 {")).toBe(true);
    expect(at(EXAMPLE, exp.span).endsWith("steps *= 0.1\n  }\n}")).toBe(true);
    const schedule = exp.items.find(
      (i) => i.kind === "Block" && i.keyword.name === "schedule",
    ) as A.Block;
    const memory = schedule.items[2] as A.Block;
    expect(at(EXAMPLE, memory.headSpan)).toBe("stage memory_expert from s3");
    expect(memory.from?.name).toBe("s3");
    const merge = schedule.items[3] as A.Assignment;
    expect(at(EXAMPLE, merge.span)).toBe(
      "merge fused = sce([s3, memory_expert], base = s3, topk = 0.1)",
    );
    expect(merge.keyword?.name).toBe("merge");
    const call = merge.value as A.Call;
    expect(at(EXAMPLE, call.args[1]!.span)).toBe("base = s3");
    expect(at(EXAMPLE, call.args[0]!.value.span)).toBe("[s3, memory_expert]");
    const line = EXAMPLE.split("\n").findIndex((l) => l.includes("merge fused")) + 1;
    expect(merge.span.line).toBe(line);
    expect(merge.span.column).toBe(5);
    expect(merge.span.endLine).toBe(line);
    expect(merge.span.endColumn).toBe(5 + at(EXAMPLE, merge.span).length);
    expect(merge.span.file).toBe("t.qlx");
  });

  it("checks every span of the example against its line/column and offsets", () => {
    const lines = EXAMPLE.split("\n");
    const offsetOf = (line: number, column: number) =>
      lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
    let count = 0;
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(visit);
      if (v === null || typeof v !== "object") return;
      for (const [k, child] of Object.entries(v)) {
        if (k === "span" || k === "headSpan") {
          const s = child as A.Span;
          expect(offsetOf(s.line, s.column)).toBe(s.start);
          expect(offsetOf(s.endLine, s.endColumn)).toBe(s.end);
          expect(s.end).toBeGreaterThan(s.start);
          count++;
        } else visit(child);
      }
    };
    visit(parseOk(EXAMPLE));
    expect(count).toBeGreaterThan(200);
  });
});

describe("parser: constructs", () => {
  it("reads block heads: keyword, name, of, from, task names, rows", () => {
    const ast = parseOk(
      `experiment e { multiple_choice { } model policy { } stage s from t { } "GRPO" { } }\nablation a of e { }`,
    );
    const e = block(ast.items, 0);
    expect(shape(e.items)).toEqual([
      { kind: "Block", keyword: { kind: "Ident", name: "multiple_choice" }, items: [] },
      {
        kind: "Block",
        keyword: { kind: "Ident", name: "model" },
        name: { kind: "Ident", name: "policy" },
        items: [],
      },
      {
        kind: "Block",
        keyword: { kind: "Ident", name: "stage" },
        name: { kind: "Ident", name: "s" },
        from: { kind: "Ident", name: "t" },
        items: [],
      },
      { kind: "Row", name: { kind: "String", value: "GRPO", text: '"GRPO"' }, items: [] },
    ]);
    expect(block(ast.items, 1).of?.name).toBe("e");
  });

  it("reads assignments: plain, keyword, dotted path, *=", () => {
    const e = block(
      parseOk("experiment e { a = 1 merge m = f() s1.input = 32, steps *= 0.1 }").items,
    );
    expect(e.items.map((i) => shape({ ...(i as A.Assignment), value: undefined }))).toEqual([
      {
        kind: "Assignment",
        target: { kind: "Path", parts: [{ kind: "Ident", name: "a" }] },
        op: "=",
      },
      {
        kind: "Assignment",
        keyword: { kind: "Ident", name: "merge" },
        target: { kind: "Path", parts: [{ kind: "Ident", name: "m" }] },
        op: "=",
      },
      {
        kind: "Assignment",
        target: {
          kind: "Path",
          parts: [
            { kind: "Ident", name: "s1" },
            { kind: "Ident", name: "input" },
          ],
        },
        op: "=",
      },
      {
        kind: "Assignment",
        target: { kind: "Path", parts: [{ kind: "Ident", name: "steps" }] },
        op: "*=",
      },
    ]);
  });

  it("reads for grids and use imports", () => {
    const ast = parseOk(
      'use "a.qlx"\nuse "b/c.qlx"\nablation t of e { rows { for lr in [1, 2] { "x" { } } } }',
    );
    expect(ast.items.slice(0, 2).map((u) => (u as A.Use).path.value)).toEqual(["a.qlx", "b/c.qlx"]);
    const rows = block(ast.items).items[0] as A.Block;
    const grid = rows.items[0] as A.For;
    expect(grid.kind).toBe("For");
    expect(grid.variable.name).toBe("lr");
    expect(shape(grid.iterable)).toEqual({
      kind: "List",
      items: [
        { kind: "Number", value: 1, text: "1" },
        { kind: "Number", value: 2, text: "2" },
      ],
    });
    expect(grid.items[0]!.kind).toBe("Row");
  });

  it("reads literals: numbers, token counts, strings with escapes, booleans", () => {
    expect(shape(valueOf("7"))).toEqual({ kind: "Number", value: 7, text: "7" });
    expect(shape(valueOf("0.95"))).toEqual({ kind: "Number", value: 0.95, text: "0.95" });
    expect(shape(valueOf("2e-6"))).toEqual({ kind: "Number", value: 2e-6, text: "2e-6" });
    expect(shape(valueOf("1E+3"))).toEqual({ kind: "Number", value: 1000, text: "1E+3" });
    expect(shape(valueOf("20K"))).toEqual({ kind: "TokenCount", value: 20480, text: "20K" });
    expect(shape(valueOf("1M"))).toEqual({ kind: "TokenCount", value: 1048576, text: "1M" });
    expect(shape(valueOf("1.5K"))).toEqual({ kind: "TokenCount", value: 1536, text: "1.5K" });
    expect(shape(valueOf('"a\\"b\\\\c\\nd\\te"'))).toEqual({
      kind: "String",
      value: 'a"b\\c\nd\te',
      text: '"a\\"b\\\\c\\nd\\te"',
    });
    expect(shape(valueOf("true"))).toEqual({ kind: "Bool", value: true });
    expect(shape(valueOf("false"))).toEqual({ kind: "Bool", value: false });
  });

  it("reads expressions with precedence: unary, * /, + -, comparison", () => {
    const e = valueOf("-a + b * 2 / c.d - 1 <= f(x = 1)");
    expect(shape(e)).toEqual({
      kind: "Binary",
      op: "<=",
      left: {
        kind: "Binary",
        op: "-",
        left: {
          kind: "Binary",
          op: "+",
          left: {
            kind: "Unary",
            op: "-",
            operand: { kind: "Path", parts: [{ kind: "Ident", name: "a" }] },
          },
          right: {
            kind: "Binary",
            op: "/",
            left: {
              kind: "Binary",
              op: "*",
              left: { kind: "Path", parts: [{ kind: "Ident", name: "b" }] },
              right: { kind: "Number", value: 2, text: "2" },
            },
            right: {
              kind: "Path",
              parts: [
                { kind: "Ident", name: "c" },
                { kind: "Ident", name: "d" },
              ],
            },
          },
        },
        right: { kind: "Number", value: 1, text: "1" },
      },
      right: {
        kind: "Call",
        callee: { kind: "Path", parts: [{ kind: "Ident", name: "f" }] },
        args: [
          {
            kind: "Arg",
            name: { kind: "Ident", name: "x" },
            value: { kind: "Number", value: 1, text: "1" },
          },
        ],
      },
    });
  });

  it("reads parentheses, lists, trailing commas, every comparison", () => {
    expect(shape(valueOf("(1 + 2) * 3"))).toMatchObject({
      kind: "Binary",
      op: "*",
      left: { kind: "Paren" },
    });
    expect((valueOf("[1, 2,]") as A.ListLit).items).toHaveLength(2);
    expect((valueOf("[]") as A.ListLit).items).toHaveLength(0);
    expect((valueOf("f(1, a = 2,)") as A.Call).args).toHaveLength(2);
    expect((valueOf("f()") as A.Call).args).toHaveLength(0);
    for (const op of ["<", "<=", ">", ">=", "==", "!="]) {
      expect((valueOf(`a ${op} b`) as A.Binary).op).toBe(op);
    }
  });

  it("treats only use/for/in/from/of/true/false as reserved", () => {
    const e = block(
      parseOk("experiment experiment { stage = 1 model = experiment input = 2 truex = 3 }").items,
    );
    expect(e.items).toHaveLength(4);
    const r = parse("experiment x { from = 1 }", "t.qlx");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["QLX1003"]);
  });

  it("parses an empty file and a file of comments", () => {
    expect(parseOk("").items).toEqual([]);
    const ast = parseOk("// a\n/* b */\n");
    expect(ast.comments.map((c) => c.text)).toEqual(["// a", "/* b */"]);
    expect(ast.span).toMatchObject({
      start: 0,
      end: 13,
      line: 1,
      column: 1,
      endLine: 3,
      endColumn: 1,
    });
  });

  it("counts columns after CRLF line breaks", () => {
    const ast = parseOk("experiment x {\r\n  seed = 7\r\n}\r\n");
    const seed = block(ast.items).items[0]!;
    expect(seed.span).toMatchObject({ line: 2, column: 3, endLine: 2, endColumn: 11 });
  });
});
