import { describe, expect, it } from "vitest";
import { diag } from "../../language/diagnostics.ts";
import { LineIndex, parse, renderDiagnostics } from "../../language/index.ts";

const ROOT = "/project";

function render(text: string, file = `${ROOT}/recipes/bad.qlx`, color = false): string {
  const { diagnostics } = parse(text, file);
  return renderDiagnostics(diagnostics, (f) => (f === file ? text : undefined), {
    color,
    root: ROOT,
  });
}

describe("renderDiagnostics", () => {
  it("prints location, code, message, the source line, an underline and help", () => {
    expect(render("experiment x {\n  seed 7\n}\n")).toBe(
      [
        "recipes/bad.qlx:2:3 - error QLX1009: expected '=' after 'seed'",
        "",
        "2     seed 7",
        "      ~~~~",
        "",
        "  help: write 'seed = <value>'",
        "",
      ].join("\n"),
    );
  });

  it("adds related spans as notes with their own line", () => {
    const out = render("experiment x {\n  a = 1\n");
    expect(out).toBe(
      [
        "recipes/bad.qlx:1:14 - error QLX1004: the block 'experiment x' opened on line 1 is never closed",
        "",
        "1   experiment x {",
        "                 ~",
        "",
        "  recipes/bad.qlx:3:1 - note: the file ends here",
        "",
        "  3   ",
        "      ^",
        "",
        "  help: add the missing '}'; the file ended while this block was still open",
        "",
      ].join("\n"),
    );
  });

  it("underlines a multi-line span to the end of its first line and expands tabs", () => {
    const text = "\tsome text\nmore";
    const lines = new LineIndex(text);
    const d = diag("QLX1003", lines.span("f.qlx", 1, 13), { expected: "x", found: "y" });
    const out = renderDiagnostics([d], () => text, { color: false });
    expect(out.split("\n").slice(2, 4)).toEqual(["1       some text", "        ~~~~~~~~~"]);
  });

  it("separates diagnostics with a blank line and prints nothing for none", () => {
    const out = render("experiment x { a = 20Q, b = $ }\n");
    expect(out.match(/ - error /g)).toHaveLength(2);
    expect(out).toContain("help: remove it;");
    expect(renderDiagnostics([], () => undefined, { color: false })).toBe("");
  });

  it("omits the snippet when the source is unavailable, and colours only on request", () => {
    const { diagnostics } = parse("experiment x { seed 7 }", "gone.qlx");
    const plain = renderDiagnostics(diagnostics, () => undefined, { color: false });
    expect(plain).toBe(
      "gone.qlx:1:16 - error QLX1009: expected '=' after 'seed'\n  help: write 'seed = <value>'\n",
    );
    expect(plain).not.toContain("\u001b[");
    const colored = renderDiagnostics(diagnostics, () => undefined, { color: true });
    expect(colored).toContain("\u001b[31merror\u001b[0m");
  });
});
