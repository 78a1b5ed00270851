// The rule-based rewards: pure functions of (response, record) → score in [0, 1]. Text
// matches compare the extracted short answer (extract.ts) with every accepted gold answer
// (`answer` and `aliases`) and take the best; sequence ratios compare the whole final text,
// since MRCR-style answers are long reproductions, not short spans.
//
//   contains        the normalised gold answer occurs in the normalised extracted answer as a
//                   whole run of words: the paper's rule-based check, "whether the ground
//                   truth is contained within the model output" (§5.1). Word boundaries keep
//                   "10" from being found in "100", which a character test would reward.
//   cem             cover exact match (Song et al. 2025, the paper's multi-hop QA metric,
//                   §5.1): the normalised gold answer is a substring of the normalised
//                   prediction, characters not words, as in the published implementation.
//   em              normalised exact match.
//   f1              SQuAD token F1 between normalised answers.
//   choice_accuracy the extracted choice letter equals the gold letter.
//   numeric_match   the last number of the extracted answer is close to the gold number in
//                   the sense of Python's math.isclose(rel_tol, abs_tol) (see numericMatch).
//   sequence_ratio  difflib ratio of final text and gold answer.
//   mrcr_grade      the MRCR grader (mrcrGrade below).

import type { TaskRecord } from "../data/schema.ts";
import { extractAnswer, extractChoiceLetter, extractNumber, finalText } from "./extract.ts";
import { answerTokens, normalizeAnswer } from "./normalize.ts";
import { sequenceRatio } from "./sequence-ratio.ts";

/** A rule reward: a pure score in [0, 1] of a response to a record. */
export type RuleReward = (response: string, record: TaskRecord) => number;

/** Every answer the record accepts: `answer` first, then its aliases. */
export function goldAnswers(record: TaskRecord): string[] {
  return [record.answer, ...(record.aliases ?? [])];
}

function bestOverGold(record: TaskRecord, score: (gold: string) => number): number {
  let best = 0;
  for (const gold of goldAnswers(record)) best = Math.max(best, score(gold));
  return best;
}

/** True when `needle` occurs in `haystack` as a contiguous run of whole tokens. */
function containsRun(haystack: readonly string[], needle: readonly string[]): boolean {
  if (needle.length === 0) return false;
  outer: for (let start = 0; start + needle.length <= haystack.length; start++) {
    for (let k = 0; k < needle.length; k++) if (haystack[start + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

export const contains: RuleReward = (response, record) => {
  const answer = answerTokens(extractAnswer(response));
  return bestOverGold(record, (gold) => (containsRun(answer, answerTokens(gold)) ? 1 : 0));
};

export const cem: RuleReward = (response, record) => {
  const answer = normalizeAnswer(extractAnswer(response));
  return bestOverGold(record, (gold) => {
    const g = normalizeAnswer(gold);
    return g !== "" && answer.includes(g) ? 1 : 0;
  });
};

export const em: RuleReward = (response, record) => {
  const answer = normalizeAnswer(extractAnswer(response));
  return bestOverGold(record, (gold) => (normalizeAnswer(gold) === answer ? 1 : 0));
};

/** SQuAD token F1: harmonic mean of token precision and recall, tokens counted as a bag. */
export function tokenF1(prediction: string, gold: string): number {
  const pred = answerTokens(prediction);
  const truth = answerTokens(gold);
  if (pred.length === 0 || truth.length === 0) return pred.length === truth.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of truth) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of pred) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      common++;
      counts.set(t, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / pred.length;
  const recall = common / truth.length;
  return (2 * precision * recall) / (precision + recall);
}

export const f1: RuleReward = (response, record) => {
  const answer = extractAnswer(response);
  return bestOverGold(record, (gold) => tokenF1(answer, gold));
};

export const choiceAccuracy: RuleReward = (response, record) => {
  const choices = record.task === "multiple_choice" ? record.choices : undefined;
  const letter = extractChoiceLetter(response, choices?.length ?? 26, choices);
  return letter !== undefined && letter === record.answer.trim().toUpperCase() ? 1 : 0;
};

/** Python's math.isclose: |a − b| ≤ max(rel_tol · max(|a|, |b|), abs_tol). */
export function isClose(a: number, b: number, relTol: number, absTol: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= Math.max(relTol * Math.max(Math.abs(a), Math.abs(b)), absTol);
}

export interface NumericTolerance {
  /** Relative tolerance; math.isclose's default 1e-9. */
  readonly relTol?: number;
  /** Absolute tolerance; math.isclose's default 0. */
  readonly absTol?: number;
}

/** The tolerances of `numeric_match` when the file gives none: math.isclose's defaults. */
export const NUMERIC_DEFAULTS = { relTol: 1e-9, absTol: 0 } as const;

/**
 * numeric_match(rel_tol, abs_tol). The gold number is the record's `value` for corpus_numeric
 * records, otherwise the number written in each gold answer. A percentage on one side only is
 * also tried as a fraction ("12.5%" matches 0.125), because models and datasets disagree on
 * which of the two they write; a percentage on both sides compares as written.
 */
export function numericMatch(tolerance: NumericTolerance = {}): RuleReward {
  const relTol = tolerance.relTol ?? NUMERIC_DEFAULTS.relTol;
  const absTol = tolerance.absTol ?? NUMERIC_DEFAULTS.absTol;
  if (!(relTol >= 0) || !(absTol >= 0)) {
    throw new RangeError(
      `numeric_match: tolerances must be ≥ 0, got rel_tol=${relTol}, abs_tol=${absTol}`,
    );
  }
  return (response, record) => {
    const predicted = extractNumber(extractAnswer(response));
    if (predicted === undefined) return 0;
    const golds =
      record.task === "corpus_numeric"
        ? [{ value: record.value, percent: record.unit === "%" }]
        : goldAnswers(record).flatMap((g) => extractNumber(g) ?? []);
    for (const gold of golds) {
      const candidates = [predicted.value];
      if (predicted.percent && !gold.percent) candidates.push(predicted.value / 100);
      if (gold.percent && !predicted.percent) candidates.push(predicted.value * 100);
      if (candidates.some((v) => isClose(v, gold.value, relTol, absTol))) return 1;
    }
    return 0;
  };
}

export const sequenceRatioReward: RuleReward = (response, record) => {
  const text = finalText(response);
  return bestOverGold(record, (gold) => sequenceRatio(text, gold));
};

/**
 * The MRCR grader, following the grading function published with openai/mrcr:
 *
 *   if not response.startswith(random_string_to_prepend): return 0
 *   response = response.removeprefix(random_string_to_prepend)
 *   answer = answer.removeprefix(random_string_to_prepend)
 *   return SequenceMatcher(None, response, answer).ratio()
 *
 * Our records keep the prefix in `prefix` and store `answer` without it; removing the prefix
 * from the answer anyway keeps datasets that store it (as MRCR does) graded the same. The
 * response is the final text (after `</think>`): the official grader sees a non-thinking
 * model's reply, which is exactly that part.
 */
export const mrcrGrade: RuleReward = (response, record) => {
  if (record.task !== "dialogue_memory") {
    throw new TypeError(
      `mrcr_grade: record ${record.id} is a ${record.task} task; it needs a dialogue_memory record with a prefix`,
    );
  }
  const text = finalText(response);
  if (!text.startsWith(record.prefix)) return 0;
  const strip = (s: string) => (s.startsWith(record.prefix) ? s.slice(record.prefix.length) : s);
  return bestOverGold(record, (gold) => sequenceRatio(strip(text), strip(gold)));
};
