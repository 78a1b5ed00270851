import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng } from "../../../runtime/rng.ts";
import {
  TokenSampler,
  argmax,
  nucleus,
  temperatureSoftmax,
  type NucleusCut,
  type SamplingParams,
} from "../../../runtime/model/sampling.ts";

const logitsRow = (maxLen: number) =>
  fc.array(fc.float({ min: -20, max: 20, noNaN: true, noDefaultInfinity: true }), {
    minLength: 1,
    maxLength: maxLen,
  });

describe("temperatureSoftmax", () => {
  it("matches a direct float64 softmax and entropy", () => {
    const logits = Float32Array.from([1, 2, 3, -1]);
    const probs = new Float64Array(4);
    const { logZ, entropy } = temperatureSoftmax(logits, 0, 4, 0.5, probs);
    const z = [2, 4, 6, -2];
    const m = Math.max(...z);
    const e = z.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    const p = e.map((x) => x / s);
    expect(logZ).toBeCloseTo(m + Math.log(s), 12);
    p.forEach((pv, i) => expect(probs[i]).toBeCloseTo(pv, 12));
    expect(entropy).toBeCloseTo(-p.reduce((a, pv) => a + pv * Math.log(pv), 0), 12);
  });

  it("entropy lies in [0, log V] and probabilities sum to 1", () => {
    fc.assert(
      fc.property(logitsRow(64), fc.double({ min: 0.05, max: 5, noNaN: true }), (row, t) => {
        const logits = Float32Array.from(row);
        const probs = new Float64Array(row.length);
        const { entropy } = temperatureSoftmax(logits, 0, row.length, t, probs);
        expect(entropy).toBeGreaterThanOrEqual(0);
        expect(entropy).toBeLessThanOrEqual(Math.log(row.length) + 1e-9);
        expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      }),
    );
  });

  it("ignores -Infinity logits (masked tokens)", () => {
    const probs = new Float64Array(3);
    const { entropy } = temperatureSoftmax(Float32Array.from([0, -Infinity, 0]), 0, 3, 1, probs);
    expect(entropy).toBeCloseTo(Math.log(2), 12);
    expect(probs[1]).toBe(0);
  });
});

/** The kept tokens of a cut, by the rule NucleusCut documents. */
function keptTokens(probs: Float64Array, cut: NucleusCut): number[] {
  let ties = cut.ties;
  return [...probs.keys()].filter(
    (v) => probs[v]! > cut.threshold || (probs[v] === cut.threshold && ties-- > 0),
  );
}

describe("nucleus", () => {
  it("keeps at least one token, a mass ≥ topP, and is the smallest such set of most probable tokens", () => {
    fc.assert(
      fc.property(logitsRow(48), fc.double({ min: 0.01, max: 1, noNaN: true }), (row, topP) => {
        const v = row.length;
        const probs = new Float64Array(v);
        temperatureSoftmax(Float32Array.from(row), 0, v, 1, probs);
        const cut = nucleus(probs, v, topP, new Float64Array(v));
        const kept = keptTokens(probs, cut);
        expect(kept.length).toBeGreaterThanOrEqual(1);
        const mass = kept.reduce((a, t) => a + probs[t]!, 0);
        expect(mass).toBeCloseTo(cut.mass, 12);
        if (kept.length < v) expect(mass).toBeGreaterThanOrEqual(topP - 1e-12);
        else expect(mass).toBeCloseTo(1, 9);
        const smallestKept = Math.min(...kept.map((t) => probs[t]!));
        // Smallest: dropping the least probable kept token falls below topP.
        if (kept.length > 1) expect(mass - smallestKept).toBeLessThan(topP);
        // Most probable: nothing left out is more probable than what is kept.
        const keptSet = new Set(kept);
        for (let t = 0; t < v; t++)
          if (!keptSet.has(t)) expect(probs[t]!).toBeLessThanOrEqual(smallestKept);
      }),
    );
  });

  it("breaks ties by the lower token index", () => {
    const probs = Float64Array.from([0.25, 0.25, 0.25, 0.25]);
    const cut = nucleus(probs, 4, 0.5, new Float64Array(4));
    expect(keptTokens(probs, cut)).toEqual([0, 1]);
  });
});

