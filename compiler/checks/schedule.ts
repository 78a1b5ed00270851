// Stage-graph rules (QLX4xxx): `from` order and cycles, merges of one model with a real base,
// length limits against the context window, retrospective sampling, evaluation cadence.
import { diag } from "../../language/diagnostics.ts";
import { agentBudget } from "../agent-budget.ts";
import type { ExperimentModel, MergeModel, StageModel } from "../check.ts";
import { ancestors, mergeInputs } from "../schedule.ts";
import { suggestion } from "../suggest.ts";
import { call, num, refNames, str } from "../values.ts";
import type { CheckInput } from "./context.ts";

export function checkScheduleNotEmpty(m: ExperimentModel, { report }: CheckInput): void {
  const train = m.root.fields.get("train");
  if (train?.k === "bool" && !train.v) return;
  if (!m.schedule.some((n) => n.kind === "stage")) report(diag("QLX4007", m.node.headSpan, {}));
}

/** A cycle through `from` and merge inputs, reported once at its first node. */
export function checkScheduleAcyclic(m: ExperimentModel, { graph, report }: CheckInput): void {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done" || !graph.nodes.has(name)) return undefined;
    if (state.get(name) === "open") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "open");
    path.push(name);
    for (const p of graph.parents.get(name) ?? []) {
      const cycle = visit(p);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const name of graph.order) {
    const cycle = visit(name);
    if (cycle !== undefined) {
      const node = graph.nodes.get(cycle[0]) as StageModel | MergeModel;
      report(
        diag("QLX4001", node.kind === "stage" ? node.node.headSpan : node.span, {
          cycle: cycle.reverse().join(" → "),
        }),
      );
      return;
    }
  }
}

export function checkStageStart(s: StageModel, { graph, position, report }: CheckInput): void {
  if (s.from === undefined) return;
  const target = graph.nodes.get(s.from.name);
  if (target === undefined) {
    report(
      diag("QLX2005", s.from.span, {
        name: s.from.name,
        what: "stage or merge",
        ...suggestion(s.from.name, graph.order),
      }),
    );
    return;
  }
  // A forward `from` that closes a cycle is reported once, as the cycle.
  if (position.get(s.from.name)! > position.get(s.name)! && !ancestors(graph, s.name).has(s.name)) {
    report(diag("QLX4002", s.from.span, { name: s.name, target: s.from.name }));
  }
}

function contextOf(
  m: ExperimentModel,
  graph: CheckInput["graph"],
  stage: string,
): number | undefined {
  const modelName = graph.modelOf.get(stage);
  const model = m.models.find((x) => x.name === modelName);
  return num(model?.fields.get("context"));
}

export function checkStageContext(s: StageModel, { model, graph, report }: CheckInput): void {
  const context = contextOf(model, graph, s.name);
  const input = num(s.fields.get("input"));
  const output = num(s.fields.get("output"));
  if (context === undefined || input === undefined || output === undefined) return;
  const agent = call(s.fields.get("agent"));
  if (agent?.fn === "memory") {
    // §2.3: a reading step holds the template, the chunk and the previous memory and plan, and
    // writes the new memory and plan; the answer step holds the final memory and writes the
    // answer. The longer of the two must fit.
    const modelName = graph.modelOf.get(s.name);
    const init = call(model.models.find((x) => x.name === modelName)?.fields.get("init"));
    const chunk = num(agent.args.get("chunk")) ?? 0;
    const memory = num(agent.args.get("memory")) ?? 0;
    const b = agentBudget({
      input,
      output,
      chunk,
      memory,
      maxChunks: num(agent.args.get("max_chunks")) ?? 0,
      tinyModel: init?.fn === "tiny",
    });
    const need = Math.max(b.readingStep, b.answerStep);
    if (need > context) {
      const detail =
        b.readingStep >= b.answerStep
          ? `chunk ${chunk} + 2 × memory ${memory} + template ${b.template}`
          : `memory ${memory} + output ${output} + template ${b.template}`;
      report(diag("QLX4011", agent.span, { stage: s.name, need, context, detail }));
    }
    return; // a memory agent reads the document in chunks: input may exceed the context
  }
  if (output >= context) {
    report(
      diag("QLX4005", s.fields.get("output")?.span ?? s.node.headSpan, {
        stage: s.name,
        output,
        context,
      }),
    );
  } else if (input + output > context) {
    report(diag("QLX4006", s.node.headSpan, { stage: s.name, total: input + output, context }));
  }
}

