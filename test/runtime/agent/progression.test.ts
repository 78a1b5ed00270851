// Table 10's shape from eval records: one row per checkpoint in schedule order, the last
// evaluation of each checkpoint, full-context and memory-agent columns side by side.
import { describe, expect, it } from "vitest";
import { progressionMarkdown, progressionTable } from "../../../runtime/agent/progression.ts";
import type { EvalRecord } from "../../../runtime/executor/layout.ts";

const rec = (
  stage: string,
  globalStep: number,
  benchmark: string,
  mode: EvalRecord["mode"],
  score: number,
): EvalRecord => ({
  stage,
  step: globalStep,
  globalStep,
  benchmark,
  mode,
  metric: "cem",
  score,
  n: 10,
  stderr: 0,
});

describe("progressionTable", () => {
  it("keeps schedule order, the last evaluation per checkpoint, and both modes", () => {
    const t = progressionTable([
      rec("warmup", 0, "mrcr", "full", 0.1),
      rec("warmup", 0, "lbv2", "full", 0.3),
      rec("warmup", 0, "mrcr", "memory", 0.05),
      rec("warmup", 0, "lbv2", "memory", 0.15),
      rec("s1", 5, "mrcr", "full", 0.2), // mid-stage: replaced by the stage's end
      rec("s1", 5, "lbv2", "full", 0.2),
      rec("s1", 10, "mrcr", "full", 0.4),
      rec("s1", 10, "lbv2", "full", 0.6),
      rec("s1", 10, "mrcr", "memory", 0.25),
      rec("s1", 10, "lbv2", "memory", 0.35),
      rec("fused", 10, "mrcr", "full", 0.5),
      rec("fused", 10, "lbv2", "full", 0.7),
    ]);
    expect(t.benchmarks).toEqual(["mrcr", "lbv2"]);
    expect(t.memory).toBe(true);
    expect(t.rows.map((r) => r.checkpoint)).toEqual(["warmup", "s1", "fused"]);
    expect(t.rows[1]!.full).toEqual({ mrcr: 0.4, lbv2: 0.6, avg: 0.5 });
    expect(t.rows[1]!.agent["avg"]).toBeCloseTo(0.3, 12);
    expect(t.rows[2]!.agent).toEqual({ mrcr: undefined, lbv2: undefined, avg: undefined });
    expect(progressionMarkdown(t).split("\n")).toEqual([
      "| checkpoint | mrcr (full) | lbv2 (full) | avg (full) | mrcr (memory agent) | lbv2 (memory agent) | avg (memory agent) |",
      "|---|---|---|---|---|---|---|",
      "| warmup | 10.0 | 30.0 | 20.0 | 5.0 | 15.0 | 10.0 |",
      "| s1 | 40.0 | 60.0 | 50.0 | 25.0 | 35.0 | 30.0 |",
      "| fused | 50.0 | 70.0 | 60.0 | – | – | – |",
      "",
    ]);
  });

  it("has no memory columns when no checkpoint was evaluated as a memory agent", () => {
    const t = progressionTable([rec("warmup", 0, "mrcr", "full", 0.1)]);
    expect(t.memory).toBe(false);
    expect(progressionMarkdown(t)).toBe(
      "| checkpoint | mrcr (full) | avg (full) |\n|---|---|---|\n| warmup | 10.0 | 10.0 |\n",
    );
  });
});
