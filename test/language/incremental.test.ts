// Incremental re-parsing (language/incremental.ts) must give exactly what a full parse gives:
// the same tree, the same syntax diagnostics and the same formatted text. Random edits of the
// examples and of a generated multi-block file, applied one after another as an editor would
// send them, plus the cases that must fall back to a full parse. (The checker's side is
// incremental-check.test.ts.)
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type * as A from "../../language/ast.ts";
import { diffText, reparse, reparseLocally, type TextChange } from "../../language/incremental.ts";
import { parse, printFile, type ParseResult } from "../../language/index.ts";
import { MAX_NESTING } from "../../language/parser.ts";
import { EDITS, MULTI, SOURCES, TYPING, apply, changeOf, keystrokes } from "./incremental-edits.ts";

const FILE = "/virtual/edited.qlx";

/** Both parses, and whether the incremental one re-parsed a block (not the whole file). */
function both(previous: ParseResult, text: string, change: TextChange) {
  const local = reparseLocally(previous, text, change);
  return { incremental: local ?? reparse(previous, text, change), full: parse(text, FILE), local };
}

describe("incremental re-parsing", () => {
  it("gives the full parse's tree, diagnostics and formatting after random edits", () => {
    let steps = 0;
    let localised = 0;
    fc.assert(
      fc.property(fc.constantFrom(...SOURCES), EDITS, (source, edits) => {
        let text = source;
        let previous = parse(text, FILE);
        const step = (change: TextChange) => {
          text = apply(text, change);
          const { incremental, full, local } = both(previous, text, change);
          steps++;
          if (local !== undefined) localised++;
          expect(incremental).toStrictEqual(full);
          if (full.diagnostics.length === 0)
            expect(printFile(incremental.ast, text)).toBe(printFile(full.ast, text));
          previous = incremental;
        };
        for (const [e, undo] of edits) {
          const change = changeOf(text, e);
          const removed = text.slice(change.start, change.end);
          step(change);
          const end = change.start + change.newText.length;
          if (undo) step({ start: change.start, end, newText: removed });
        }
      }),
      { numRuns: 400, seed: 9 },
    );
    // The property means little if every edit fell back to a full parse.
    expect(localised / steps).toBeGreaterThan(0.15);
  });
});
describe("incremental re-parsing while typing", () => {
  it("gives the full parse's tree and diagnostics after every keystroke, broken ones included", () => {
    let broken = 0;
    let brokenLocalised = 0;
    fc.assert(
      fc.property(fc.constantFrom(...SOURCES), TYPING, (source, [at, typed]) => {
        let text = source;
        let previous = parse(text, FILE);
        for (const change of keystrokes(text, at, typed)) {
          text = apply(text, change);
          const { incremental, full, local } = both(previous, text, change);
          expect(incremental).toStrictEqual(full);
          if (full.diagnostics.length > 0) {
            broken++;
            if (local !== undefined) brokenLocalised++;
          }
          previous = incremental;
        }
      }),
      { numRuns: 60, seed: 5 },
    );
    // Keystrokes that leave errors must re-parse a block often, or the property tests little.
    expect(brokenLocalised / broken).toBeGreaterThan(0.1);
  });
});

