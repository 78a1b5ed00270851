import { describe, expect, it } from "vitest";
import {
  comparePaired,
  compareToBaseline,
  minimumDetectableDifference,
  noiseModel,
  pairedDetectableDifference,
  pooledVariance,
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

  it("compares paired seeds by their per-seed differences", () => {
    // A large seed effect, a consistent +0.02 per seed: resolved when paired.
    const c = comparePaired([0.22, 0.41, 0.62], [0.2, 0.4, 0.6]);
    expect(c.difference).toBeCloseTo(0.0167, 3);
    // Differences 0.02, 0.01, 0.02: sd 0.00577, t(2) 4.3027.
    expect(c.ci95).toBeCloseTo(4.3027 * (0.00577 / Math.sqrt(3)), 3);
    expect(c.resolved).toBe(true);
    expect(comparePaired([0.25, 0.35, 0.62], [0.2, 0.4, 0.6]).resolved).toBe(false);
    expect(() => comparePaired([0.2], [0.2, 0.3])).toThrow(/same seeds/);
    const d = [
      [0.02, 0.01, 0.02],
      [0.05, -0.03, 0.0],
    ];
    expect(pairedDetectableDifference(d, 8)).toBeLessThan(pairedDetectableDifference(d, 3));
    expect(pairedDetectableDifference([[0.1]], 1)).toBe(Infinity);
  });

  it("pools within-group variance, ignoring groups of one", () => {
    // Squares about the group means: [1, 2, 3] → 2 over 2 df, [4, 6] → 2 over 1 df.
    expect(pooledVariance([[1, 2, 3], [4, 6], [9]])).toEqual({ variance: 4 / 3, df: 3 });
    expect(pooledVariance([[7]])).toEqual({ variance: 0, df: 0 });
  });
});
