// Rewards by name: the compiler lowers a task's `reward` expression to the IR's `Reward`
// (snake_case, compiler/ir/schema.ts); `rewardSpecFromIr` turns it into a RewardSpec (the
// camelCase form the task suite also uses, validated by `rewardSpecSchema`), and
// `buildReward` into a Reward. Built-in names: choice_accuracy, contains, cem, em, f1,
// numeric_match, sequence_ratio, mrcr_grade, judge, max, fallback.
//
// Combinators:
//   max(a, b, …)       the best score. Scores lie in [0, 1], so evaluation stops at the first
//                      component scoring 1: `max(cem, judge)` (the paper's multi-hop QA metric,
//                      §5.1) asks the judge only when CEM misses, and the result is the same.
//   fallback(a, b, …)  the first component that passes (scores 1); if none does, the last
//                      one's result. `fallback(contains, judge)` is the paper's hybrid reward
//                      (§5.1): "gpt-oss-120b is employed as an external judge for questions
//                      where rule-based verification is failed".
// A judge failure makes the sample failed, unless another component already scored 1 (the
// result is then known without the judge); in `fallback`, a failed component other than the
// last falls through to the next, like a miss. A failed outcome carries the best score the
// other components reached, for logs only: metrics count it as failed, never as that score.

import { z } from "zod";
import type { Reward as IrReward } from "../../compiler/ir/schema.ts";
import type { TaskRecord } from "../data/schema.ts";
import type { EquivalenceJudge, JudgeFailure } from "../judge/types.ts";
import { extractAnswer } from "./extract.ts";
import {
  cem,
  choiceAccuracy,
  contains,
  em,
  f1,
  mrcrGrade,
  numericMatch,
  sequenceRatioReward,
  type RuleReward,
} from "./rules.ts";

export const RULE_REWARDS = {
  choice_accuracy: choiceAccuracy,
  contains,
  cem,
  em,
  f1,
  sequence_ratio: sequenceRatioReward,
  mrcr_grade: mrcrGrade,
} as const satisfies Record<string, RuleReward>;

export type RuleRewardName = keyof typeof RULE_REWARDS;

export const REWARD_NAMES = [
  ...(Object.keys(RULE_REWARDS) as RuleRewardName[]),
  "numeric_match",
  "judge",
  "max",
  "fallback",
] as const;

export type RewardName = (typeof REWARD_NAMES)[number];

export type RewardSpec =
  | { readonly name: RuleRewardName }
  | { readonly name: "numeric_match"; readonly relTol?: number; readonly absTol?: number }
  | { readonly name: "judge" }
  | { readonly name: "max" | "fallback"; readonly of: readonly RewardSpec[] };

export const rewardSpecSchema: z.ZodType<RewardSpec> = z.lazy(() =>
  z.union([
    z.strictObject({
      name: z.enum(Object.keys(RULE_REWARDS) as [RuleRewardName, ...RuleRewardName[]]),
    }),
    z.strictObject({
      name: z.literal("numeric_match"),
      relTol: z.number().nonnegative().optional(),
      absTol: z.number().nonnegative().optional(),
    }),
    z.strictObject({ name: z.literal("judge") }),
    z.strictObject({ name: z.enum(["max", "fallback"]), of: z.array(rewardSpecSchema).min(1) }),
  ]),
);

export type RewardOutcome =
  | {
      readonly ok: true;
      readonly score: number;
      /** The judge was consulted for this sample (answered from cache or not). */
      readonly judged: boolean;
    }
  | {
      readonly ok: false;
      readonly failure: JudgeFailure;
      /** Best score the other components reached; informative only, never a reward. */
      readonly partial: number;
    };

export interface Reward {
  readonly spec: RewardSpec;
  /** True when the reward may call the judge (the executor then needs a judge client). */
  readonly usesJudge: boolean;
  score(response: string, record: TaskRecord): Promise<RewardOutcome>;
}

export interface RewardDeps {
  /** Required by specs that contain `judge`. */
  readonly judge?: EquivalenceJudge;
}

function ruleReward(spec: RewardSpec, rule: RuleReward): Reward {
  return {
    spec,
    usesJudge: false,
    score: async (response, record) => ({ ok: true, score: rule(response, record), judged: false }),
  };
}

function judgeReward(spec: RewardSpec, judge: EquivalenceJudge): Reward {
  return {
    spec,
    usesJudge: true,
    async score(response, record) {
      const result = await judge.judge({
        question: record.question,
        predicted: extractAnswer(response),
        gold: record.answer,
      });
      if (!result.ok) return { ok: false, failure: result.failure, partial: 0 };
      return { ok: true, score: result.equivalent ? 1 : 0, judged: true };
    },
  };
}

/** max and fallback: evaluate in order, stop at the first component that scores 1. */
function combinator(spec: RewardSpec & { name: "max" | "fallback" }, parts: Reward[]): Reward {
  return {
    spec,
    usesJudge: parts.some((p) => p.usesJudge),
    async score(response, record) {
      let best = 0;
      let judged = false;
      let failure: JudgeFailure | undefined;
      let last: RewardOutcome | undefined;
      for (const part of parts) {
        last = await part.score(response, record);
        if (!last.ok) {
          failure ??= last.failure;
          best = Math.max(best, last.partial);
          continue;
        }
        judged ||= last.judged;
        if (last.score >= 1) return { ok: true, score: last.score, judged };
        best = Math.max(best, last.score);
      }
      if (spec.name === "max") {
        return failure === undefined
          ? { ok: true, score: best, judged }
          : { ok: false, failure, partial: best };
      }
      // fallback: nothing passed, so the last component decides.
      return last!.ok
        ? { ok: true, score: last!.score, judged }
        : { ok: false, failure: last!.failure, partial: best };
    },
  };
}

/** The Reward a spec names; throws when a judge is needed and none is given. */
export function buildReward(spec: RewardSpec, deps: RewardDeps = {}): Reward {
  switch (spec.name) {
    case "numeric_match":
      return ruleReward(spec, numericMatch({ relTol: spec.relTol, absTol: spec.absTol }));
    case "judge":
      if (deps.judge === undefined) {
        throw new Error(
          "reward `judge` needs a judge client: add a `judge` block to the experiment",
        );
      }
      return judgeReward(spec, deps.judge);
    case "max":
    case "fallback":
      if (spec.of.length === 0)
        throw new RangeError(`reward \`${spec.name}\` needs at least one component`);
      return combinator(
        spec,
        spec.of.map((part) => buildReward(part, deps)),
      );
    default:
      return ruleReward(spec, RULE_REWARDS[spec.name]);
  }
}

/** The paper's training reward (§5.1): rule-based containment, the judge only on a miss. */
export const HYBRID_REWARD: RewardSpec = {
  name: "fallback",
  of: [{ name: "contains" }, { name: "judge" }],
};

/** The IR's reward expression (compiler/ir/schema.ts `Reward`, snake_case) as a RewardSpec. */
export function rewardSpecFromIr(reward: IrReward): RewardSpec {
  switch (reward.op) {
    case "numeric_match":
      return { name: "numeric_match", relTol: reward.rel_tol, absTol: reward.abs_tol };
    case "max":
    case "fallback":
      return { name: reward.op, of: reward.of.map(rewardSpecFromIr) };
    default:
      return { name: reward.op };
  }
}
