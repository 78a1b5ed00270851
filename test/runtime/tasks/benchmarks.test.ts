import { describe, expect, it } from "vitest";
import { validateRecord } from "../../../runtime/data/schema.ts";
import type { TaskRecord } from "../../../runtime/data/schema.ts";
import { rewardSpecSchema } from "../../../runtime/rewards/registry.ts";
import {
  BENCHMARK_NAMES,
  BENCHMARK_SEED,
  BENCHMARKS,
  benchmarkPrompts,
  buildBenchmark,
} from "../../../runtime/tasks/benchmarks.ts";
import { renderPrompt } from "../../../runtime/tasks/prompt.ts";
import { generateDataset } from "../../../runtime/tasks/registry.ts";
import { byteTokenizer } from "../../../runtime/tokenizer/byte.ts";
import { rederive } from "./rederive.ts";

describe("benchmark registry", () => {
  it("names the paper's six columns, each with a known metric and parts whose shares sum to 1", () => {
    expect(BENCHMARK_NAMES.map((n) => BENCHMARKS[n].column)).toEqual([
      "DocMath",
      "LBV2",
      "Frames",
      "MRCR",
      "CorpusQA",
      "LBV1-QA",
    ]);
    for (const name of BENCHMARK_NAMES) {
      const spec = BENCHMARKS[name];
      expect(rewardSpecSchema.safeParse(spec.metric).success).toBe(true);
      expect(spec.parts.reduce((a, p) => a + p.share, 0)).toBeCloseTo(1, 12);
    }
    expect(BENCHMARKS.mrcr.metric).toEqual({ name: "mrcr_grade" });
    expect(BENCHMARKS.lbv2.metric).toEqual({ name: "choice_accuracy" });
  });
});

describe.each(BENCHMARK_NAMES)("benchmark %s", (name) => {
  it("tiny set: valid, exact length, deterministic, answers re-derived, split by part shares", async () => {
    const records = await buildBenchmark(name, { style: "tiny", count: 30 });
    const again = await buildBenchmark(name, { style: "tiny", count: 30 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(records));
    expect(records).toHaveLength(30);
    for (const part of BENCHMARKS[name].parts) {
      expect(records.filter((r) => r.task === part.kind)).toHaveLength(Math.round(part.share * 30));
    }
    expect(new Set(records.map((r) => r.id)).size).toBe(30);
    for (const r of records) {
      expect(validateRecord(r).ok).toBe(true);
      expect(r.meta?.["benchmark"]).toBe(name);
      expect(byteTokenizer.count(renderPrompt(r))).toBe(BENCHMARKS[name].inputTokens.tiny);
      expect(rederive(r)).toBe(r.answer);
    }
  });

  it("natural set at its own length", async () => {
    const records = await buildBenchmark(name, { style: "natural", count: 2 });
    for (const r of records) {
      expect(byteTokenizer.count(renderPrompt(r))).toBe(BENCHMARKS[name].inputTokens.natural);
      expect(rederive(r)).toBe(r.answer);
    }
  });
});

describe("evaluation/training disjointness", () => {
  it("no evaluation prompt appears in training sets generated with the same params, any seed", async () => {
    const evalPrompts = await benchmarkPrompts({ style: "tiny" });
    expect(evalPrompts.size).toBe(BENCHMARK_NAMES.length * 200);
    const training: TaskRecord[] = [];
    for (const name of BENCHMARK_NAMES) {
      for (const part of BENCHMARKS[name].parts) {
        // Seed BENCHMARK_SEED too: the "train" seed space must differ from "eval" for equal seeds.
        for (const seed of [0, 1, BENCHMARK_SEED]) {
          const params = { ...part.params.tiny, style: "tiny", inputTokens: 32 };
          training.push(...(await generateDataset(part.kind, params, 100, seed)));
        }
      }
    }
    expect(training.filter((r) => evalPrompts.has(renderPrompt(r)))).toEqual([]);
  });

  it("`exclude` replaces any training sample whose prompt is excluded (decontamination)", async () => {
    const params = { style: "tiny", inputTokens: 32 };
    const first = await generateDataset("reading", params, 10, 9);
    const banned = new Set(first.slice(0, 5).map(renderPrompt));
    const clean = await generateDataset("reading", params, 10, 9, { exclude: banned });
    expect(clean).toHaveLength(10);
    expect(clean.filter((r) => banned.has(renderPrompt(r)))).toEqual([]);
    // The samples that were not excluded are drawn unchanged, from the same streams.
    expect(clean.slice(0, 5).map(renderPrompt)).toEqual(first.slice(5, 10).map(renderPrompt));
  });
});
