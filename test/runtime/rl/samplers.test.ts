import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { UniformSampler } from "../../../runtime/rl/samplers/uniform.ts";
import { TaskBalancedSampler } from "../../../runtime/rl/samplers/taskBalanced.ts";
import { passRateBinnedSelection } from "../../../runtime/rl/samplers/passRateBinned.ts";
import { retrospectiveCarryOver } from "../../../runtime/rl/samplers/retrospective.ts";

function counts<T>(xs: readonly T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

describe("uniform sampler", () => {
  it("reads shuffled epochs, keeps every batch full, and resumes identically from a saved state", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (size, b, before, seed) => {
          const batchSize = Math.min(b, size);
          const straight = new UniformSampler(size, batchSize, seed);
          const all = Array.from({ length: before + 6 }, () => straight.nextBatch());
          for (const batch of all) expect(new Set(batch).size).toBe(batchSize);
          // The first `size` draws are one epoch: a permutation of the dataset.
          const flat = all.flat();
          if (flat.length >= size)
            expect([...flat.slice(0, size)].sort((x, y) => x - y)).toEqual(
              Array.from({ length: size }, (_, i) => i),
            );
          const first = new UniformSampler(size, batchSize, seed);
          for (let i = 0; i < before; i++) first.nextBatch();
          const saved = JSON.parse(JSON.stringify(first.state()));
          const resumed = new UniformSampler(size, batchSize, seed, saved);
          expect(Array.from({ length: 6 }, () => resumed.nextBatch())).toEqual(all.slice(before));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("differs between seeds and refuses a batch larger than the dataset", () => {
    expect(new UniformSampler(50, 10, 1).nextBatch()).not.toEqual(
      new UniformSampler(50, 10, 2).nextBatch(),
    );
    expect(() => new UniformSampler(3, 4, 1)).toThrow(/batch size 4 exceeds the dataset's 3 items/);
  });
});

describe("task_balanced sampler", () => {
  const datasetArb = fc
    .array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 5 })
    .map((sizes) => sizes.flatMap((n, t) => Array.from({ length: n }, () => `task${t}`)));

  it("gives every task its share (±1, rotating the remainder), never repeats within a batch, resumes identically", () => {
    fc.assert(
      fc.property(
        datasetArb,
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 0, max: 8 }),
        fc.nat(),
        (keys, b, before, seed) => {
          const tasks = [...new Set(keys)].sort();
          const minSize = Math.min(...tasks.map((t) => keys.filter((k) => k === t).length));
          const batchSize = Math.min(b, minSize * tasks.length);
          const opts = { batchSize, over: "task" };
          const s = new TaskBalancedSampler(keys, opts, seed);
          const batches = Array.from({ length: before + tasks.length * 2 }, () => s.nextBatch());
          const totals = new Map(tasks.map((t) => [t, 0]));
          batches.forEach((batch, bi) => {
            expect(batch.length).toBe(batchSize);
            expect(new Set(batch).size).toBe(batchSize);
            const per = counts(batch.map((i) => keys[i]!));
            const shares = s.shares(bi);
            for (const t of tasks) {
              expect(per.get(t) ?? 0).toBe(shares.get(t));
              expect(Math.abs(shares.get(t)! - batchSize / tasks.length)).toBeLessThan(1);
              if (bi >= before && bi < before + tasks.length)
                totals.set(t, totals.get(t)! + shares.get(t)!);
            }
          });
          // Over any T consecutive batches every task gets exactly the same number of items.
          expect(new Set(totals.values()).size).toBe(1);
          const first = new TaskBalancedSampler(keys, opts, seed);
          for (let i = 0; i < before; i++) first.nextBatch();
          const resumed = new TaskBalancedSampler(
            keys,
            opts,
            seed,
            JSON.parse(JSON.stringify(first.state())),
          );
          expect(Array.from({ length: tasks.length * 2 }, () => resumed.nextBatch())).toEqual(
            batches.slice(before),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("re-shuffles a task that runs out instead of shrinking the batch", () => {
    const keys = ["small", "small", "big", "big", "big", "big", "big", "big", "big", "big"];
    const s = new TaskBalancedSampler(keys, { batchSize: 4, over: "task" }, 9);
    const smallSeen: number[][] = [];
    for (let b = 0; b < 4; b++) {
      const batch = s.nextBatch();
      expect(batch.length).toBe(4);
      smallSeen.push(batch.filter((i) => keys[i] === "small").sort());
    }
    for (const pair of smallSeen) expect(pair).toEqual([0, 1]);
    expect(s.state().cursors["small"]!.epoch).toBe(3);
  });

  it("follows a given task order for the remainder rotation and samples only the listed tasks", () => {
    const keys = ["a", "a", "a", "b", "b", "b", "c", "c", "c", "d", "d"];
    const s = new TaskBalancedSampler(
      keys,
      { batchSize: 4, over: "task", tasks: ["c", "a", "b"] },
      5,
    );
    expect([0, 1, 2].map((b) => [...s.shares(b)])).toEqual([
      [
        ["c", 2],
        ["a", 1],
        ["b", 1],
      ],
      [
        ["c", 1],
        ["a", 2],
        ["b", 1],
      ],
      [
        ["c", 1],
        ["a", 1],
        ["b", 2],
      ],
    ]);
    for (let b = 0; b < 6; b++) expect(s.nextBatch().every((i) => keys[i] !== "d")).toBe(true);
    expect(
      () => new TaskBalancedSampler(keys, { batchSize: 4, over: "task", tasks: ["a", "e"] }, 5),
    ).toThrow(/task "e" has no items in the dataset/);
  });

  it("names the task when a balanced batch is impossible, and rejects a state for other tasks", () => {
    const keys = ["mc", "mc", "mc", "qa", "qa", "qa", "qa", "niah"];
    expect(() => new TaskBalancedSampler(keys, { batchSize: 6, over: "task" }, 1)).toThrow(
      /task "niah" has 1 items but a batch of 6 over 3 values needs up to 2 distinct items from it/,
    );
    const state = new TaskBalancedSampler(["a", "b"], { batchSize: 2, over: "task" }, 1).state();
    expect(
      () => new TaskBalancedSampler(["a", "c"], { batchSize: 2, over: "task" }, 1, state),
    ).toThrow(/saved state covers \[a, b\] but the dataset has \[a, c\]/);
  });
});

describe("pass_rate_binned pre-balancing", () => {
  it("takes an equal number from each non-empty pass-rate bin of each task, seeded", () => {
    const items = [
      ...[0, 0, 0.1, 0.2, 0.3, 0.6, 0.7, 1, 1, 1].map((p, i) => ({
        index: i,
        task: "qa",
        passRate: p,
      })),
      ...[0.9, 0.95, 1, 0.2].map((p, i) => ({ index: 100 + i, task: "mc", passRate: p })),
    ];
    const r = passRateBinnedSelection(items, { bins: 2 }, 3);
    const bin = (p: number) => Math.min(Math.floor(p * 2), 1);
    const pr = new Map(items.map((it) => [it.index, it]));
    const per = counts(r.selected.map((i) => `${pr.get(i)!.task}/${bin(pr.get(i)!.passRate)}`));
    expect(Object.fromEntries(per)).toEqual({ "qa/0": 5, "qa/1": 5, "mc/0": 1, "mc/1": 1 });
    expect(passRateBinnedSelection(items, { bins: 2 }, 3)).toEqual(r);
    expect(passRateBinnedSelection(items, { bins: 2, perBin: 0 }, 3)).toEqual(r);
    expect(passRateBinnedSelection(items, { bins: 2 }, 4).selected).not.toEqual(r.selected);
    const r3 = passRateBinnedSelection(items, { bins: 4 }, 3);
    expect(r3.bins.filter((b) => b.task === "qa").map((b) => [b.available, b.taken])).toEqual([
      [4, 1],
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(r3.bins.filter((b) => b.task === "mc").map((b) => b.taken)).toEqual([1, 0, 0, 1]);
    expect(() => passRateBinnedSelection(items, { bins: 2, perBin: 2 }, 3)).toThrow(
      /task "mc" bin 0 \[0, 0.5\) has 1 samples, fewer than perBin = 2/,
    );
    expect(() =>
      passRateBinnedSelection([{ index: 4, task: "qa", passRate: 1.5 }], { bins: 2 }, 3),
    ).toThrow(/sample 4 \(task "qa"\) has pass rate 1.5/);
  });
});

describe("retrospective hard(pass_rate < x)", () => {
  it("carries the hard samples that fit the next stage's limits", () => {
    const r = retrospectiveCarryOver(
      [
        { index: 0, passRate: 0.1, inputTokens: 100 },
        { index: 1, passRate: 0.5, inputTokens: 100 },
        { index: 2, passRate: 0.49, inputTokens: 5000 },
        { index: 3, passRate: 0, inputTokens: 100, outputTokens: 900 },
        { index: 4, passRate: 0.2, inputTokens: 2048, outputTokens: 512 },
      ],
      (rate) => rate < 0.5,
      { maxInputTokens: 2048, maxOutputTokens: 512 },
    );
    expect(r).toEqual({ carried: [0, 4], tooEasy: 1, tooLong: 2 });
  });

  it("applies the file's comparison: <= keeps a pass rate equal to x", () => {
    const items = [0.25, 0.5, 0.75].map((passRate, index) => ({ index, passRate, inputTokens: 1 }));
    const limits = { maxInputTokens: 8, maxOutputTokens: 8 };
    expect(retrospectiveCarryOver(items, (r) => r < 0.5, limits).carried).toEqual([0]);
    expect(retrospectiveCarryOver(items, (r) => r <= 0.5, limits).carried).toEqual([0, 1]);
  });

  it("rejects a pass rate outside [0, 1], naming the sample", () => {
    expect(() =>
      retrospectiveCarryOver([{ index: 7, passRate: 1.2, inputTokens: 1 }], (r) => r < 0.5, {
        maxInputTokens: 8,
        maxOutputTokens: 8,
      }),
    ).toThrow(/sample 7 has pass rate 1.2/);
  });
});
