import { describe, expect, it } from "vitest";
import type { TaskRecord } from "../../../runtime/data/schema.ts";
import type {
  EquivalenceJudge,
  EquivalenceQuery,
  JudgeResult,
} from "../../../runtime/judge/types.ts";
import { macroAverage, summarize, summarizeByBenchmark } from "../../../runtime/rewards/metrics.ts";
import {
  buildReward,
  HYBRID_REWARD,
  REWARD_NAMES,
  rewardSpecFromIr,
  rewardSpecSchema,
  type RewardOutcome,
} from "../../../runtime/rewards/registry.ts";

const record: TaskRecord = {
  task: "reading",
  id: "r",
  question: "Capital of France?",
  answer: "Paris",
  documents: [],
};

/** A judge that answers from a script and records every query it is asked. */
function scriptedJudge(result: JudgeResult): EquivalenceJudge & { queries: EquivalenceQuery[] } {
  const queries: EquivalenceQuery[] = [];
  return {
    queries,
    judge: async (query) => {
      queries.push(query);
      return result;
    },
  };
}

const yes: JudgeResult = { ok: true, equivalent: true, cached: false, attempts: 1 };
const failed: JudgeResult = { ok: false, failure: { reason: "timeout", detail: "t", attempts: 3 } };

describe("reward registry", () => {
  it("knows every built-in name and validates specs", () => {
    expect([...REWARD_NAMES].sort()).toEqual(
      [
        "cem",
        "choice_accuracy",
        "contains",
        "em",
        "f1",
        "fallback",
        "judge",
        "max",
        "mrcr_grade",
        "numeric_match",
        "sequence_ratio",
      ].sort(),
    );
    expect(
      rewardSpecSchema.safeParse({ name: "max", of: [{ name: "cem" }, { name: "judge" }] }).success,
    ).toBe(true);
    expect(rewardSpecSchema.safeParse({ name: "numeric_match", relTol: -1 }).success).toBe(false);
    expect(rewardSpecSchema.safeParse({ name: "bleu" }).success).toBe(false);
    expect(() => buildReward({ name: "judge" })).toThrow(/judge client/);
  });

  it("hybrid reward asks the judge only when the rule fails (§5.1)", async () => {
    const judge = scriptedJudge(yes);
    const reward = buildReward(HYBRID_REWARD, { judge });
    expect(reward.usesJudge).toBe(true);
    expect(await reward.score("Answer: Paris", record)).toEqual({
      ok: true,
      score: 1,
      judged: false,
    });
    expect(judge.queries).toEqual([]);
    expect(await reward.score("<think>hmm</think>Answer: the French capital", record)).toEqual({
      ok: true,
      score: 1,
      judged: true,
    });
    expect(judge.queries).toEqual([
      { question: "Capital of France?", predicted: "the French capital", gold: "Paris" },
    ]);
  });

  it("records a judge failure as failed, never as 0", async () => {
    const reward = buildReward(HYBRID_REWARD, { judge: scriptedJudge(failed) });
    expect(await reward.score("Answer: Lyon", record)).toEqual({
      ok: false,
      failure: failed.ok ? undefined : failed.failure,
      partial: 0,
    });
    // max keeps a partial score for the log, and a component scoring 1 makes the judge moot.
    const maxReward = buildReward(
      { name: "max", of: [{ name: "f1" }, { name: "judge" }] },
      { judge: scriptedJudge(failed) },
    );
    const partial = await maxReward.score("Answer: Paris Texas", record);
    expect(partial.ok).toBe(false);
    expect(!partial.ok && partial.partial).toBeCloseTo(2 / 3, 12);
    const judgeFirst = buildReward(
      { name: "max", of: [{ name: "judge" }, { name: "em" }] },
      { judge: scriptedJudge(failed) },
    );
    expect(await judgeFirst.score("Answer: Paris", record)).toEqual({
      ok: true,
      score: 1,
      judged: false,
    });
  });

  it("max takes the best score, fallback the first pass or else the last", async () => {
    const no: JudgeResult = { ok: true, equivalent: false, cached: true, attempts: 0 };
    const max = buildReward({ name: "max", of: [{ name: "em" }, { name: "f1" }] });
    expect(await max.score("Answer: Paris France", record)).toMatchObject({
      ok: true,
      score: 2 / 3,
    });
    const fallback = buildReward(
      { name: "fallback", of: [{ name: "f1" }, { name: "judge" }] },
      { judge: scriptedJudge(no) },
    );
    expect(await fallback.score("Answer: Paris France", record)).toEqual({
      ok: true,
      score: 0,
      judged: true,
    });
    // A failed component before the last falls through, like a miss.
    const judgeThenRule = buildReward(
      { name: "fallback", of: [{ name: "judge" }, { name: "em" }] },
      { judge: scriptedJudge(failed) },
    );
    expect(await judgeThenRule.score("Answer: Lyon", record)).toEqual({
      ok: true,
      score: 0,
      judged: false,
    });
    const numeric = buildReward({ name: "numeric_match", absTol: 0.1 });
    expect(await numeric.score("Answer: 3.05", { ...record, answer: "3" })).toMatchObject({
      ok: true,
      score: 1,
    });
  });
});

describe("rewards from the IR", () => {
  it("maps the IR's snake_case reward expressions to specs", () => {
    expect(
      rewardSpecFromIr({
        op: "max",
        of: [
          { op: "cem" },
          { op: "numeric_match", rel_tol: 1e-4, abs_tol: 0 },
          { op: "fallback", of: [{ op: "contains" }, { op: "judge" }] },
        ],
      }),
    ).toEqual({
      name: "max",
      of: [{ name: "cem" }, { name: "numeric_match", relTol: 1e-4, absTol: 0 }, HYBRID_REWARD],
    });
  });
});

describe("evaluation metrics", () => {
  const ok = (score: number, judged = false): RewardOutcome => ({ ok: true, score, judged });
  const fail: RewardOutcome = {
    ok: false,
    failure: { reason: "http_error", detail: "500", attempts: 4 },
    partial: 0.5,
  };

  it("averages scored samples and counts failures apart", () => {
    const s = summarize([ok(1), ok(0, true), ok(1), ok(1), fail]);
    expect(s).toMatchObject({ n: 5, scored: 4, failed: 1, judged: 1, mean: 0.75 });
    // sample variance of [1,0,1,1] is 0.25; stderr = sqrt(0.25 / 4)
    expect(s.stderr).toBeCloseTo(0.25, 12);
    expect(summarize([fail])).toMatchObject({ mean: null, stderr: null, failed: 1 });
    expect(summarize([ok(0.5)]).stderr).toBeNull();
  });

  it("groups by benchmark and macro-averages", () => {
    const by = summarizeByBenchmark([
      { benchmark: "mrcr", outcome: ok(0.5) },
      { benchmark: "lbv2", outcome: ok(1) },
      { benchmark: "mrcr", outcome: ok(1) },
    ]);
    expect([...by.keys()]).toEqual(["mrcr", "lbv2"]);
    expect(by.get("mrcr")!.mean).toBe(0.75);
    expect(macroAverage(by)).toBe(0.875);
    expect(macroAverage(summarizeByBenchmark([{ benchmark: "x", outcome: fail }]))).toBeNull();
  });
});
