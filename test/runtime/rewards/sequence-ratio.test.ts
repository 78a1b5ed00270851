import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Rng } from "../../../runtime/rng.ts";
import {
  codePoints,
  matchingBlocks,
  sequenceRatio,
} from "../../../runtime/rewards/sequence-ratio.ts";

const REFERENCE = fileURLToPath(new URL("../../reference/difflib_parity.py", import.meta.url));

// Alphabets chosen to exercise matching: tiny ones give many repeats (and popular elements
// once a string reaches 200), astral ones check code-point (not UTF-16) comparison.
const ALPHABETS = [
  ["a", "b"],
  ["a", "b", "c", "d", " "],
  Array.from("the quick brown fox jumps over lazy dog,."),
  ["😀", "𝒳", "a", "é", "中", "\u{1F600}", "b"],
  Array.from("αβγδ日本語🎉🧪 xyz"),
];

function randomString(rng: Rng, alphabet: readonly string[], length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

/** Copies `s` with random code-point edits, so pairs share long runs as MRCR answers do. */
function mutate(rng: Rng, s: string, alphabet: readonly string[], edits: number): string {
  const cps = Array.from(s);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(cps.length + 1);
    const op = rng.int(3);
    const ch = alphabet[rng.int(alphabet.length)]!;
    if (op === 0) cps.splice(at, 0, ch);
    else if (op === 1 && cps.length > 0) cps.splice(Math.min(at, cps.length - 1), 1);
    else if (cps.length > 0) cps[Math.min(at, cps.length - 1)] = ch;
  }
  return cps.join("");
}

function parityPairs(): [string, string][] {
  const rng = Rng.stream(6, "difflib-parity");
  const pairs: [string, string][] = [
    ["", ""],
    ["", "abc"],
    ["abc", ""],
    ["a".repeat(250), "a".repeat(250)],
    ["ab".repeat(150), "b" + "ab".repeat(149)],
    ["x" + "a".repeat(300) + "y", "a".repeat(199) + "xy"],
  ];
  const lengths = [0, 1, 5, 30, 150, 199, 200, 201, 260, 700];
  for (let n = 0; n < 260; n++) {
    const alphabet = ALPHABETS[n % ALPHABETS.length]!;
    const la = lengths[rng.int(lengths.length)]!;
    const a = randomString(rng, alphabet, la);
    const b =
      rng.int(2) === 0
        ? mutate(rng, a, alphabet, 1 + rng.int(12))
        : randomString(rng, alphabet, lengths[rng.int(lengths.length)]!);
    pairs.push(rng.int(2) === 0 ? [a, b] : [b, a]);
  }
  return pairs;
}

describe("sequence ratio", () => {
  it("equals Python difflib.SequenceMatcher(None, a, b).ratio() exactly", () => {
    const pairs = parityPairs();
    expect(pairs.length).toBeGreaterThanOrEqual(200);
    expect(pairs.some(([, b]) => codePoints(b).length >= 200)).toBe(true);
    const output = execFileSync("/usr/bin/python3", [REFERENCE], {
      input: JSON.stringify(pairs),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const expected = JSON.parse(output) as number[];
    const mismatches = pairs
      .map(([a, b], k) => ({ k, got: sequenceRatio(a, b), want: expected[k] }))
      .filter((r) => r.got !== r.want);
    expect(mismatches).toEqual([]);
  });

  it("counts an astral character as one element, like a Python str", () => {
    // In UTF-16, "😀" and "😁" share their high surrogate; by code point they share nothing.
    expect(sequenceRatio("😀", "😁")).toBe(0);
    expect(sequenceRatio("a😀", "a😁")).toBe(0.5);
  });

  it("applies autojunk only when the second sequence has 200+ elements", () => {
    // b = 199 × "a" + "b": no autojunk, "a" matches. With 200 × "a" + "b", "a" is popular and
    // seeds no match, so only "b" (and the extension around it) matches.
    const a = "a".repeat(10) + "b";
    expect(sequenceRatio(a, "a".repeat(199) + "b")).toBeCloseTo((2 * 11) / 211, 15);
    expect(matchingBlocks(Array.from(a), Array.from("a".repeat(200) + "b"))).toEqual([
      { i: 0, j: 190, size: 11 },
    ]);
    // With no seed at all, CPython still extends the empty match at (alo, blo) across equal
    // popular elements: a leading run matches, a run after a mismatch does not.
    expect(sequenceRatio("a".repeat(10) + "c", "a".repeat(200) + "b")).toBe(20 / 212);
    expect(sequenceRatio("c" + "a".repeat(10), "b" + "a".repeat(200))).toBe(0);
  });
});