describe("what re-parses a block and what falls back to a full parse", () => {
  const text = MULTI;
  // A splice consumes the parse it started from (it moves nodes in place): each case parses
  // its own.
  const fresh = () => parse(text, FILE);
  const at = (needle: string, from = 0) => {
    const i = text.indexOf(needle, from);
    if (i < 0) throw new Error(`no '${needle}' in the test source`);
    return i;
  };
  const edited = (change: TextChange) => apply(text, change);
  const expectLocal = (change: TextChange, base: ParseResult = fresh(), source = text) => {
    const after = apply(source, change);
    const local = reparseLocally(base, after, change);
    expect(local).toBeDefined();
    expect(local).toStrictEqual(parse(after, FILE));
  };
  const expectFallback = (change: TextChange, base: ParseResult = fresh(), source = text) => {
    const after = apply(source, change);
    expect(reparseLocally(base, after, change)).toBeUndefined();
    expect(reparse(base, after, change)).toStrictEqual(parse(after, FILE));
  };

  it("re-parses the innermost block of a one-line edit and moves what follows", () => {
    const steps = at("steps = 11");
    expectLocal({ start: steps + 8, end: steps + 10, newText: "1234" });
    // A new line inside a stage moves every later line; one on a one-line stage moves the
    // columns of what follows it on that line.
    expectLocal({
      start: steps,
      end: steps,
      newText: "retrospective = hard(pass_rate < 0.5)\n      ",
    });
    const oneLine = at("steps = 10 } // s3");
    expectLocal({ start: oneLine + 8, end: oneLine + 10, newText: "100" });
  });

  it("re-parses only the assignment of an edit in a field, typing at the end of its value too", () => {
    const batch = at("batch = 16") + "batch = 16".length;
    expectLocal({ start: batch, end: batch, newText: "0" });
    // The experiment around it was not re-parsed: its stages are the previous ones, moved.
    const after = apply(text, { start: batch, end: batch, newText: "0" });
    const previous = fresh();
    const before = firstStage(previous.ast);
    const local = reparseLocally(previous, after, { start: batch, end: batch, newText: "0" })!;
    expect(firstStage(local.ast)).toBe(before);
  });

  it("re-parses a block that repairs a syntax error inside it, not one on its closing line", () => {
    const steps = at("steps = 11");
    const broken = apply(text, { start: steps + 8, end: steps + 10, newText: "" }); // `steps =`
    const brokenParse = parse(broken, FILE);
    expect(brokenParse.diagnostics.map((d) => d.code)).toEqual(["QLX1003"]);
    expectLocal({ start: steps + 8, end: steps + 8, newText: "12" }, brokenParse, broken);

    // `steps = 1 }` on the stage's last line: the error is reported on that line.
    const close = at("}", steps);
    const joined = apply(text, { start: steps + 10, end: close, newText: " 1 " });
    const joinedParse = parse(joined, FILE);
    expect(joinedParse.diagnostics.length).toBeGreaterThan(0);
    expectFallback({ start: steps + 10, end: steps + 13, newText: "\n    " }, joinedParse, joined);
  });

  it("re-parses the block, not the assignment, whose error was reported after the assignment", () => {
    const batch = at("batch = 16");
    const broken = apply(text, { start: batch + 5, end: batch + 7, newText: " " }); // `batch 16`
    const brokenParse = parse(broken, FILE);
    expect(brokenParse.diagnostics.map((d) => d.code)).toEqual(["QLX1009"]);
    const fix = { start: batch + 5, end: batch + 6, newText: " = " };
    expectLocal(fix, brokenParse, broken);
    // The whole experiment was re-parsed: its stages are new, not the previous ones moved.
    const again = parse(broken, FILE);
    const before = firstStage(again.ast);
    expect(firstStage(reparseLocally(again, apply(broken, fix), fix)!.ast)).not.toBe(before);
  });

  it("re-parses the enclosing block of an edit across nested blocks", () => {
    const close = at("}", at("stage s1"));
    const open = at("{", at("stage s2"));
    expectLocal({ start: close, end: open + 1, newText: "" }); // merges s1 and s2
    const head = at("stage s2");
    expectLocal({ start: head, end: head, newText: "x" }); // renames the block's keyword
  });

  it("falls back when the edit is not inside a top-level block", () => {
    const a = at("experiment a");
    const b = at("experiment b");
    expectFallback({ start: a, end: a, newText: "x" }); // at the block's first character
    expectFallback({ start: b - 2, end: b - 2, newText: "\n" }); // between top-level blocks
    expectFallback({ start: at("steps = 11"), end: b + 3, newText: "" }); // across two of them
  });

  it("re-parses a block that an edit leaves with syntax errors inside it", () => {
    const steps = at("steps = 11");
    const end = steps + "steps = 11".length;
    expectLocal({ start: steps + 8, end: steps + 10, newText: "" }); // `steps =` with no value
    expectLocal({ start: end, end, newText: " 4" }); // at the end of a value: the block's
    expectLocal({ start: end, end, newText: "\n      model = poli(" }); // a field being typed
    const typing = apply(text, { start: end, end, newText: "\n      " });
    const line = end + "\n      ".length;
    for (const typed of ["m", "model", "model =", "model = [", "x = 1 +"])
      expectLocal({ start: line, end: line, newText: typed }, parse(typing, FILE), typing);
    // Errors accumulate and go away inside the block.
    const broken = apply(typing, { start: line, end: line, newText: "model = poli(" });
    expectLocal({ start: line + 13, end: line + 13, newText: ")" }, parse(broken, FILE), broken);
  });

  it("falls back when recovery from an error inside the block reads past it", () => {
    const end = at("steps = 11") + "steps = 11".length;
    const typing = apply(text, { start: end, end, newText: "\n      " });
    const line = end + "\n      ".length;
    // `s1.` then the stage's `}`: recovery deletes the `}` to read `stage` after it as the
    // path's next part, and the stage swallows the rest of the file.
    const path = { start: line, end: line, newText: "s1." };
    expectFallback(path, parse(typing, FILE), typing);
    expect(parse(apply(typing, path), FILE).diagnostics.map((d) => d.code)).toContain("QLX1004");
    expectFallback({ start: end, end, newText: "\n      s1." }); // the same, typed at once
    // The tokens after the block lie too far to look at cheaply (a long comment first).
    const close = text.indexOf("}", end) + 1;
    const far = apply(typing, {
      start: close + 7,
      end: close + 7,
      newText: `\n    /* ${"x".repeat(600)} */`,
    });
    const broken = { start: line, end: line, newText: "model =" };
    expectLocal(broken, parse(typing, FILE), typing);
    expectFallback(broken, parse(far, FILE), far);
  });

  it("falls back when the edited block no longer parses alone as one block", () => {
    const steps = at("steps = 11");
    expectFallback({ start: steps, end: steps, newText: "} " }); // closes the stage early
    expectFallback({ start: steps, end: steps, newText: '"' }); // opens a string
    expectFallback({ start: steps, end: steps, newText: "/* " }); // opens a comment
  });

  it("falls back after a syntax error before the block, not after it", () => {
    const broken = apply(text, {
      start: at("batch = 16") + 7,
      end: at("batch = 16") + 10,
      newText: "",
    });
    const brokenParse = parse(broken, FILE);
    expect(brokenParse.diagnostics.length).toBeGreaterThan(0);
    const later = broken.indexOf("steps = 11");
    expectFallback({ start: later + 8, end: later + 10, newText: "12" }, brokenParse, broken);

    const tail = apply(text, { start: at("seeds = 3") + 8, end: at("seeds = 3") + 9, newText: "" });
    const tailParse = parse(tail, FILE);
    expect(tailParse.diagnostics.map((d) => d.code)).toEqual(["QLX1003"]);
    const earlier = tail.indexOf("steps = 11");
    expectLocal({ start: earlier, end: earlier, newText: "\n" }, tailParse, tail);
  });

  it("falls back when the change does not fit the previous text", () => {
    const steps = at("steps = 11");
    const change = { start: steps + 8, end: steps + 10, newText: "12" };
    expect(reparseLocally(fresh(), edited(change) + " ", change)).toBeUndefined();
    expect(
      reparseLocally(fresh(), edited(change), { ...change, end: text.length + 1 }),
    ).toBeUndefined();
  });

  it("falls back when the edit nests brackets deeper than the parser allows", () => {
    // The stage sits inside two bodies (experiment, schedule) plus its own.
    const deep = "(".repeat(MAX_NESTING - 3) + "1" + ")".repeat(MAX_NESTING - 3);
    const steps = at("steps = 11") + 8;
    expectLocal({ start: steps, end: steps + 2, newText: deep });
    expectFallback({ start: steps, end: steps + 2, newText: `(${deep})` });
  });
});

/** The first stage of the file's first experiment. */
function firstStage(file: A.File): A.Block {
  const experiment = file.items[0] as A.Block;
  const schedule = experiment.items.find(
    (i) => i.kind === "Block" && i.keyword.name === "schedule",
  ) as A.Block;
  return schedule.items[0] as A.Block;
}

describe("diffText", () => {
  it("finds the changed middle between the common prefix and suffix", () => {
    expect(diffText("steps = 200", "steps = 201")).toEqual({ start: 10, end: 11, newText: "1" });
    expect(diffText("a = 1", "a = 12")).toEqual({ start: 5, end: 5, newText: "2" });
    expect(diffText("aaa", "aa")).toEqual({ start: 2, end: 3, newText: "" });
    expect(diffText("same", "same")).toEqual({ start: 4, end: 4, newText: "" });
    const before = "x { a = 1 }\ny { b = 2 }";
    const after = "x { a = 1 }\ny { b = 3, c = 4 }";
    expect(apply(before, diffText(before, after))).toBe(after);
  });
});
