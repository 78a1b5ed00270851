// `pass_rate_binned(bins)` pre-balancing (paper §4.2, first bullet): before training, the base
// model answers every sample k times (a pre-inference pass); per source (task), the samples are
// stratified into `bins` equal-width bins of pass rate over [0, 1] (bin j holds
// j/bins ≤ p < (j+1)/bins, the last bin also p = 1), and an equal number of samples is drawn
// uniformly without replacement from each non-empty bin. That number is `perBin` if given and
// non-zero (the IR's per_bin), else the size of the task's smallest non-empty bin (the most
// that every bin can supply). Empty bins
// contribute nothing and are reported. The draw is seeded per (task, bin).

import { Rng } from "../../rng.ts";

export interface PassRateItem {
  readonly index: number;
  readonly task: string;
  /** Fraction of the pre-inference samples that were correct, in [0, 1]. */
  readonly passRate: number;
}

export interface PassRateBinnedOptions {
  readonly bins: number;
  /** Samples per bin and task; 0 or absent: the size of the task's smallest non-empty bin. */
  readonly perBin?: number;
}

export interface PassRateBin {
  readonly task: string;
  readonly bin: number;
  readonly low: number;
  readonly high: number;
  readonly available: number;
  readonly taken: number;
}

export interface PassRateBinnedResult {
  /** Selected dataset indices, ascending. */
  readonly selected: number[];
  readonly bins: PassRateBin[];
}

export function passRateBinnedSelection(
  items: readonly PassRateItem[],
  opts: PassRateBinnedOptions,
  seed: number,
): PassRateBinnedResult {
  const k = opts.bins;
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`pass_rate_binned: bins must be a positive integer, got ${k}`);
  if (opts.perBin !== undefined && !(Number.isInteger(opts.perBin) && opts.perBin >= 0)) {
    throw new Error(`pass_rate_binned: perBin must be a non-negative integer, got ${opts.perBin}`);
  }
  const byTask = new Map<string, number[][]>();
  for (const it of items) {
    if (!(it.passRate >= 0 && it.passRate <= 1)) {
      throw new Error(
        `pass_rate_binned: sample ${it.index} (task "${it.task}") has pass rate ${it.passRate}, outside [0, 1]`,
      );
    }
    let bins = byTask.get(it.task);
    if (!bins) byTask.set(it.task, (bins = Array.from({ length: k }, () => [])));
    bins[Math.min(Math.floor(it.passRate * k), k - 1)]!.push(it.index);
  }
  const selected: number[] = [];
  const report: PassRateBin[] = [];
  for (const task of [...byTask.keys()].sort()) {
    const bins = byTask.get(task)!;
    const nonEmpty = bins.filter((b) => b.length > 0);
    const perBin = opts.perBin ? opts.perBin : Math.min(...nonEmpty.map((b) => b.length));
    bins.forEach((members, j) => {
      if (members.length > 0 && members.length < perBin) {
        throw new Error(
          `pass_rate_binned: task "${task}" bin ${j} [${j / k}, ${(j + 1) / k}) has ${members.length} samples, fewer than perBin = ${perBin}`,
        );
      }
      const taken =
        members.length > 0
          ? Rng.stream(seed, "pass_rate_binned", task, j)
              .shuffle([...members])
              .slice(0, perBin)
          : [];
      selected.push(...taken);
      report.push({
        task,
        bin: j,
        low: j / k,
        high: (j + 1) / k,
        available: members.length,
        taken: taken.length,
      });
    });
  }
  selected.sort((a, b) => a - b);
  return { selected, bins: report };
}
