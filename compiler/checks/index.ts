// The semantic checks, registered per node kind (STYLE.md: one table, small checkX functions).
// Type and name errors are found by the table-driven checker before these run; each check
// skips poisoned values, so one mistake yields one diagnostic.
import type { Diagnostic } from "../../language/diagnostics.ts";
import type { BlockModel, ExperimentModel, MergeModel, StageModel } from "../check.ts";
import { scheduleGraph } from "../schedule.ts";
import type { Check, CheckInput } from "./context.ts";
import {
  checkBatchDivisible,
  checkEntropyControl,
  checkGroupBaseline,
  checkLearningRate,
  checkLoss,
  checkSampler,
  checkTemperature,
  checkTinyShape,
  checkWarmup,
} from "./rl.ts";
import {
  checkEvaluateCadence,
  checkEvaluateLengths,
  checkInputGrows,
  checkMergeBase,
  checkMergeModels,
  checkMergeUsed,
  checkRetrospective,
  checkScheduleAcyclic,
  checkScheduleNotEmpty,
  checkStageContext,
  checkStageStart,
} from "./schedule.ts";
import { checkJudgeDeclared, checkTaskReward } from "./tasks.ts";

export const CHECKS: {
  readonly experiment: readonly Check<ExperimentModel>[];
  readonly model: readonly Check<BlockModel>[];
  readonly task: readonly Check<BlockModel>[];
  readonly stage: readonly Check<StageModel>[];
  readonly merge: readonly Check<MergeModel>[];
} = {
  experiment: [
    checkScheduleNotEmpty,
    checkScheduleAcyclic,
    checkEvaluateLengths,
    checkBatchDivisible,
    checkGroupBaseline,
    checkLoss,
    checkLearningRate,
    checkEntropyControl,
    checkSampler,
    checkTemperature,
    checkWarmup,
  ],
  model: [checkTinyShape],
  task: [checkTaskReward, checkJudgeDeclared],
  stage: [
    checkStageStart,
    checkStageContext,
    checkRetrospective,
    checkInputGrows,
    checkEvaluateCadence,
  ],
  merge: [checkMergeModels, checkMergeBase, checkMergeUsed],
};

export function runChecks(model: ExperimentModel, report: (d: Diagnostic) => void): void {
  const graph = scheduleGraph(model);
  const position = new Map(graph.order.map((name, i) => [name, i]));
  const input: CheckInput = { model, graph, position, report };
  for (const c of CHECKS.experiment) c(model, input);
  for (const m of model.models) for (const c of CHECKS.model) c(m, input);
  for (const t of model.tasks) for (const c of CHECKS.task) c(t, input);
  for (const n of model.schedule) {
    if (n.kind === "stage") for (const c of CHECKS.stage) c(n, input);
    else for (const c of CHECKS.merge) c(n, input);
  }
}
