import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { modelConfig } from "../../../runtime/model/config.ts";
import {
  declareWeights,
  forward,
  initWeights,
  weightShapes,
} from "../../../runtime/model/transformer.ts";
import { PolicyGenerator, type GenerateOptions } from "../../../runtime/model/generate.ts";
import { temperatureSoftmax } from "../../../runtime/model/sampling.ts";
import { Graph } from "../../../runtime/tensor/ir.ts";
import { compile } from "../../../runtime/tensor/session.ts";
import { writeSafetensors } from "../../../runtime/io/safetensors.ts";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
const config = modelConfig({ vocab: 40, dim: 32, layers: 2, heads: 4, context: 48 });

// Initialisation scale (0.02) gives near-uniform logits and greedy near-ties; sharpened
// weights make the argmax robust to float rounding, so tokens can be compared exactly.
function sharpWeights(seed: number): Record<string, Float32Array> {
  const w: Record<string, Float32Array> = {};
  for (const [name, data] of initWeights(config, seed))
    w[name] = data.map((x) => (name.endsWith("norm") ? x : x * 15));
  return w;
}

const weights = sharpWeights(11);
const generator = new PolicyGenerator(config, weights, { threads: 1, promptBucket: 4 });
afterAll(() => generator.release());

const prompts = [
  [1, 2, 3, 4, 5, 6, 7],
  [9, 8],
  [30, 31, 32, 33, 34],
];
const greedy: GenerateOptions = {
  maxNewTokens: 6,
  stopTokens: [],
  sampling: { temperature: 1, topP: 1, greedy: true },
  seed: 0,
  padToken: 0,
};