describe("TokenSampler", () => {
  const greedy: SamplingParams = { temperature: 1, topP: 1, greedy: true };

  it("greedy picks the argmax with logp and entropy of the T=1 distribution", () => {
    fc.assert(
      fc.property(logitsRow(32), (row) => {
        const logits = Float32Array.from(row);
        const choice = new TokenSampler(row.length, greedy).choose(logits, 0, Rng.stream(1));
        const best = Math.max(...logits);
        expect(logits[choice.token]).toBe(best);
        expect(choice.token).toBe(argmax(logits, 0, row.length));
        expect(choice.token).toBe(logits.indexOf(best));
        expect(choice.logp).toBeLessThanOrEqual(1e-12);
      }),
    );
  });

  it("reports logp under the temperature-scaled distribution, without top-p renormalisation", () => {
    const logits = Float32Array.from([0, 1, 2, 3, 4, 5]);
    const params = { temperature: 0.7, topP: 0.5, greedy: false };
    const sampler = new TokenSampler(6, params);
    const probs = new Float64Array(6);
    temperatureSoftmax(logits, 0, 6, 0.7, probs);
    const rng = Rng.stream(3, "t");
    for (let i = 0; i < 50; i++) {
      const c = sampler.choose(logits, 0, rng);
      expect(c.logp).toBeCloseTo(Math.log(probs[c.token]!), 10);
    }
  });

  it("never samples outside the nucleus", () => {
    fc.assert(
      fc.property(
        logitsRow(24),
        fc.double({ min: 0.05, max: 0.99, noNaN: true }),
        fc.double({ min: 0.2, max: 3, noNaN: true }),
        fc.integer(),
        (row, topP, temperature, seed) => {
          const v = row.length;
          const logits = Float32Array.from(row);
          const probs = new Float64Array(v);
          temperatureSoftmax(logits, 0, v, temperature, probs);
          const allowed = new Set(keptTokens(probs, nucleus(probs, v, topP, new Float64Array(v))));
          const sampler = new TokenSampler(v, { temperature, topP, greedy: false });
          const rng = Rng.stream(seed, "nucleus");
          for (let i = 0; i < 20; i++)
            expect(allowed.has(sampler.choose(logits, 0, rng).token)).toBe(true);
        },
      ),
    );
  });

  it("samples with the renormalised nucleus frequencies and is reproducible per stream", () => {
    const logits = Float32Array.from([
      Math.log(0.5),
      Math.log(0.3),
      Math.log(0.15),
      Math.log(0.05),
    ]);
    // topP 0.8 keeps {0, 1}: renormalised 0.625 / 0.375.
    const sampler = new TokenSampler(4, { temperature: 1, topP: 0.8, greedy: false });
    const draw = (seed: number) => {
      const rng = Rng.stream(seed, "freq");
      return Array.from({ length: 4000 }, () => sampler.choose(logits, 0, rng).token);
    };
    const a = draw(5);
    expect(draw(5)).toEqual(a);
    const zeros = a.filter((t) => t === 0).length / a.length;
    expect(a.every((t) => t === 0 || t === 1)).toBe(true);
    // 4000 draws: std of the frequency ≈ 0.0077; 5 sigma.
    expect(Math.abs(zeros - 0.625)).toBeLessThan(0.04);
  });

  it("reads the requested row of a batch", () => {
    const logits = Float32Array.from([9, 0, 0, 0, 0, 9]);
    const sampler = new TokenSampler(3, greedy);
    expect(sampler.choose(logits, 0, Rng.stream(0)).token).toBe(0);
    expect(sampler.choose(logits, 1, Rng.stream(0)).token).toBe(2);
  });

  it("chooses the same from a precomputed float32 distribution as from logits", () => {
    const v = 50;
    const rows = 3;
    const source = Rng.stream(9, "logits");
    const logits = Float32Array.from({ length: rows * v }, () => source.normal() * 2);
    for (const params of [
      { temperature: 0.7, topP: 0.95, greedy: false },
      { temperature: 1.3, topP: 0.5, greedy: false },
      greedy,
    ]) {
      const t = params.greedy ? 1 : params.temperature;
      const probs = new Float32Array(rows * v);
      const logprobs = new Float32Array(rows * v);
      const entropy = new Float32Array(rows);
      const row = new Float64Array(v);
      for (let r = 0; r < rows; r++) {
        const { logZ, entropy: h } = temperatureSoftmax(logits, r * v, v, t, row);
        entropy[r] = h;
        for (let k = 0; k < v; k++) {
          probs[r * v + k] = row[k]!;
          logprobs[r * v + k] = logits[r * v + k]! / t - logZ;
        }
      }
      const sampler = new TokenSampler(v, params);
      const a = Rng.stream(1, "same");
      const b = Rng.stream(1, "same");
      for (let i = 0; i < 300; i++) {
        const r = i % rows;
        const want = sampler.choose(logits, r, a);
        const got = sampler.chooseFrom({ logits, probs, logprobs, entropy }, r, b);
        expect(got.token).toBe(want.token);
        expect(got.logp).toBeCloseTo(want.logp, 5);
        expect(got.entropy).toBeCloseTo(want.entropy, 5);
      }
    }
  });

  it("rejects impossible parameters", () => {
    expect(() => new TokenSampler(4, { temperature: 0, topP: 1, greedy: false })).toThrow(
      /temperature/,
    );
    expect(() => new TokenSampler(4, { temperature: 1, topP: 0, greedy: false })).toThrow(/topP/);
  });
});
