// Evaluation aggregates: per benchmark, the mean score and its standard error over the
// samples that were scored, with failed samples (judge failures) counted beside them rather
// than averaged in as zeros. Scores stay in [0, 1]; reports multiply by 100 as the paper's
// tables do (§5.1: accuracy for multiple choice, SequenceMatcher ratio for MRCR, max(CEM,
// judge) for multi-hop QA).

import type { RewardOutcome } from "./registry.ts";

export interface ScoreSummary {
  /** Samples seen, scored + failed. */
  readonly n: number;
  readonly scored: number;
  /** Samples whose reward could not be computed (judge failure); not in the mean. */
  readonly failed: number;
  /** Scored samples for which the judge was consulted. */
  readonly judged: number;
  /** Mean score over scored samples; null when none was scored. */
  readonly mean: number | null;
  /** Standard error of the mean, sample std / √scored; null below two scored samples. */
  readonly stderr: number | null;
}

/** Mean, standard error and counts of a list of outcomes. */
export function summarize(outcomes: Iterable<RewardOutcome>): ScoreSummary {
  // Welford's update keeps the variance exact enough for long evaluation runs.
  let scored = 0;
  let failed = 0;
  let judged = 0;
  let mean = 0;
  let m2 = 0;
  for (const outcome of outcomes) {
    if (!outcome.ok) {
      failed++;
      continue;
    }
    scored++;
    if (outcome.judged) judged++;
    const delta = outcome.score - mean;
    mean += delta / scored;
    m2 += delta * (outcome.score - mean);
  }
  return {
    n: scored + failed,
    scored,
    failed,
    judged,
    mean: scored === 0 ? null : mean,
    stderr: scored < 2 ? null : Math.sqrt(m2 / (scored - 1) / scored),
  };
}

export interface BenchmarkOutcome {
  readonly benchmark: string;
  readonly outcome: RewardOutcome;
}

/** One summary per benchmark, benchmarks in order of first appearance. */
export function summarizeByBenchmark(rows: Iterable<BenchmarkOutcome>): Map<string, ScoreSummary> {
  const groups = new Map<string, RewardOutcome[]>();
  for (const { benchmark, outcome } of rows) {
    const group = groups.get(benchmark);
    if (group === undefined) groups.set(benchmark, [outcome]);
    else group.push(outcome);
  }
  return new Map([...groups].map(([benchmark, outcomes]) => [benchmark, summarize(outcomes)]));
}

/**
 * The unweighted mean of the benchmark means (the paper's "Avg." column); null when a
 * benchmark has no scored sample, since an average over the others would mislead.
 */
export function macroAverage(summaries: ReadonlyMap<string, ScoreSummary>): number | null {
  let total = 0;
  for (const summary of summaries.values()) {
    if (summary.mean === null) return null;
    total += summary.mean;
  }
  return summaries.size === 0 ? null : total / summaries.size;
}