async function fullForwardLogits(seq: number[]): Promise<Float32Array> {
  const g = new Graph();
  const w = declareWeights(g, config);
  const tokens = g.input("tokens", "int64", [1, seq.length]);
  const positions = g.input("positions", "int64", [1, seq.length]);
  const run = await compile(
    { logits: forward(w, config, tokens, positions).logits },
    { threads: 1 },
  );
  const out = await run.run({
    ...weights,
    tokens: BigInt64Array.from(seq, BigInt),
    positions: BigInt64Array.from(seq, (_, i) => BigInt(i)),
  });
  await run.release();
  return out.logits!.data as Float32Array;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("PolicyGenerator", () => {
  it("gives the same logits after prefill and KV-cache decode steps as a full forward", async () => {
    const stepLogits: Float32Array[] = [];
    const out = await generator.generate(prompts, {
      ...greedy,
      observeLogits: (l) => stepLogits.push(l.slice()),
    });
    const v = config.vocab;
    for (let n = 0; n < prompts.length; n++) {
      const seq = [...prompts[n]!, ...out[n]!.tokens];
      const full = await fullForwardLogits(seq.slice(0, -1));
      for (let step = 0; step < out[n]!.tokens.length; step++) {
        const at = prompts[n]!.length - 1 + step;
        const cached = stepLogits[step]!.subarray(n * v, (n + 1) * v);
        expect(maxAbsDiff(cached, full.subarray(at * v, (at + 1) * v))).toBeLessThan(2e-4);
      }
    }
  });

  it("matches the PyTorch reference's greedy KV-cache generation", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qlx-gen-"));
    try {
      const file = join(dir, "w.safetensors");
      writeSafetensors(
        file,
        weightShapes(config).map(([name, shape]) => ({
          name,
          dtype: "F32",
          shape,
          data: weights[name]!,
        })),
      );
      // A token sequence 0 emits greedily, so the stop path is exercised on both sides.
      const stop = [(await generator.generate(prompts, greedy))[0]!.tokens[1]!];
      const request = { mode: "generate", weights: file, config, prompts, maxNew: 6, stop, pad: 0 };
      writeFileSync(join(dir, "req.json"), JSON.stringify(request));
      const ref = JSON.parse(
        execFileSync(
          "/usr/bin/python3",
          [join(repo, "test/reference/generate.py"), join(dir, "req.json")],
          {
            encoding: "utf8",
          },
        ),
      ) as {
        sequences: {
          tokens: number[];
          logp: number[];
          entropy: number[];
          finish: string;
          logits: number[][];
        }[];
      };
      const stepLogits: Float32Array[] = [];
      const out = await generator.generate(prompts, {
        ...greedy,
        stopTokens: stop,
        observeLogits: (l) => stepLogits.push(l.slice()),
      });
      expect(ref.sequences.map((r) => r.finish)).toContain("stop");
      ref.sequences.forEach((r, n) => {
        expect(Array.from(out[n]!.tokens)).toEqual(r.tokens);
        expect(out[n]!.finish).toBe(r.finish);
        expect(maxAbsDiff(out[n]!.logp, r.logp)).toBeLessThan(1e-4);
        expect(maxAbsDiff(out[n]!.entropy, r.entropy)).toBeLessThan(1e-4);
        r.logits.forEach((row, step) => {
          const v = config.vocab;
          expect(maxAbsDiff(stepLogits[step]!.subarray(n * v, (n + 1) * v), row)).toBeLessThan(
            2e-4,
          );
        });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ends a sequence at a stop token (kept in the output) and others at the token budget", async () => {
    const free = await generator.generate(prompts, greedy);
    const stopToken = free[1]!.tokens[2]!;
    const out = await generator.generate(prompts, { ...greedy, stopTokens: [stopToken] });
    expect(out[1]!.finish).toBe("stop");
    const firstStop = Array.from(free[1]!.tokens).indexOf(stopToken);
    expect(Array.from(out[1]!.tokens)).toEqual(Array.from(free[1]!.tokens.slice(0, firstStop + 1)));
    for (const s of out) {
      if (s.finish === "length") expect(s.tokens.length).toBe(greedy.maxNewTokens);
      expect(s.logp.length).toBe(s.tokens.length);
      expect(s.entropy.length).toBe(s.tokens.length);
    }
  });

  it("samples reproducibly per seed, with logp ≤ 0 and entropy in [0, log V]", async () => {
    const sampled: GenerateOptions = {
      ...greedy,
      sampling: { temperature: 0.7, topP: 0.9, greedy: false },
      seed: 5,
    };
    const observed: Float32Array[] = [];
    const a = await generator.generate(prompts, {
      ...sampled,
      observeLogits: (l) => observed.push(l.slice()),
    });
    const b = await generator.generate(prompts, sampled);
    // The graph's distribution (probs, logprobs, entropy at T) against the JS reference.
    const v = config.vocab;
    const row = new Float64Array(v);
    a.forEach((s, n) =>
      s.tokens.forEach((token, step) => {
        const { logZ, entropy } = temperatureSoftmax(observed[step]!, n * v, v, 0.7, row);
        expect(s.logp[step]).toBeCloseTo(observed[step]![n * v + token]! / 0.7 - logZ, 4);
        expect(s.entropy[step]).toBeCloseTo(entropy, 4);
      }),
    );
    const c = await generator.generate(prompts, { ...sampled, seed: 6 });
    expect(a.map((s) => Array.from(s.tokens))).toEqual(b.map((s) => Array.from(s.tokens)));
    expect(a.map((s) => Array.from(s.tokens))).not.toEqual(c.map((s) => Array.from(s.tokens)));
    for (const s of a) {
      for (const lp of s.logp) expect(lp).toBeLessThanOrEqual(0);
      for (const h of s.entropy) {
        expect(h).toBeGreaterThanOrEqual(0);
        expect(h).toBeLessThanOrEqual(Math.log(config.vocab) + 1e-5);
      }
    }
  });

  it("samples from new weights after setWeights, in prefill and decode alike", async () => {
    const other = sharpWeights(12);
    const fresh = new PolicyGenerator(config, other, { threads: 1, promptBucket: 4 });
    const reused = new PolicyGenerator(config, weights, { threads: 1, promptBucket: 4 });
    const collect = async (g: PolicyGenerator) => {
      const logits: Float32Array[] = [];
      const out = await g.generate(prompts, {
        ...greedy,
        observeLogits: (l) => logits.push(l.slice()),
      });
      return { tokens: out.map((s) => Array.from(s.tokens)), logits };
    };
    const before = await collect(reused);
    reused.setWeights(other);
    const after = await collect(reused);
    const expected = await collect(fresh);
    await fresh.release();
    await reused.release();
    expect(after.tokens).toEqual(expected.tokens);
    expect(after.tokens).not.toEqual(before.tokens);
    after.logits.forEach((l, step) => expect(maxAbsDiff(l, expected.logits[step]!)).toBe(0));
  });

  it("generates a single token from the prefill alone", async () => {
    const one = await generator.generate(prompts, { ...greedy, maxNewTokens: 1 });
    const six = await generator.generate(prompts, greedy);
    one.forEach((s, n) => {
      expect(s.finish).toBe("length");
      expect(Array.from(s.tokens)).toEqual([six[n]!.tokens[0]]);
    });
  });

  it("rejects a prompt that leaves no room in the context", async () => {
    await expect(generator.generate([Array(45).fill(1)], greedy)).rejects.toThrow(/context 48/);
  });
});