export function checkRetrospective(s: StageModel, { graph, report }: CheckInput): void {
  const r = s.fields.get("retrospective");
  if (r?.k !== "call") return;
  // Stops at the first stage: a scan per stage, not a copy of the order before it (a recipe
  // of hundreds of stages made this check quadratic).
  for (const n of graph.order) {
    if (n === s.name) break;
    if (graph.nodes.get(n)?.kind === "stage") return;
  }
  report(diag("QLX4009", r.span, { stage: s.name }));
}

export function checkInputGrows(s: StageModel, { graph, report }: CheckInput): void {
  const start = graph.startOf.get(s.name);
  const prev = start === null || start === undefined ? undefined : graph.nodes.get(start);
  if (
    prev?.kind !== "stage" ||
    s.fields.get("agent")?.k === "call" ||
    prev.fields.get("agent")?.k === "call"
  )
    return;
  const a = num(prev.fields.get("input"));
  const b = num(s.fields.get("input"));
  if (a !== undefined && b !== undefined && b < a) {
    report(diag("QLX4012", s.fields.get("input")?.span ?? s.node.headSpan, { stage: s.name }));
  }
}

export function checkEvaluateCadence(s: StageModel, { model, report }: CheckInput): void {
  const every = num(model.evaluate?.fields.get("every"));
  const steps = num(s.fields.get("steps"));
  if (every === undefined || steps === undefined || every === 0 || every <= steps) return;
  report(
    diag("QLX4008", model.evaluate?.fields.get("every")?.span ?? s.node.headSpan, {
      every,
      stage: s.name,
      steps,
    }),
  );
}

export function checkMergeModels(mg: MergeModel, { graph, report }: CheckInput): void {
  const inputs = mergeInputs(mg);
  const roots = new Set(inputs.map((i) => graph.modelOf.get(i)));
  if (roots.has(undefined) || roots.size <= 1) return;
  report(diag("QLX4003", mg.span, { name: mg.name, models: [...roots].join(", ") }));
}

export function checkMergeBase(mg: MergeModel, { graph, report }: CheckInput): void {
  const c = call(mg.value);
  const base = str(c?.args.get("base"));
  if (c === undefined || base === undefined || c.args.get("base")?.k !== "ref") return;
  const inputs = mergeInputs(mg);
  if (inputs.includes(base)) return;
  if (inputs.every((i) => ancestors(graph, i).has(base))) return;
  report(diag("QLX4004", c.args.get("base")?.span ?? mg.span, { name: mg.name, base }));
}

export function checkMergeUsed(mg: MergeModel, { model, graph, report }: CheckInput): void {
  const usedByStage = [...graph.startOf.values()].includes(mg.name);
  const usedByMerge = model.schedule.some(
    (n) => n.kind === "merge" && mergeInputs(n).includes(mg.name),
  );
  const evaluated = refNames(model.evaluate?.fields.get("after")).includes(mg.name);
  const last = graph.order[graph.order.length - 1] === mg.name;
  if (!usedByStage && !usedByMerge && !evaluated && !last)
    report(diag("QLX4010", mg.span, { name: mg.name }));
}

/** Evaluation lengths default to the last stage's; without stages they must be given. */
export function checkEvaluateLengths(m: ExperimentModel, { report }: CheckInput): void {
  if (m.evaluate === undefined || m.schedule.some((n) => n.kind === "stage")) return;
  for (const name of ["input", "output"]) {
    if (m.evaluate.fields.get(name)?.k === "absent")
      report(
        diag("QLX3003", m.evaluate.node.headSpan, {
          name,
          parent: "evaluate (no stage to take it from)",
        }),
      );
  }
}
