import { describe, expect, it } from "vitest";
import {
  blockDetectableDifference,
  blockResidual,
  compareInBlocks,
  compareToBaseline,
  minimumDetectableDifference,
  noiseModel,
  studentTCdf,
  studentTQuantile,
  summarize,
} from "../../../runtime/report/stats.ts";

describe("Student t", () => {
  it("matches published critical values", () => {
    // Two-sided 95% critical values from standard t tables.
    const table: [number, number][] = [
      [1, 12.7062],
      [2, 4.3027],
      [4, 2.7764],
      [10, 2.2281],
      [30, 2.0423],
    ];
    for (const [df, t] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 3);
    expect(studentTQuantile(0.8, 4)).toBeCloseTo(0.941, 3);
  });
  it("has a symmetric CDF", () => {
    for (const df of [1, 3, 9]) {
      expect(studentTCdf(0, df)).toBeCloseTo(0.5, 12);
      expect(studentTCdf(1.3, df) + studentTCdf(-1.3, df)).toBeCloseTo(1, 12);
    }
  });
});

describe("summaries and comparisons", () => {
  it("computes mean ± t-interval over seeds", () => {
    const s = summarize([0.4, 0.5, 0.45]);
    expect(s.mean).toBeCloseTo(0.45, 12);
    expect(s.sd).toBeCloseTo(0.05, 12);
    expect(s.ci95).toBeCloseTo(4.3027 * (0.05 / Math.sqrt(3)), 3);
    expect(summarize([0.3]).ci95).toBe(Infinity);
  });
  it("resolves a large difference and not a small one", () => {
    const base = [0.3, 0.31, 0.29];
    const noise = noiseModel([base, [0.5, 0.51, 0.49]], 0.4, 1000);
    expect(compareToBaseline([0.5, 0.51, 0.49], base, noise).resolved).toBe(true);
    expect(compareToBaseline([0.305, 0.315, 0.295], base, noise).resolved).toBe(false);
    const mdd = minimumDetectableDifference(noise, 3);
    expect(mdd).toBeGreaterThan(0.02);
    expect(mdd).toBeLessThan(0.2);
    // More seeds → a smaller detectable difference.
    expect(minimumDetectableDifference(noise, 10)).toBeLessThan(mdd);
  });

  it("measures the residual of the additive row + seed model in a block design", () => {
    // Purely additive scores leave no residual; one perturbed cell leaves a known one.
    expect(
      blockResidual([
        [1, 2, 3],
        [2, 3, 4],
      ]).variance,
    ).toBeCloseTo(0, 12);
    // Residuals of [[0,0],[0,e]] are ±e/4; SS = 4·(e/4)² = e²/4 over (2−1)(2−1) = 1 df.
    const r = blockResidual([
      [0, 0],
      [0, 0.4],
    ]);
    expect(r.df).toBe(1);
    expect(r.variance).toBeCloseTo(0.04, 12);
    const c = compareInBlocks([0, 0.4], [0, 0], r);
    expect(c.difference).toBeCloseTo(0.2, 12);
    expect(c.ci95).toBeCloseTo(12.7062 * Math.sqrt((2 * 0.04) / 2), 3);
    expect(blockDetectableDifference(r, 8)).toBeLessThan(blockDetectableDifference(r, 2));
    expect(() => blockResidual([[1, 2], [1]])).toThrow(/same seeds/);
  });
});
