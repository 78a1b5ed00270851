// `qlx compile --target verl`: IR → a bundle directory that runs the experiment on verl.
//
//   README.md                      how to launch on one node and on a Ray cluster, what each file is
//   configs/<stage>.args           Hydra overrides per stage, validated against verl's config
//   configs/<merge>.mergekit.yaml  merges (SCE, TIES, DARE, ...)
//   qlx_verl/                      the Python plugin (templates in ./python) + config.json from the IR
//   launch/single_node.sh, launch/ray_cluster.sh
// An ablation becomes one such bundle per row under rows/<n>-<slug>/. Emission is a pure function
// of the IR and the options (the Python templates are read from this package), so the same file
// compiles to a byte-identical bundle.
import { mkdirSync, readdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Span } from "../../../language/ast.ts";
import { diag, type Diagnostic } from "../../../language/diagnostics.ts";
import type { ExperimentIr, IrDocument } from "../../ir/schema.ts";
import { checkVerlBatchRules } from "./batch-rules.ts";
import { bundleReadme, rayClusterScript, singleNodeScript, type StagePlan } from "./bundle-docs.ts";
import { validateVerlOverrides } from "./config-schema.ts";
import { DEFAULT_VERL_VERSION, type VerlVersion } from "./keys.ts";
import {
  renderOverrides,
  stageNode,
  stageOverrides,
  type VerlClusterOptions,
} from "./overrides.ts";
import { mergekitYaml, pluginConfig } from "./plugin-config.ts";

export interface EmitVerlOptions {
  readonly version?: VerlVersion;
  readonly nnodes?: number;
  readonly gpusPerNode?: number;
  readonly rolloutTp?: number;
  readonly sequenceParallel?: number;
  readonly loggers?: readonly string[];
}

export interface VerlBundle {
  /** Relative path → content. Shell scripts are the files ending in `.sh`. */
  readonly files: ReadonlyMap<string, string>;
  readonly diagnostics: readonly Diagnostic[];
  /** Derived per-stage numbers (for the CLI summary). */
  readonly plans: readonly StagePlan[];
}

const TEMPLATE_DIR = fileURLToPath(new URL("./python/qlx_verl/", import.meta.url));

function pythonTemplates(): [string, string][] {
  return readdirSync(TEMPLATE_DIR)
    .filter((f) => f.endsWith(".py"))
    .sort()
    .map((f) => [`qlx_verl/${f}`, readFileSync(join(TEMPLATE_DIR, f), "utf8")]);
}

function sourceSpan(file: string): Span {
  return { file, start: 0, end: 0, line: 1, column: 1, endLine: 1, endColumn: 1 };
}

/** Constructs the bundle cannot carry faithfully: errors (QLX7016) and warnings (QLX7017). */
function capabilityDiagnostics(ir: ExperimentIr, span: Span): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const m of ir.models) {
    if (m.init.kind !== "hf") {
      out.push(
        diag("QLX7016", span, {
          what: `model '${m.name}' (${m.init.kind})`,
          why: "verl trains Hugging Face checkpoints; give init a model id",
        }),
      );
    }
  }
  for (const t of ir.tasks) {
    if (t.data.kind !== "path") {
      out.push(
        diag("QLX7016", span, {
          what: `task '${t.name}' with generated data`,
          why: "the bundle prepares data from files; write the records to a JSONL file and point data at it",
        }),
      );
    }
  }
  for (const s of ir.schedule) {
    if (s.kind !== "stage") continue;
    if (stageNode(s, "sampler").op === "pass_rate_binned") {
      out.push(
        diag("QLX7016", span, {
          what: `pass_rate_binned sampling in stage '${s.name}'`,
          why: "it needs a pre-inference pass the bundle does not run",
        }),
      );
    }
    const opt = stageNode(s, "optimizer");
    if (opt.betas[0] !== 0.9 || opt.betas[1] !== 0.999 || opt.eps !== 1e-8) {
      out.push(
        diag("QLX7017", span, {
          what: `AdamW betas [${opt.betas.join(", ")}] / eps ${opt.eps} of stage '${s.name}'`,
          why: "verl v0.4.0's optimizer config has no such keys (torch defaults are used)",
        }),
      );
    }
  }
  if (ir.warmup !== null) {
    out.push(
      diag("QLX7017", span, {
        what: "the supervised warm-up",
        why: "run verl's SFT trainer on the warm-up data before the first stage",
      }),
    );
  }
  if (ir.evaluate !== null && ir.evaluate.benchmarks.length > 0) {
    out.push(
      diag("QLX7017", span, {
        what: `evaluation benchmarks (${ir.evaluate.benchmarks.join(", ")})`,
        why: "verl validates on each stage's held-out training records; run the benchmarks on the saved checkpoints",
      }),
    );
  }
  return out;
}

