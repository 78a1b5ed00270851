// Shared test model and batch: a tiny config, weights scaled up from the init so every part
// of the block moves the outputs, and a batch with one left-padded sequence.

import { modelConfig } from "../../../runtime/model/config.ts";
import { initWeights, weightShapes } from "../../../runtime/model/transformer.ts";
import { Rng } from "../../../runtime/rng.ts";
import type { RefInput } from "./torch.ts";

export const config = modelConfig({ vocab: 40, dim: 32, layers: 2, heads: 4, context: 16 });
export const B = 2;
export const T = 7;
const PAD = 2;

/** Init weights ×`scale` with random norm gains in [0.5, 1.5]. */
export function testWeights(scale = 10): Map<string, Float32Array> {
  const weights = initWeights(config, 3);
  const rng = Rng.stream(3, "test-gains");
  for (const [name, w] of weights) {
    for (let i = 0; i < w.length; i++)
      w[i] = name.endsWith("norm") ? 0.5 + rng.next() : w[i]! * scale;
  }
  return weights;
}

/** tokens, positions, targets, keyMask [B, T]; sequence 1 is left-padded by PAD tokens. */
export function testBatch(seed: number) {
  const rng = Rng.stream(seed, "test-batch");
  const padded = (i: number) => Math.floor(i / T) === 1 && i % T < PAD;
  const tokens = BigInt64Array.from({ length: B * T }, () => BigInt(rng.int(config.vocab)));
  const targets = BigInt64Array.from({ length: B * T }, () => BigInt(rng.int(config.vocab)));
  const positions = BigInt64Array.from({ length: B * T }, (_, i) =>
    BigInt(Math.floor(i / T) === 0 ? i % T : Math.max(0, (i % T) - PAD)),
  );
  const keyMask = BigInt64Array.from({ length: B * T }, (_, i) => (padded(i) ? 0n : 1n));
  return { tokens, positions, targets, keyMask };
}

export function referenceInputs(
  weights: ReadonlyMap<string, Float32Array>,
  batch: Record<string, Float32Array | BigInt64Array>,
): Record<string, RefInput> {
  const inputs: Record<string, RefInput> = {};
  for (const [name, data] of Object.entries(batch)) inputs[name] = { data, shape: [B, T] };
  for (const [name, shape] of weightShapes(config))
    inputs[name] = { data: weights.get(name)!, shape };
  return inputs;
}
