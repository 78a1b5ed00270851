// The language server's check after edits: incremental parses (language/incremental.ts) and
// reused block checks (compiler/block-cache.ts) must report exactly what a fresh `qlx check`
// of the same text reports, in the same order.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BlockCache, checkFile, nodeHost, type SourceHost } from "../../compiler/index.ts";
import { ParseCache } from "../../language/server/parse-cache.ts";
import { EDITS, EXAMPLE_PATHS, MULTI, apply, changeOf } from "./incremental-edits.ts";

/** A checker as the server runs it: one parse cache and one block cache across edits. */
function editorChecker() {
  const parses = new ParseCache();
  const blocks = new BlockCache();
  return (path: string, host: SourceHost) =>
    checkFile(path, { host, parse: parses.parse, blocks }).diagnostics;
}

const hostWith = (path: string, text: () => string): SourceHost => ({
  readFile: (p) => (p === path ? text() : nodeHost.readFile(p)),
  exists: (p) => p === path || nodeHost.exists(p),
});

describe("checking edited files incrementally", () => {
  it("reports what a fresh check reports after each of a series of edits", () => {
    const sources = [
      { path: "/virtual/edited.qlx", text: MULTI },
      ...EXAMPLE_PATHS.map((path) => ({ path, text: readFileSync(path, "utf8") })),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...sources), EDITS, ({ path, text: source }, edits) => {
        let text = source;
        const host = hostWith(path, () => text);
        const check = editorChecker();
        expect(check(path, host)).toStrictEqual(checkFile(path, { host }).diagnostics);
        for (const [e, undo] of edits) {
          const change = changeOf(text, e);
          const removed = text.slice(change.start, change.end);
          text = apply(text, change);
          expect(check(path, host)).toStrictEqual(checkFile(path, { host }).diagnostics);
          if (!undo) continue;
          text = apply(text, {
            start: change.start,
            end: change.start + change.newText.length,
            newText: removed,
          });
          expect(check(path, host)).toStrictEqual(checkFile(path, { host }).diagnostics);
        }
      }),
      { numRuns: 120, seed: 11 },
    );
  });

  it("sees a data file that appeared since the block's check was kept", () => {
    const dir = mkdtempSync(join(tmpdir(), "qlx-incremental-"));
    try {
      writeFileSync(join(dir, "qlx.project"), "");
      const path = join(dir, "main.qlx");
      let text = `experiment x {
  model policy { init = "Qwen/Qwen3-4B", context = 64K }
  tasks { qa { data = "qa.jsonl", reward = contains } }
  schedule { stage s1 { input = 8K, output = 4K, steps = 10 } }
}
`;
      const host = hostWith(path, () => text);
      const check = editorChecker();
      expect(check(path, host).map((d) => d.code)).toContain("QLX2016");
      writeFileSync(join(dir, "qa.jsonl"), "");
      text = text.replace("steps = 10", "steps = 12"); // the task block is reused unchanged
      expect(check(path, host).map((d) => d.code)).not.toContain("QLX2016");
      expect(check(path, host)).toStrictEqual(checkFile(path, { host }).diagnostics);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
