// `qlx run FILE [--profile P] [--device cpu|webgpu] [--out DIR] [--resume] [--until STAGE]`.
import * as nodePath from "node:path";
import type { Project } from "../../compiler/index.ts";
import type { ExperimentIr } from "../../compiler/ir/schema.ts";
import type { Item, Span } from "../../language/ast.ts";
import { diag, type Diagnostic } from "../../language/diagnostics.ts";
import { createProgress } from "../../runtime/executor/progress.ts";
import { runExperiment, summaryTable, unsupportedFeatures } from "../../runtime/executor/run.ts";
import { renderForTerminal, usageError } from "../diagnostics-output.ts";
import { parseCommandArgs } from "../args.ts";
import { loadIr, parseDevice, RUN_SOURCE_FLAGS } from "../load-ir.ts";

export const help = `qlx run — train and evaluate an experiment with the built-in runtime

Usage: qlx run FILE [--profile P] [--name N] [--device cpu|webgpu] [--out DIR] [--resume]
                    [--until STAGE] [--seed N] [--threads N] [--checkpoint-every N]

FILE is a .qlx file or a compiled IR (.json, as \`qlx compile --target ir\` writes).
Runs the supervised warm-up, then every stage and merge of the schedule in order, with
evaluation where the experiment asks for it. Writes into DIR (default runs/NAME[-PROFILE]-seedS):
  ir.json        the compiled experiment
  metrics.jsonl  one record per training step (reward by task, entropy, lengths, advantages,
                 masked fractions, AEPO state, lr, grad norm, tokens/s)
  eval.jsonl     evaluation scores per benchmark
  summary.json   final and warm-up scores (also printed as a table)
  checkpoints/   one weights file per stage and merge, and the resumable state

--resume        continue the run in DIR from its last checkpoint (same file, profile, seed)
--until STAGE   stop after STAGE (run the stages the built-in runtime supports)
--seed N        override the experiment's seed
--device        cpu (default) or webgpu (ONNX Runtime's WebGPU provider)
--checkpoint-every N   steps between resumable checkpoints (default 25)

Exit codes: 0 finished, 1 errors in the input or the run, 2 usage error.
`;

/** The head span of the block declaring stage/merge/model `name`, searched through every file. */
function declarationSpan(project: Project | undefined, name: string): Span | undefined {
  if (!project) return undefined;
  const visit = (items: readonly Item[]): Span | undefined => {
    for (const it of items) {
      if (it.kind === "Block") {
        if (it.name?.kind === "Ident" && it.name.name === name) return it.headSpan;
        const inner = visit(it.items);
        if (inner) return inner;
      } else if (it.kind === "Assignment" && it.keyword && it.target.parts[0]?.name === name) {
        return it.span;
      }
    }
    return undefined;
  };
  for (const f of project.files.values()) {
    const found = visit(
      f.ast.items.filter((i): i is Exclude<typeof i, { kind: "Use" }> => i.kind !== "Use"),
    );
    if (found) return found;
  }
  return undefined;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      ...RUN_SOURCE_FLAGS,
      out: { type: "string" },
      resume: { type: "boolean", default: false },
      until: { type: "string" },
      seed: { type: "string" },
      threads: { type: "string" },
      "checkpoint-every": { type: "string", default: "25" },
    },
    help,
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return usageError("give exactly one FILE", help);
  const device = parseDevice(values.device);
  if (typeof device === "object") return usageError(device.problem, help);
  const int = (name: string, v: string | undefined): number | undefined | "bad" => {
    if (v === undefined) return undefined;
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 ? n : "bad";
  };
  const seed = int("seed", values.seed);
  const threads = int("threads", values.threads);
  const every = int("checkpoint-every", values["checkpoint-every"]);
  for (const [flag, v] of [
    ["--seed", seed],
    ["--threads", threads],
    ["--checkpoint-every", every],
  ] as const) {
    if (v === "bad") return usageError(`${flag} must be a non-negative integer`, help);
  }
  const file = positionals[0]!;
  const loaded = loadIr(file, values, "experiment");
  if ("exit" in loaded) return loaded.message ? usageError(loaded.message, help) : loaded.exit;
  if (loaded.ir.kind !== "experiment") {
    return usageError(`${file} compiles to an ablation; run it with \`qlx ablate\``, help);
  }
  let ir: ExperimentIr = loaded.ir;
  if (typeof seed === "number") ir = { ...ir, seed };
  if (values.until !== undefined && !ir.schedule.some((n) => n.name === values.until)) {
    return usageError(
      `--until ${values.until}: no stage or merge of that name (schedule: ${ir.schedule.map((n) => n.name).join(", ")})`,
      help,
    );
  }

  // Refuse what this runtime cannot execute before any training starts.
  const cut =
    values.until === undefined
      ? ir.schedule.length
      : ir.schedule.findIndex((n) => n.name === values.until) + 1;
  const inScope = new Set([
    ...ir.schedule.slice(0, cut).map((n) => n.name),
    ...ir.models.map((m) => m.name),
  ]);
  const blocked = unsupportedFeatures(ir).filter((u) => inScope.has(u.node));
  if (blocked.length > 0) {
    const fallback: Span = {
      file: nodePath.resolve(file),
      start: 0,
      end: 0,
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 1,
    };
    const diags: Diagnostic[] = blocked.map((b) =>
      diag("QLX6001", declarationSpan(loaded.project, b.node) ?? fallback, {
        node: b.node,
        feature: b.feature,
      }),
    );
    process.stderr.write(renderForTerminal(diags));
    return 1;
  }

  const outDir =
    values.out ??
    nodePath.join("runs", `${ir.name}${ir.profile ? `-${ir.profile}` : ""}-seed${ir.seed}`);
  try {
    const summary = await runExperiment(ir, {
      outDir,
      projectDir: loaded.projectDir,
      device,
      ...(typeof threads === "number" && threads > 0 ? { threads } : {}),
      resume: values.resume,
      ...(values.until !== undefined ? { until: values.until } : {}),
      checkpointEvery: typeof every === "number" && every > 0 ? every : 25,
      progress: createProgress(process.stderr),
    });
    process.stdout.write(
      `\n${summaryTable(summary)}\n\nrun written to ${outDir} (${summary.seconds.toFixed(0)} s)\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`qlx run: ${(e as Error).message}\n`);
    return 1;
  }
}
