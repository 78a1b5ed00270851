// Syntax errors: each bad line gives exactly one diagnostic, at the marked position («), and the
// items after it still parse.
import { describe, expect, it } from "vitest";
import type * as A from "../../language/ast.ts";
import type { DiagnosticCode } from "../../language/diagnostics.ts";
import { parse } from "../../language/index.ts";

const MARK = "«";

/** Parses `marked` without its marker; returns the marker's 1-based line and column. */
function parseMarked(marked: string) {
  const offset = marked.indexOf(MARK);
  expect(offset).toBeGreaterThanOrEqual(0);
  const text = marked.replace(MARK, "");
  const before = text.slice(0, offset).split("\n");
  return {
    ...parse(text, "bad.qlx"),
    line: before.length,
    column: before[before.length - 1]!.length + 1,
  };
}

function names(items: readonly A.Item[]): string[] {
  return items.map((i) =>
    i.kind === "Assignment"
      ? i.target.parts.map((p) => p.name).join(".")
      : i.kind === "Block"
        ? i.keyword.name
        : i.kind,
  );
}

// One bad line inside a block, with good items before and after it.
const IN_BLOCK: readonly (readonly [DiagnosticCode, string, string])[] = [
  ["QLX1001", "unexpected character", "c = «$"],
  ["QLX1001", "unexpected character after a value", "c = 7 «@"],
  ["QLX1002", "unterminated string", 'init = «"Qwen/Qwen3'],
  ["QLX1003", "doubled '='", "seed = «= 7"],
  ["QLX1003", "missing comma in a call", "c = f(1 «2)"],
  ["QLX1003", "two values in parentheses", "c = (1 «2)"],
  ["QLX1003", "missing ']'", "c = [1, «2"],
  ["QLX1003", "'for' without a variable", "for «in [1] { }"],
  ["QLX1003", "chained comparison", "c = 1 < 2 «< 3"],
  ["QLX1003", "')' where an item belongs", "c = 1 «)"],
  ["QLX1003", "reserved word as a field", "«from = 1"],
  ["QLX1005", "unknown suffix", "input = «20Q"],
  ["QLX1005", "exponent without digits", "lr = «2e"],
  ["QLX1007", "unknown escape", 'data = "data«\\mc.jsonl"'],
  ["QLX1008", "doubled comma between items", "group = 8,«, temperature = 0.7"],
  ["QLX1008", "doubled comma in a call", "c = f(1,«, 2)"],
  ["QLX1008", "leading comma in a list", "c = [«, 1]"],
  ["QLX1009", "missing '='", "«seed 7"],
  ["QLX1003", "missing '=' after a keyword and name", "merge fused «sce([a, b])"],
  ["QLX1009", "missing '=' after a path", "s1.«input 32"],
  ["QLX1012", "fractional token count", "context = «1.3K"],
];

describe("recovery: one bad line, one diagnostic", () => {
  for (const [code, what, line] of IN_BLOCK) {
    it(`${code} ${what}: ${line.replace(MARK, "")}`, () => {
      const r = parseMarked(
        `experiment x {\n  before = 1\n  ${line}\n  after = 2\n  tasks { t { reward = r } }\n}\nexperiment y { z = 3 }\n`,
      );
      expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual([
        `${code} ${r.line}:${r.column}`,
      ]);
      const [x, y] = r.ast.items as A.Block[];
      expect(names(x!.items)[0]).toBe("before");
      expect(names(x!.items).slice(-2)).toEqual(["after", "tasks"]);
      expect(names(y!.items)).toEqual(["z"]);
    });
  }
});

