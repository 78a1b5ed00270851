// Generation on ORT's WebGPU execution provider (llvmpipe in CI) against the CPU provider.
// Skipped only when no WebGPU adapter exists, with the reason printed.

import { afterAll, describe, expect, it } from "vitest";
import { modelConfig } from "../../../runtime/model/config.ts";
import { initWeights } from "../../../runtime/model/transformer.ts";
import { PolicyGenerator, type GenerateOptions } from "../../../runtime/model/generate.ts";
import { webgpuUnavailable } from "../../../runtime/tensor/session.ts";

const reason = await webgpuUnavailable();
if (reason) console.warn(`WebGPU generation tests skipped: ${reason}`);

const config = modelConfig({ vocab: 40, dim: 32, layers: 2, heads: 4, context: 32 });
// Sharpened weights (see generate.test.ts) keep greedy choices clear of float-rounding ties.
const weights = Object.fromEntries(
  [...initWeights(config, 4)].map(([name, w]) => [
    name,
    name.endsWith("norm") ? w : w.map((x) => x * 15),
  ]),
);
const cpu = new PolicyGenerator(config, weights, { threads: 1, promptBucket: 4 });
const gpu = new PolicyGenerator(config, weights, { device: "webgpu", promptBucket: 4 });
afterAll(async () => {
  await cpu.release();
  await gpu.release();
});

describe.skipIf(reason !== undefined)("PolicyGenerator on WebGPU", () => {
  it(
    "generates the same tokens as the CPU provider, logits within 1e-4 of their scale",
    { timeout: 120_000 },
    async () => {
      const prompts = [
        [1, 2, 3, 4, 5],
        [7, 8],
      ];
      const logits = { cpu: [] as Float32Array[], gpu: [] as Float32Array[] };
      const options = (into: Float32Array[]): GenerateOptions => ({
        maxNewTokens: 5,
        stopTokens: [],
        sampling: { temperature: 1, topP: 1, greedy: true },
        seed: 0,
        padToken: 0,
        observeLogits: (l) => into.push(l.slice()),
      });
      const a = await cpu.generate(prompts, options(logits.cpu));
      const b = await gpu.generate(prompts, options(logits.gpu));
      expect(b.map((s) => Array.from(s.tokens))).toEqual(a.map((s) => Array.from(s.tokens)));
      logits.cpu.forEach((row, step) => {
        const scale = Math.max(...row.map(Math.abs));
        row.forEach((x, i) =>
          expect(Math.abs(x - logits.gpu[step]![i]!)).toBeLessThan(1e-4 * scale),
        );
      });
    },
  );
});
