import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { format, lex, parse, printFile } from "../../language/index.ts";
import { file as arbitraryFile, shape } from "./arbitrary-ast.ts";
import { exampleSources } from "./example-files.ts";
import { EXAMPLE } from "./example-source.ts";

function fmt(text: string): string {
  const r = format(text, "t.qlx");
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.text;
}

/** Formats and checks the two invariants every output must keep. */
function fmtChecked(text: string): string {
  const out = fmt(text);
  expect(fmt(out)).toBe(out);
  expect(shape(parse(out, "t.qlx").ast.items)).toEqual(shape(parse(text, "t.qlx").ast.items));
  expect(parse(out, "t.qlx").ast.comments.map((c) => c.text)).toEqual(
    parse(text, "t.qlx").ast.comments.map((c) => c.text),
  );
  return out;
}

describe("format: canonical layout", () => {
  it("spaces assignments, calls, lists and operators", () => {
    expect(fmtChecked("experiment x{a=f(b=1,c=[1,2,3]) , b=-1+2*3<x.y\nc*=0.5}")).toBe(
      "experiment x {\n  a = f(b = 1, c = [1, 2, 3])\n  b = -1 + 2 * 3 < x.y\n  c *= 0.5\n}\n",
    );
  });

  it("keeps a one-line block of at most three items on one line, expands others", () => {
    expect(fmtChecked("experiment x { a = 1, b = 2, c = 3 }")).toBe(
      "experiment x { a = 1, b = 2, c = 3 }\n",
    );
    expect(fmtChecked("experiment x { a = 1, b = 2, c = 3, d = 4 }")).toBe(
      "experiment x {\n  a = 1\n  b = 2\n  c = 3\n  d = 4\n}\n",
    );
    expect(fmtChecked("experiment x {\n  a = 1 }")).toBe("experiment x {\n  a = 1\n}\n");
    expect(fmtChecked("experiment x { t { a = 1 } }")).toBe("experiment x { t { a = 1 } }\n");
    expect(fmtChecked('experiment x {\n}\nrows { "a" {\n} }')).toBe(
      'experiment x { }\nrows {\n  "a" { }\n}\n',
    );
  });

  it("expands a one-line block that does not fit in 100 columns", () => {
    const long = `experiment x { model policy { init = "${"q".repeat(50)}", context = 256K } }`;
    expect(fmtChecked(long)).toBe(
      `experiment x {\n  model policy { init = "${"q".repeat(50)}", context = 256K }\n}\n`,
    );
  });

  it("breaks a long call or list one element per line with a trailing comma", () => {
    const names = Array.from({ length: 12 }, (_, i) => `benchmark_${i}`);
    const out = fmtChecked(
      `experiment x {\n  evaluate = f(b = [${names.join(", ")}], every = 20)\n}`,
    );
    expect(out).toBe(
      [
        "experiment x {",
        "  evaluate = f(",
        "    b = [",
        ...names.map((n) => `      ${n},`),
        "    ],",
        "    every = 20,",
        "  )",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("keeps literal text and order as written", () => {
    expect(
      fmtChecked('experiment x {\n  z = 2e-6\n  a = 1.5K\n  m = "a\\tb\\"c"\n  n = 0.950\n}'),
    ).toBe('experiment x {\n  z = 2e-6\n  a = 1.5K\n  m = "a\\tb\\"c"\n  n = 0.950\n}\n');
  });

  it("collapses blank lines to one and drops them after { and before }", () => {
    expect(fmtChecked('use "a"\n\n\n\nexperiment x {\n\n  a = 1\n\n\n  b = 2\n\n}\n\n')).toBe(
      'use "a"\n\nexperiment x {\n  a = 1\n\n  b = 2\n}\n',
    );
  });

  it("formats the DESIGN.md example idempotently and without changing its tree", () => {
    const out = fmtChecked(EXAMPLE);
    expect(out).toContain("  rollout {\n    group = 8\n    temperature = 0.7\n");
    expect(out).toContain("  sampler = task_balanced(over = tasks) // §4.2\n");
  });

  it("formats every example file idempotently and without changing its tree or comments", () => {
    const sources = exampleSources().filter((s) => parse(s, "t.qlx").diagnostics.length === 0);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) fmtChecked(source);
  });

  it("prints a very long operator chain without recursing down it", () => {
    const src = `experiment x {\n  a = 1${" - 1".repeat(50000)}\n}\n`;
    expect(fmt(src)).toBe(src);
  });

  it("refuses a file with syntax errors", () => {
    const r = format("experiment x { seed 7 }", "t.qlx");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics.map((d) => d.code)).toEqual(["QLX1009"]);
  });

  it("formats an empty file to an empty file", () => {
    expect(fmtChecked("")).toBe("");
    expect(fmtChecked("\n\n")).toBe("");
  });
});

describe("format: comments", () => {
  it("keeps leading, trailing, dangling and end-of-file comments in place", () => {
    const src = [
      "// file header",
      "",
      "experiment x { // on the brace",
      "  // leading a",
      "  a = 1 // trailing a",
      "",
      "  /* block",
      "     comment */",
      "  b = 2 /* after b */ // and more",
      "  // dangling before }",
      "}",
      "// end of file",
      "",
    ].join("\n");
    expect(fmtChecked(src)).toBe(src);
  });

  it("keeps comments inside expressions and heads by printing those as written", () => {
    const src =
      "experiment x {\n  a = f(1, /* two */ 2)\n  b /* why */ = 3\n  stage s1 /* h */ {\n    steps = 1\n  }\n}\n";
    expect(fmtChecked(src)).toBe(src);
  });

  it("moves a line comment between a head and its brace to the brace line", () => {
    expect(fmtChecked("experiment x // note\n{\n  a = 1\n}\n")).toBe(
      "experiment x { // note\n  a = 1\n}\n",
    );
  });

  it("never puts a block with a comment inside on one line", () => {
    expect(fmtChecked("experiment x { a = 1 /* c */ }")).toBe(
      "experiment x {\n  a = 1 /* c */\n}\n",
    );
  });
});

describe("format: properties", () => {
  it("printing a generated tree and parsing it gives the same tree, and fmt is a fixed point", () => {
    fc.assert(
      fc.property(arbitraryFile, (ast) => {
        const text = printFile(ast, "");
        const parsed = parse(text, "gen.qlx");
        expect(parsed.diagnostics).toEqual([]);
        expect(shape(parsed.ast)).toEqual(shape(ast));
        expect(fmt(text)).toBe(text);
      }),
      { numRuns: 150, seed: 20261125 },
    );
  });

  it("formatting the example's tokens with any whitespace between them keeps its tree", () => {
    const tokens = lex(EXAMPLE).filter((t) => t.type !== "comment");
    const gap = fc.constantFrom(" ", "  ", "\n", " \n\n ", "\t", "\r\n");
    fc.assert(
      fc.property(fc.array(gap, { minLength: tokens.length, maxLength: tokens.length }), (gaps) => {
        const src = tokens.map((t, i) => t.image + gaps[i]).join("");
        fmtChecked(src);
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});
