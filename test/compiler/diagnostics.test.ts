// One invalid input per diagnostic code under test/fixtures/diagnostics: each yields
// exactly the codes its `// expect:` header names, at rendered positions fixed by a golden.
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { describe, expect, it } from "vitest";
import { checkFile } from "../../compiler/index.ts";
import { renderDiagnostics } from "../../language/index.ts";
import { DIAGNOSTICS } from "../../language/diagnostics.ts";
import { expectGolden, REPO_ROOT, withRootPlaceholder } from "../helpers/golden.ts";

const DIR = nodePath.join(REPO_ROOT, "test/fixtures/diagnostics");
const fixtures = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith(".qlx"))
  .sort();

function expectedCodes(text: string): string[] {
  const header = /^\/\/ expect: ((?:QLX\d{4} ?)+)/.exec(text);
  if (header === null) throw new Error("fixture lacks an `// expect: QLXnnnn` header");
  return header[1].trim().split(" ").sort();
}

describe("diagnostic fixtures", () => {
  it.each(fixtures)("%s", (name) => {
    const path = nodePath.join(DIR, name);
    const text = fs.readFileSync(path, "utf8");
    const { diagnostics } = checkFile(path);
    expect(diagnostics.map((d) => d.code).sort()).toEqual(expectedCodes(text));
    const rendered = renderDiagnostics(diagnostics, (file) => fs.readFileSync(file, "utf8"), {
      color: false,
      root: REPO_ROOT,
    });
    expectGolden(path.replace(/\.qlx$/, ".diagnostics"), withRootPlaceholder(rendered));
  });

  // QLX6xxx/QLX7xxx are raised by compile targets, not by `qlx check`; their backends test them.
  it("covers every check diagnostic code with a fixture named after it", () => {
    const covered = new Set(fixtures.map((f) => f.slice(0, 7)));
    const missing = Object.keys(DIAGNOSTICS).filter(
      (code) => /^QLX[1-5]/.test(code) && !covered.has(code),
    );
    expect(missing).toEqual([]);
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
  });
});
