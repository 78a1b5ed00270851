// `qlx ablate FILE [--profile P] [--seeds N] [--jobs J] [--out DIR]`.
import { existsSync } from "node:fs";
import * as nodePath from "node:path";
import { runAblation } from "../../runtime/executor/ablate.ts";
import { tableMarkdown } from "../../runtime/report/table.ts";
import { parseCommandArgs } from "../args.ts";
import { usageError } from "../diagnostics-output.ts";
import { loadIr, parseDevice, RUN_SOURCE_FLAGS } from "../load-ir.ts";

export const help = `qlx ablate — run every row of an ablation and write the table

Usage: qlx ablate FILE [--profile P] [--name N] [--seeds N] [--jobs J] [--out DIR] [--reuse DIR]... [--device cpu|webgpu]

Every row × seed is one \`qlx run\` in its own process, at most J at a time (default 2).
Finished runs of the same IR are reused; interrupted ones resume. --reuse DIR (repeatable)
also takes finished runs of the same IR (the file it came from aside) from another ablation's
output (e.g. the base and GRPO rows that Tables 2, 4 and 5 share): they are copied, runs being
deterministic. DIR (default
runs/ABLATION[-PROFILE]) then holds rows/ROW/seed-S/ for each run and the table:
  table.md, table.csv, table.json   rows × benchmarks + Avg., mean ± 95% CI over seeds,
                                    each row's difference to the baseline row (the
                                    ablation's \`baseline\`, default the first), paired over
                                    seeds, resolved or within noise, and the smallest
                                    detectable difference
  table.html                        the table with training curves (as qlx report draws)

Exit codes: 0 all runs finished, 1 errors in the input or a failed run, 2 usage error.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      ...RUN_SOURCE_FLAGS,
      seeds: { type: "string" },
      jobs: { type: "string", default: "2" },
      out: { type: "string" },
      reuse: { type: "string", multiple: true },
    },
    help,
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return usageError("give exactly one FILE", help);
  const seeds = values.seeds === undefined ? undefined : Number(values.seeds);
  const jobs = Number(values.jobs);
  if (seeds !== undefined && !(Number.isInteger(seeds) && seeds >= 1))
    return usageError("--seeds must be a positive integer", help);
  if (!(Number.isInteger(jobs) && jobs >= 1))
    return usageError("--jobs must be a positive integer", help);
  const device = parseDevice(values.device);
  if (typeof device === "object") return usageError(device.problem, help);
  for (const dir of values.reuse ?? []) {
    if (!existsSync(nodePath.join(dir, "rows")))
      return usageError(`--reuse ${dir}: not an ablation's output (no rows/ directory)`, help);
  }
  const loaded = loadIr(positionals[0]!, values, "ablation");
  if ("exit" in loaded) return loaded.message ? usageError(loaded.message, help) : loaded.exit;
  if (loaded.ir.kind !== "ablation")
    return usageError(`${positionals[0]} compiles to an experiment; run it with \`qlx run\``, help);
  const ir = loaded.ir;
  const outDir =
    values.out ?? nodePath.join("runs", `${ir.name}${ir.profile ? `-${ir.profile}` : ""}`);
  const result = await runAblation(ir, {
    outDir,
    projectDir: loaded.projectDir,
    ...(seeds !== undefined ? { seeds } : {}),
    jobs,
    reuse: values.reuse ?? [],
    device,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(
    `\n${tableMarkdown(result.table)}\nwritten to ${outDir}/table.{md,csv,json,html}\n`,
  );
  for (const f of result.failed) {
    process.stderr.write(
      `\nrun ${f.run.row} seed ${f.run.seed} failed (${f.run.dir}):\n${f.tail}\n`,
    );
  }
  return result.failed.length > 0 ? 1 : 0;
}
