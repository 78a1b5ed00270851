// The language server's check after edits: incremental parses (language/incremental.ts) and
// reused block checks (compiler/block-cache.ts) must report exactly what a fresh `qlx check`
// of the same text reports, in the same order.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CachedBlock } from "../../compiler/block-cache.ts";
import { BlockCache, checkFile, nodeHost, type SourceHost } from "../../compiler/index.ts";
import type { Block, File, Span } from "../../language/ast.ts";
import { EXPERIMENT, type BlockSpec } from "../../language/builtins.ts";
import { reparseLocally } from "../../language/incremental.ts";
import { parse } from "../../language/index.ts";
import { ParseCache } from "../../language/server/parse-cache.ts";
import {
  EDITS,
  EXAMPLE_PATHS,
  MULTI,
  TYPING,
  apply,
  changeOf,
  keystrokes,
} from "./incremental-edits.ts";

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

  it("reports what a fresh check reports after every keystroke of a typed line", () => {
    const path = "/virtual/typed.qlx";
    fc.assert(
      fc.property(TYPING, ([at, typed]) => {
        let text = MULTI;
        const host = hostWith(path, () => text);
        const check = editorChecker();
        check(path, host);
        for (const change of keystrokes(text, at, typed)) {
          text = apply(text, change);
          expect(check(path, host)).toStrictEqual(checkFile(path, { host }).diagnostics);
        }
      }),
      { numRuns: 25, seed: 13 },
    );
  });

  it("reuses the check of every stage but the edited one after an edit that changes a line's length", () => {
    const path = "/virtual/edited.qlx";
    let text = MULTI;
    const host = hostWith(path, () => text);
    const parses = new ParseCache();
    const checked: string[] = [];
    // Records the stages the check had to check afresh.
    class Recording extends BlockCache {
      override lookup(node: Block, spec: BlockSpec, label: string, scope: string) {
        const hit = super.lookup(node, spec, label, scope);
        if (hit === undefined && node.keyword.name === "stage" && node.name?.kind === "Ident")
          checked.push(node.name.name);
        return hit;
      }
    }
    const blocks = new Recording();
    const check = () => checkFile(path, { host, parse: parses.parse, blocks }).diagnostics;
    check();
    checked.length = 0;
    // Typing digits into s1's step count: every later stage (and all of experiment b) moves.
    const at = text.indexOf("steps = 11") + "steps = 1".length;
    for (const digit of ["0", "0", "5"]) {
      text = apply(text, { start: at, end: at, newText: digit });
      expect(check()).toStrictEqual(checkFile(path, { host }).diagnostics);
    }
    // s1 is checked as written and under its profile; no other stage is checked again.
    expect([...new Set(checked)]).toEqual(["s1"]);
  });

  it("moves a kept check's positions with its block, or drops a check that points outside it", () => {
    const previous = parse(MULTI, "/virtual/kept.qlx");
    const stage = (file: File, name: string) => {
      const schedule = (file.items[0] as Block).items.find(
        (i) => i.kind === "Block" && i.keyword.name === "schedule",
      ) as Block;
      return schedule.items.find(
        (i) => i.kind === "Block" && i.name?.kind === "Ident" && i.name.name === name,
      ) as Block;
    };
    const kept = (node: Block, span: Span): CachedBlock => ({
      spec: EXPERIMENT,
      label: "stage",
      scope: "scope",
      model: {
        name: "x",
        node,
        fields: new Map([["steps", { k: "num", v: 1, span }]]),
        explicit: new Set(),
      },
      events: [],
    });
    const [s5, s6, s7] = ["s5", "s6", "s7"].map((n) => stage(previous.ast, n)!);
    const cache = new BlockCache();
    // A position the checker derived inside s6 (not a node's span), one of s7 pointing at s0.
    const derived = { ...s6!.keyword.span };
    const own = kept(s5!, s5!.headSpan);
    const inside = kept(s6!, derived);
    const outside = kept(s7!, stage(previous.ast, "s0").headSpan);
    cache.store(s5!, own);
    cache.store(s6!, inside);
    cache.store(s7!, outside);
    const lookup = (node: Block) => cache.lookup(node, EXPERIMENT, "stage", "scope");
    expect(lookup(s7!)).toBe(outside); // not moved yet

    const at = MULTI.indexOf("steps = 11") + "steps = 1".length;
    const change = { start: at, end: at, newText: "00" };
    const after = apply(MULTI, change);
    const reparsed = reparseLocally(previous, after, change)!;
    expect(stage(reparsed.ast, "s6")).toBe(s6); // kept and moved in place
    expect(reparsed).toStrictEqual(parse(after, "/virtual/kept.qlx"));
    expect(lookup(s5!)).toBe(own);
    expect(lookup(s6!)).toBe(inside);
    expect(derived).toEqual(s6!.keyword.span);
    expect(derived.start).toBe(after.indexOf("stage s6"));
    expect(lookup(s7!)).toBeUndefined();
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
