// The IR-derived constants the generated Python reads (`qlx_verl/config.json`) and the mergekit
// configurations of the schedule's merges. The stage graphs are copied as the IR has them, so
// the Python implements exactly the nodes the compiler lowered (defaults resolved in lowering).
// A memory-agent stage also carries its prompt templates, taken from runtime/agent/templates.ts
// (the one source of the agent's wording).
import { stringify } from "yaml";
import { agentTemplateText, type AgentTemplateText } from "../../../runtime/agent/templates.ts";
import type { ExperimentIr, Merge, Stage } from "../../ir/schema.ts";
import { stageNode } from "./overrides.ts";
import { verlRuntimeNames, type VerlVersion } from "./keys.ts";

export interface PluginConfig {
  readonly experiment: string;
  readonly seed: number;
  readonly verl_version: VerlVersion;
  readonly verl_names: Record<string, string>;
  readonly tasks: Record<string, { data: string; reward: unknown }>;
  readonly judge: Record<string, unknown> | null;
  readonly stages: Record<
    string,
    {
      name: string;
      input: number;
      output: number;
      steps: number;
      nodes: unknown[];
      agent_template?: AgentTemplateText;
    }
  >;
  readonly schedule: Record<string, unknown>[];
}

function initModel(ir: ExperimentIr, stage: Stage): string {
  const model = ir.models.find((m) => m.name === stage.model);
  if (model === undefined)
    throw new Error(`IR stage '${stage.name}' names unknown model '${stage.model}'`);
  // Non-HF models are rejected with a diagnostic before emission (index.ts).
  return model.init.kind === "hf" ? model.init.id : "";
}

export function pluginConfig(ir: ExperimentIr, version: VerlVersion): PluginConfig {
  const tasks: PluginConfig["tasks"] = {};
  for (const t of ir.tasks) {
    tasks[t.name] = { data: t.data.kind === "path" ? t.data.path : "", reward: t.reward };
  }
  const judge = ir.judge;
  const stages: PluginConfig["stages"] = {};
  const schedule: Record<string, unknown>[] = [];
  for (const entry of ir.schedule) {
    if (entry.kind === "merge") {
      schedule.push({ kind: "merge", name: entry.name, from: null, models: entry.models });
      continue;
    }
    const agent = stageNode(entry, "rollout").agent;
    stages[entry.name] = {
      name: entry.name,
      input: entry.input,
      output: entry.output,
      steps: entry.steps,
      nodes: entry.nodes,
      // The memory agent's prompts, rendered by qlx_verl/memory_agent.py from the runtime's own
      // templates (natural style: the bundle trains Hugging Face models).
      ...(agent === null ? {} : { agent_template: agentTemplateText("natural", agent.plan) }),
    };
    const retro = stageNode(entry, "dataset").retrospective;
    schedule.push({
      kind: "stage",
      name: entry.name,
      from: entry.from,
      init_model: entry.from === null ? initModel(ir, entry) : null,
      input: entry.input,
      output: entry.output,
      retrospective:
        retro === null
          ? null
          : { from_stage: retro.from_stage, op: retro.pass_rate.op, value: retro.pass_rate.value },
    });
  }
  return {
    experiment: ir.name,
    seed: ir.seed,
    verl_version: version,
    verl_names: verlRuntimeNames(version),
    tasks,
    judge:
      judge === null
        ? null
        : {
            ...(judge.endpoint.kind === "env"
              ? { endpoint_env: judge.endpoint.name }
              : { endpoint: judge.endpoint.value }),
            ...(judge.api_key === null
              ? {}
              : judge.api_key.kind === "env"
                ? { api_key_env: judge.api_key.name }
                : { api_key: judge.api_key.value }),
            model: judge.model,
            prompt: judge.prompt.text,
            prompt_source: judge.prompt.source,
            timeout_s: judge.timeout_s,
            retries: judge.retries,
          },
    stages,
    schedule,
  };
}

/** mergekit's name and parameters for each qlx merge (mergekit-yaml's `merge_method`). */
const MERGEKIT_METHOD: Record<Merge["op"], string> = {
  linear: "linear",
  task_arithmetic: "task_arithmetic",
  ties: "ties",
  dare: "dare_linear",
  sce: "sce",
};

/** A mergekit-yaml config; `{weights:NAME}` is resolved by the stage driver at run time. */
export function mergekitYaml(merge: Merge): string {
  const perModel = (i: number): Record<string, number> => {
    const p: Record<string, number> = {};
    if (merge.weights[i] !== undefined) p["weight"] = merge.weights[i]!;
    if (merge.density !== null && (merge.op === "ties" || merge.op === "dare"))
      p["density"] = merge.density;
    return p;
  };
  const parameters: Record<string, number | boolean> = {};
  if (merge.op === "sce" && merge.topk !== null) parameters["select_topk"] = merge.topk;
  if (merge.op === "task_arithmetic" && merge.scale !== null) parameters["lambda"] = merge.scale;
  if (merge.op === "ties") parameters["normalize"] = true;
  const doc: Record<string, unknown> = {
    merge_method: MERGEKIT_METHOD[merge.op],
    ...(merge.base !== null ? { base_model: `{weights:${merge.base}}` } : {}),
    models: merge.models.map((m, i) => {
      const p = perModel(i);
      return Object.keys(p).length > 0
        ? { model: `{weights:${m}}`, parameters: p }
        : { model: `{weights:${m}}` };
    }),
    ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
    dtype: "bfloat16",
  };
  const header = [
    `# qlx merge '${merge.name}': ${merge.op}(${merge.models.join(", ")})${merge.base !== null ? ` on base ${merge.base}` : ""}.`,
    "# Run by the stage driver: python3 -m qlx_verl.driver --only " + merge.name,
    ...(merge.op === "dare" && merge.seed !== null
      ? [
          `# DARE drops parameters at random; mergekit draws them from torch's RNG (qlx seed ${merge.seed} is not forwarded).`,
        ]
      : []),
  ];
  return `${header.join("\n")}\n${stringify(doc)}`;
}
