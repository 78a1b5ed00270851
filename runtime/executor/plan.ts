// Reads the IR for the executor: typed access to a stage's nodes and the conversions from IR
// values to the runtime libraries' option types. Semantics are fixed in lowering and in the
// libraries; this file only translates names (IR snake_case → library options).
import type {
  Comparison,
  ExperimentIr,
  GraphNode,
  Merge,
  Stage,
} from "../../compiler/ir/schema.ts";
import type { AdvantageOptions } from "../rl/advantages.ts";
import type { NegativeGradientClipOptions } from "../rl/clipping.ts";
import type { MergeMethod } from "../merge/tensorMerge.ts";

type NodeOf<K extends GraphNode["kind"]> = Extract<GraphNode, { kind: K }>;

export interface StageNodes {
  readonly dataset: NodeOf<"dataset">;
  readonly sampler: NodeOf<"sampler">;
  readonly rollout: NodeOf<"rollout">;
  readonly reward: NodeOf<"reward">;
  readonly advantage: NodeOf<"advantage">;
  readonly mask: NodeOf<"mask">;
  readonly control: NodeOf<"control">;
  readonly loss: NodeOf<"loss">;
  readonly optimizer: NodeOf<"optimizer">;
  readonly evaluate: NodeOf<"evaluate"> | undefined;
}

/** The stage's nodes by kind. Lowering emits exactly one of each (evaluate is optional). */
export function stageNodes(stage: Stage): StageNodes {
  const one = <K extends GraphNode["kind"]>(kind: K): NodeOf<K> => {
    const found = stage.nodes.filter((n): n is NodeOf<K> => n.kind === kind);
    if (found.length !== 1) {
      throw new Error(`IR stage ${stage.name}: expected one ${kind} node, found ${found.length}`);
    }
    return found[0]!;
  };
  const evaluate = stage.nodes.find((n): n is NodeOf<"evaluate"> => n.kind === "evaluate");
  return {
    dataset: one("dataset"),
    sampler: one("sampler"),
    rollout: one("rollout"),
    reward: one("reward"),
    advantage: one("advantage"),
    mask: one("mask"),
    control: one("control"),
    loss: one("loss"),
    optimizer: one("optimizer"),
    evaluate,
  };
}

export function stages(ir: ExperimentIr): Stage[] {
  return ir.schedule.filter((n): n is Stage => n.kind === "stage");
}

export function advantageOptions(n: NodeOf<"advantage">): AdvantageOptions {
  if (n.op === "grpo") return { kind: "grpo", std: n.std, eps: n.eps };
  return { kind: n.op };
}

/** The negative-gradient clip (Eq. 8-9), or undefined when the stage masks nothing. */
export function clipOptions(n: NodeOf<"mask">): NegativeGradientClipOptions | undefined {
  if (n.op === "none") return undefined;
  if (n.level === null || n.entropy === null) {
    throw new Error(
      `IR mask node ${n.id}: negative_gradient needs a level and an entropy threshold`,
    );
  }
  const above = n.entropy.op === ">" || n.entropy.op === ">=";
  return { level: n.level, when: above ? "above" : "below", threshold: n.entropy.value };
}

export function mergeMethod(m: Merge): MergeMethod {
  const weights = m.weights.length > 0 ? m.weights : undefined;
  const lambda = m.scale ?? undefined;
  switch (m.op) {
    case "linear":
      return { kind: "linear", weights };
    case "task_arithmetic":
      return { kind: "task_arithmetic", weights, lambda };
    case "ties":
      return { kind: "ties", density: m.density ?? 1, weights, lambda };
    case "dare":
      return { kind: "dare", density: m.density ?? 1, seed: m.seed ?? 0, weights, lambda };
    case "sce":
      return { kind: "sce", topk: m.topk ?? 1 };
  }
}

/** Whether `x` satisfies an IR comparison such as `accuracy >= 0.3` or `pass_rate < 0.5`. */
export function holds(c: Comparison, x: number): boolean {
  return c.op === "<"
    ? x < c.value
    : c.op === "<="
      ? x <= c.value
      : c.op === ">"
        ? x > c.value
        : x >= c.value;
}
