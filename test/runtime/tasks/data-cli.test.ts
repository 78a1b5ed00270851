import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parseSetValue, run } from "../../../cli/commands/data.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "qlx-data-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command, capturing what it prints. */
async function qlxData(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  const code = await run(argv);
  return { code, out: out.join("\n"), err: err.join("\n") };
}
afterEach(() => {
  vi.restoreAllMocks();
});

describe("qlx data gen / check", () => {
  it("writes a tiny JSONL dataset that check accepts, byte-identical for the same seed", async () => {
    const file = join(dir, "reading.jsonl");
    const args = [
      "gen",
      "--kind",
      "reading",
      "--count",
      "12",
      "--seed",
      "3",
      "--input-tokens",
      "32",
    ];
    const gen = await qlxData(...args, "--style", "tiny", "--set", "facts=1..3", "--out", file);
    expect(gen).toMatchObject({ code: 0, out: `wrote 12 reading records to ${file}` });
    const first = await readFile(file, "utf8");
    await qlxData(...args, "--style", "tiny", "--set", "facts=1..3", "--out", file);
    expect(await readFile(file, "utf8")).toBe(first);
    const check = await qlxData("check", file);
    expect(check.err).toBe("");
    expect(check).toMatchObject({
      code: 0,
      out: `${file}: 12 valid records (reading 12), prompts 32..32 bytes; 0 bad rows`,
    });
  });

  it("writes parquet with knobs from --set, and check accepts it", async () => {
    const file = join(dir, "multihop.parquet");
    const gen = await qlxData(
      "gen", "--kind", "multihop", "--count", "5", "--seed", "1", "--input-tokens", "2000",
      "--set", "hops=3..3", "--set", "distractorSimilarity=0.9", "--set", "evidencePosition=end", "--out", file,
    ); // prettier-ignore
    expect(gen.code).toBe(0);
    const check = await qlxData("check", file);
    expect(check).toMatchObject({ code: 0, err: "" });
    expect(check.out).toContain("5 valid records (multihop 5), prompts 2000..2000 bytes");
  });

  it("--benchmarks writes the six evaluation sets", async () => {
    const out = join(dir, "bench");
    const gen = await qlxData(
      "gen",
      "--benchmarks",
      "--style",
      "tiny",
      "--count",
      "10",
      "--out",
      out,
    );
    expect(gen.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(
      ["corpusqa", "docmath", "frames", "lbv1_qa", "lbv2", "mrcr"].map((n) => `${n}.jsonl`),
    );
    expect((await qlxData("check", join(out, "lbv1_qa.jsonl"))).out).toContain(
      "10 valid records (multihop 6, reading 4)",
    );
  });

  it("--decontaminate generates training data around the evaluation prompts", async () => {
    const file = join(dir, "mrcr-train.jsonl");
    const gen = await qlxData(
      "gen", "--kind", "dialogue_memory", "--count", "20", "--seed", "0", "--input-tokens", "32",
      "--style", "tiny", "--decontaminate", "--out", file,
    ); // prettier-ignore
    expect(gen.code).toBe(0);
    expect((await qlxData("check", file)).code).toBe(0);
  });

  it("check names file, line and field of each bad record and exits 1", async () => {
    const good = join(dir, "good.jsonl");
    await qlxData(
      "gen",
      "--kind",
      "corpus_numeric",
      "--count",
      "3",
      "--seed",
      "2",
      "--input-tokens",
      "32",
      "--style",
      "tiny",
      "--out",
      good,
    );
    const lines = (await readFile(good, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    delete lines[1].answer;
    lines[2].evidence = [99];
    const bad = join(dir, "bad.jsonl");
    await writeFile(bad, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const check = await qlxData("check", bad);
    expect(check.code).toBe(1);
    expect(check.err).toContain(`${bad}:2: field \`answer\`:`);
    expect(check.err).toContain(`${bad}:3: field \`evidence.0\`: document 99 does not exist`);
    expect(check.out).toContain("1 valid records (corpus_numeric 1)");
  });

  it("pads to Qwen3 tokens with --tokenizer qwen3; check re-measures them and catches a wrong length", async () => {
    const file = join(dir, "qwen.jsonl");
    const gen = await qlxData(
      "gen", "--kind", "corpus_numeric", "--count", "2", "--seed", "4", "--input-tokens", "900",
      "--tokenizer", "qwen3", "--out", file,
    ); // prettier-ignore
    expect(gen.code).toBe(0);
    const records = (await readFile(file, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records.map((r) => [r.meta.tokenizer, r.meta.input_tokens])).toEqual([
      ["qwen3", 900],
      ["qwen3", 900],
    ]);
    expect((await qlxData("check", file)).code).toBe(0);
    records[1].meta.input_tokens = 901;
    await writeFile(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const check = await qlxData("check", file);
    expect(check.code).toBe(1);
    expect(check.err).toContain(
      `${file}:2: field \`meta.input_tokens\`: says 901 tokens but the rendered prompt has 900`,
    );
  });

  it("usage and parameter errors: exit 2 for usage, 1 for impossible params, naming the flag or field", async () => {
    const missing = await qlxData(
      "gen",
      "--count",
      "3",
      "--seed",
      "1",
      "--input-tokens",
      "32",
      "--out",
      join(dir, "x.jsonl"),
    );
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("missing --kind");
    const unknownFlag = await qlxData("gen", "--kind", "reading", "--bogus");
    expect(unknownFlag.code).toBe(2);
    const badParam = await qlxData(
      "gen", "--kind", "multihop", "--count", "1", "--seed", "1", "--input-tokens", "32", "--style", "tiny",
      "--set", "hops=many", "--out", join(dir, "y.jsonl"),
    ); // prettier-ignore
    expect(badParam.code).toBe(1);
    expect(badParam.err).toMatch(/multihop params: hops: /);
    const tooShort = await qlxData(
      "gen", "--kind", "reading", "--count", "1", "--seed", "1", "--input-tokens", "50", "--out", join(dir, "z.jsonl"),
    ); // prettier-ignore
    expect(tooShort.code).toBe(1);
    expect(tooShort.err).toMatch(/reading: the prompt needs \d+ tokens/);
    await expect(readdir(dir)).resolves.not.toContain("z.jsonl");
  });

  it("parses --set values: numbers, ranges, lists, booleans, text", () => {
    expect(parseSetValue("0.5")).toBe(0.5);
    expect(parseSetValue("2..4")).toEqual({ min: 2, max: 4 });
    expect(parseSetValue("sum,max")).toEqual(["sum", "max"]);
    expect(parseSetValue("true")).toBe(true);
    expect(parseSetValue("end")).toBe("end");
  });
});
