// What every registered check receives: the checked experiment, its stage graph, a reporter.
import type { Diagnostic } from "../../language/diagnostics.ts";
import type { ExperimentModel } from "../check.ts";
import type { ScheduleGraph } from "../schedule.ts";

export interface CheckInput {
  readonly model: ExperimentModel;
  readonly graph: ScheduleGraph;
  /** Each stage's and merge's index in `graph.order`, for order tests without a scan. */
  readonly position: ReadonlyMap<string, number>;
  report(d: Diagnostic): void;
}

export type Check<N> = (node: N, input: CheckInput) => void;
