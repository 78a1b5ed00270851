// The stage graph of an experiment: which weights each stage starts from (explicit `from`, the
// previous stage, or the initial model) and which models each merge combines. Shared by the
// schedule checks and lowering so both read the same edges.
import type { ExperimentModel, MergeModel, StageModel } from "./check.ts";
import { call, refNames, str } from "./values.ts";

export interface ScheduleGraph {
  /** Declaration order of stages and merges. */
  readonly order: readonly string[];
  readonly nodes: ReadonlyMap<string, StageModel | MergeModel>;
  /** A stage's start: a stage or merge name, or null for the initial model. */
  readonly startOf: ReadonlyMap<string, string | null>;
  /** The edges into each node: a stage's start, a merge's inputs. */
  readonly parents: ReadonlyMap<string, readonly string[]>;
  /** The declared model each stage's weights descend from (undefined when unknown). */
  readonly modelOf: ReadonlyMap<string, string | undefined>;
}

export function mergeInputs(m: MergeModel): string[] {
  return refNames(call(m.value)?.args.get("models"));
}

export function scheduleGraph(model: ExperimentModel): ScheduleGraph {
  const nodes = new Map<string, StageModel | MergeModel>();
  for (const n of model.schedule) if (!nodes.has(n.name)) nodes.set(n.name, n);
  const startOf = new Map<string, string | null>();
  const parents = new Map<string, string[]>();
  let previousStage: string | null = null;
  for (const n of nodes.values()) {
    if (n.kind === "stage") {
      const explicitModel = n.explicit.has("model");
      const start = n.from?.name ?? (explicitModel ? null : previousStage);
      startOf.set(n.name, start);
      parents.set(n.name, start === null ? [] : [start]);
      previousStage = n.name;
    } else {
      parents.set(n.name, mergeInputs(n));
    }
  }
  const firstModel = model.models[0]?.name;
  const modelOf = new Map<string, string | undefined>();
  const resolving = new Set<string>();
  const resolve = (name: string): string | undefined => {
    if (modelOf.has(name)) return modelOf.get(name);
    const n = nodes.get(name);
    if (n === undefined || resolving.has(name)) return undefined; // unknown or cyclic: reported elsewhere
    resolving.add(name);
    let m: string | undefined;
    if (n.kind === "stage") {
      const start = startOf.get(name);
      m =
        start === null || start === undefined
          ? (str(n.fields.get("model")) ?? firstModel)
          : resolve(start);
    } else {
      const roots = new Set((parents.get(name) ?? []).map(resolve));
      m = roots.size === 1 ? [...roots][0] : undefined;
    }
    resolving.delete(name);
    modelOf.set(name, m);
    return m;
  };
  for (const name of nodes.keys()) resolve(name);
  return { order: [...nodes.keys()], nodes, startOf, parents, modelOf };
}

/** Every node `name` descends from (transitively through starts and merge inputs). */
export function ancestors(g: ScheduleGraph, name: string): Set<string> {
  const out = new Set<string>();
  const stack = [...(g.parents.get(name) ?? [])];
  while (stack.length > 0) {
    const n = stack.pop() as string;
    if (out.has(n)) continue;
    out.add(n);
    stack.push(...(g.parents.get(n) ?? []));
  }
  return out;
}
