// The evaluation sets are scored by the rewards their registry names: the ground truth must
// score 1 and another record's answer must not, for tiny and natural records alike.
import { describe, expect, it } from "vitest";
import { buildReward } from "../../../runtime/rewards/registry.ts";
import { BENCHMARK_NAMES, BENCHMARKS, buildBenchmark } from "../../../runtime/tasks/benchmarks.ts";
import { referenceResponse } from "../../../runtime/tasks/prompt.ts";

describe.each(BENCHMARK_NAMES)("%s metric", (name) => {
  it.each(["tiny", "natural"] as const)(
    "scores the %s ground truth 1 and a wrong answer below 1",
    async (style) => {
      const reward = buildReward(BENCHMARKS[name].metric);
      // The whole tiny set: a rare answer the metric's normalisation mangles (an answer
      // spelled like an article) shows up only in a few records in a hundred.
      const records = await buildBenchmark(name, { style, count: style === "tiny" ? 200 : 3 });
      for (const [i, record] of records.entries()) {
        expect(await reward.score(referenceResponse(record), record)).toEqual({
          ok: true,
          score: 1,
          judged: false,
        });
        const other = records.find(
          (r, j) => j !== i && r.answer !== record.answer && !r.answer.includes(record.answer),
        );
        if (other === undefined) continue;
        const wrong = await reward.score(referenceResponse(other), record);
        expect(wrong.ok && wrong.score).toBeLessThan(1);
      }
    },
  );
});
