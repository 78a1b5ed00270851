import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng } from "../runtime/rng.ts";

describe("Rng", () => {
  it("is reproducible from seed and keys, and keys separate streams", () => {
    const a = Rng.stream(7, "stage", 3, "sample", 1);
    const b = Rng.stream(7, "stage", 3, "sample", 1);
    const c = Rng.stream(7, "stage", 3, "sample", 2);
    const xs = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(xs);
    // "1" as a string and 1 as a number are different keys.
    expect(Rng.stream(7, "1").nextU32()).not.toBe(Rng.stream(7, 1).nextU32());
  });

  it("resumes from a saved state", () => {
    const a = Rng.stream(1, "x");
    a.next();
    const saved = a.state();
    const rest = [a.next(), a.next()];
    const b = Rng.fromState(saved);
    expect([b.next(), b.next()]).toEqual(rest);
  });

  it("draws integers in range and floats in [0, 1)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 1, max: 1000 }),
        (seed, n) => {
          const r = Rng.stream(seed);
          for (let i = 0; i < 20; i++) {
            const k = r.int(n);
            const u = r.next();
            if (k < 0 || k >= n || !Number.isInteger(k) || u < 0 || u >= 1) return false;
          }
          return true;
        },
      ),
    );
  });

  it("has roughly uniform means and unit-variance normals", () => {
    const r = Rng.stream(42);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.05);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });
});
