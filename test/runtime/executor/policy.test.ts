import { describe, expect, it } from "vitest";
import { packBatch } from "../../../runtime/executor/policy.ts";

describe("packBatch", () => {
  it("right-pads to a bucket and puts each response token's weight at the position predicting it", () => {
    const p = packBatch(
      [
        { tokens: [1, 2, 3, 10, 11], responseStart: 3, weights: [0.5, 0.25], advantages: [2, 2] },
        { tokens: [1, 20], responseStart: 1, weights: [0.25], advantages: [-1] },
      ],
      0,
    );
    expect(p.batch).toBe(2);
    expect(p.seq).toBe(8);
    const row = (a: ArrayLike<number | bigint>, i: number) =>
      Array.from(a)
        .slice(i * 8, i * 8 + 8)
        .map(Number);
    expect(row(p.feeds.tokens, 0)).toEqual([1, 2, 3, 10, 0, 0, 0, 0]);
    expect(row(p.feeds.targets, 0)).toEqual([2, 3, 10, 11, 0, 0, 0, 0]);
    // Position 2 (token 3) predicts the first response token 10; position 3 predicts 11.
    expect(row(p.feeds.weights, 0)).toEqual([0, 0, 0.5, 0.25, 0, 0, 0, 0]);
    expect(row(p.feeds.advantages, 0)).toEqual([0, 0, 2, 2, 0, 0, 0, 0]);
    expect(row(p.feeds.weights, 1)).toEqual([0.25, 0, 0, 0, 0, 0, 0, 0]);
    expect(row(p.feeds.positions, 1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(p.lossTokens).toBe(3);
  });

  it("names the sequence whose weights do not match its response", () => {
    expect(() =>
      packBatch([{ tokens: [1, 2, 3], responseStart: 1, weights: [1], advantages: [1, 1] }], 0),
    ).toThrow(/sequence 0 has 2 response tokens but 1 weights and 2 advantages/);
  });
});