describe("recovery: file-level mistakes", () => {
  it("QLX1004 reports an unclosed block at its brace, with the end of the file as a note", () => {
    const r = parseMarked("experiment x {\n  tasks «{\n    t { reward = r }\n  seed = 7\n");
    expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual([
      `QLX1004 ${r.line}:${r.column}`,
    ]);
    expect(r.diagnostics[0]!.message).toBe("the block 'tasks' opened on line 2 is never closed");
    expect(r.diagnostics[0]!.related[0]!.span.line).toBe(5);
    const tasks = (r.ast.items[0] as A.Block).items[0] as A.Block;
    expect(names(tasks.items)).toEqual(["t", "seed"]);
  });

  it("QLX1006 explains the blocks an unterminated comment swallowed", () => {
    const r = parseMarked("experiment x {\n  a = 1\n  «/* the rest\n  b = 2\n}\n");
    expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual([
      `QLX1006 ${r.line}:${r.column}`,
    ]);
  });

  it("QLX1010 rejects an assignment at the top level and keeps the next block", () => {
    const r = parseMarked("«seed = 7\nexperiment x { a = 1 }\n");
    expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual([
      `QLX1010 ${r.line}:${r.column}`,
    ]);
    expect(r.ast.items.map((i) => i.kind)).toEqual(["Block"]);
  });

  it("QLX1011 reports a surplus '}' once and parses on", () => {
    const r = parseMarked("experiment x { a = 1 }\n«}\nexperiment y { b = 2 }\n");
    expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual([
      `QLX1011 ${r.line}:${r.column}`,
    ]);
    expect(r.ast.items).toHaveLength(2);
  });

  it("QLX1003 reports a run of stray tokens at the top level once", () => {
    const r = parseMarked("experiment x { }\n«7 8 9\nexperiment y { }\n");
    expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual([
      `QLX1003 ${r.line}:${r.column}`,
    ]);
    expect(r.diagnostics[0]!.message).toBe("expected 'use' or a block, found number '7'");
    expect(r.ast.items).toHaveLength(2);
  });

  it("puts an error found on the next line at the end of the line that lacks something", () => {
    const r = parseMarked("experiment x {\n  stage «s1\n  seed = 7\n}\n");
    expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual([
      `QLX1003 ${r.line}:${r.column}`,
    ]);
    expect(r.diagnostics[0]!.message).toBe("expected '=' or '{', found identifier 'seed'");
  });

  it("QLX1013 stops at nesting deeper than the limit instead of overflowing the stack", () => {
    const deep = `experiment x {\n  a = ${"(".repeat(70)}1${")".repeat(70)}\n}\n`;
    const r = parse(deep, "t.qlx");
    expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual([
      `QLX1013 2:${7 + 63}`,
    ]);
    const flood = parse(`experiment x { a = ${"f([".repeat(20000)}`, "t.qlx");
    expect(flood.diagnostics.map((d) => d.code)).toEqual(["QLX1013"]);
    expect(flood.ast.items).toHaveLength(1);
  });

  it("points at an '=' whose value is missing, not at the next line that it swallowed", () => {
    const r = parseMarked("experiment x {\n  seed «=\n  batch = 16\n}\n");
    expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}`)).toEqual([
      `QLX1003 ${r.line}:${r.column}`,
    ]);
    expect(r.diagnostics[0]!.message).toBe("expected a value after '=', found end of line");
  });

  it("keeps partial nodes: a missing value is an ErrorExpr with an empty span after '='", () => {
    const r = parse("experiment x { a = f(b = ) }", "t.qlx");
    const call = ((r.ast.items[0] as A.Block).items[0] as A.Assignment).value as A.Call;
    expect(call.args[0]!.name?.name).toBe("b");
    expect(call.args[0]!.value.kind).toBe("ErrorExpr");
    expect(call.args[0]!.value.span.start).toBe("experiment x { a = f(b =".length);
  });

  it("words every code's message from the table", () => {
    const r = parse("experiment x {\n  s1.input 32\n}\n", "t.qlx");
    expect(r.diagnostics[0]).toMatchObject({
      code: "QLX1009",
      severity: "error",
      message: "expected '=' after 'input'",
      help: "write 'input = <value>'",
      data: { name: "input" },
    });
  });
});