function clusterOptions(opts: EmitVerlOptions): VerlClusterOptions {
  const gpusPerNode = opts.gpusPerNode ?? 8;
  return {
    nnodes: opts.nnodes ?? 1,
    gpusPerNode,
    rolloutTp: opts.rolloutTp ?? Math.min(gpusPerNode, 4),
    sequenceParallel: opts.sequenceParallel ?? 1,
    loggers: opts.loggers ?? ["console"],
  };
}

function emitExperiment(graph: ExperimentIr, opts: EmitVerlOptions): VerlBundle {
  const version = opts.version ?? DEFAULT_VERL_VERSION;
  const span = sourceSpan(graph.source);
  // `train = false` (an ablation's base-model row) only evaluates: nothing runs on verl.
  const ir: ExperimentIr = graph.train ? graph : { ...graph, schedule: [] };
  const cluster = clusterOptions(opts);
  const diagnostics: Diagnostic[] = capabilityDiagnostics(ir, span);
  if (!graph.train) {
    diagnostics.push(
      diag("QLX7017", span, {
        what: `the schedule of '${graph.name}'`,
        why: "it does not train (train = false); evaluate the base model with your benchmark harness",
      }),
    );
  }
  const files = new Map<string, string>();
  const plans: StagePlan[] = [];
  for (const entry of ir.schedule) {
    if (entry.kind === "merge") {
      files.set(`configs/${entry.name}.mergekit.yaml`, mergekitYaml(entry));
      continue;
    }
    const overrides = stageOverrides(ir, entry, version, cluster);
    diagnostics.push(...validateVerlOverrides(version, overrides, span));
    const batch = checkVerlBatchRules(version, overrides, span);
    diagnostics.push(...batch.diagnostics);
    plans.push({
      name: entry.name,
      steps: entry.steps,
      ...(batch.plan ? { plan: batch.plan } : {}),
    });
    const header = [
      `# Stage '${entry.name}' of ${ir.name}: Hydra overrides of verl ${version}'s ppo_trainer.yaml.`,
      `# Run by launch/*.sh through python3 -m qlx_verl.driver (which fills the {placeholders}).`,
    ];
    files.set(
      `configs/${entry.name}.args`,
      [...header, ...renderOverrides(version, overrides), ""].join("\n"),
    );
  }
  for (const [path, text] of pythonTemplates()) files.set(path, text);
  files.set("qlx_verl/config.json", JSON.stringify(pluginConfig(ir, version), null, 2) + "\n");
  files.set("launch/single_node.sh", singleNodeScript());
  files.set("launch/ray_cluster.sh", rayClusterScript());
  files.set("README.md", bundleReadme(ir, version, cluster, plans));
  return {
    files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    diagnostics,
    plans,
  };
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "row"
  );
}

/** The bundle of an experiment, or of every row of an ablation (rows/<n>-<slug>/). */
export function emitVerlBundle(doc: IrDocument, opts: EmitVerlOptions = {}): VerlBundle {
  if (doc.kind === "experiment") return emitExperiment(doc, opts);
  const files = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const plans: StagePlan[] = [];
  const index: string[] = [
    `# ablation ${doc.name} of ${doc.base} — verl bundles`,
    "",
    `One bundle per row (each launches like a single experiment, see its README.md); ${doc.seeds} seed(s) per row.`,
    "Run a further seed by compiling that row again with the seed changed in the .qlx file.",
    "",
    "| row | directory | seeds |",
    "|---|---|---|",
  ];
  for (const row of doc.rows) {
    const dir = `rows/${String(row.index + 1).padStart(2, "0")}-${slug(row.name)}`;
    const b = emitExperiment(row.graph, opts);
    for (const [p, t] of b.files) files.set(`${dir}/${p}`, t);
    diagnostics.push(...b.diagnostics);
    plans.push(...b.plans.map((p) => ({ ...p, name: `${row.name} / ${p.name}` })));
    index.push(`| ${row.name} | \`${dir}/\` | ${row.seeds.join(", ")} |`);
  }
  files.set("README.md", index.join("\n") + "\n");
  return { files, diagnostics: dedupe(diagnostics), plans };
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = `${d.code}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Writes a bundle under `dir` (scripts made executable). */
export function writeVerlBundle(dir: string, bundle: VerlBundle): void {
  for (const [path, text] of bundle.files) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
    if (path.endsWith(".sh")) chmodSync(full, 0o755);
  }
}
