// `qlx ablate`: every row × seed of an ablation is an independent `qlx run` in its own
// process (bounded by --jobs), so rows never share state and a crash costs one run. A run
// whose directory already holds a summary for the same IR is reused; a killed one resumes.
// Runs are deterministic for an IR, so a finished run of the same IR in another ablation's
// output (`--reuse DIR`: tables that share their base and GRPO rows) is copied, not re-run.
// When all are done, the final evaluation scores become the table (table.ts).
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AblationIr, ExperimentIr } from "../../compiler/ir/schema.ts";
import { writeAtomic } from "../io/atomic.ts";
import { BENCHMARKS, type BenchmarkName } from "../tasks/benchmarks.ts";
import { renderReport } from "../report/html.ts";
import { loadReport } from "../report/load.ts";
import {
  buildAblationTable,
  tableCsv,
  tableMarkdown,
  type AblationTable,
} from "../report/table.ts";
import { ABLATION_FILES, RUN_FILES, ablationRowDir, slugify, type RunSummary } from "./layout.ts";

const BIN = fileURLToPath(new URL("../../bin/qlx.js", import.meta.url));

export interface AblateOptions {
  readonly outDir: string;
  readonly projectDir: string;
  /** Seeds per row; default: the ablation's own. */
  readonly seeds?: number;
  readonly jobs: number;
  /** Other ablations' output directories whose finished runs of the same IR are copied. */
  readonly reuse?: readonly string[];
  readonly device: "cpu" | "webgpu";
  readonly log: (line: string) => void;
}

export interface PlannedRun {
  readonly row: string;
  readonly slug: string;
  readonly seed: number;
  readonly dir: string;
  readonly ir: ExperimentIr;
}

/** Unique, stable directory names for the rows (two rows with one slug get -2, -3, …). */
export function rowSlugs(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const base = slugify(n);
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    return k === 1 ? base : `${base}-${k}`;
  });
}

export function planRuns(
  ir: AblationIr,
  opts: Pick<AblateOptions, "outDir" | "seeds">,
): PlannedRun[] {
  const slugs = rowSlugs(ir.rows.map((r) => r.name));
  return ir.rows.flatMap((row, i) => {
    const seeds =
      opts.seeds === undefined
        ? row.seeds
        : Array.from({ length: opts.seeds }, (_, k) => row.graph.seed + k);
    return seeds.map((seed) => ({
      row: row.name,
      slug: slugs[i]!,
      seed,
      dir: ablationRowDir(opts.outDir, slugs[i]!, seed),
      ir: { ...row.graph, seed },
    }));
  });
}

function irText(ir: ExperimentIr): string {
  return JSON.stringify(ir, null, 2) + "\n";
}

/** A finished run of exactly this IR: its summary, else undefined. */
function finished(run: PlannedRun): RunSummary | undefined {
  const summary = join(run.dir, RUN_FILES.summary);
  const ir = join(run.dir, RUN_FILES.ir);
  if (!existsSync(summary) || !existsSync(ir)) return undefined;
  if (readFileSync(ir, "utf8") !== irText(run.ir)) return undefined;
  return JSON.parse(readFileSync(summary, "utf8")) as RunSummary;
}

/**
 * What makes two runs the same run: the IR without `source`, the file it was compiled from
 * (Tables 2 and 5 compile the same GRPO row from different files).
 */
function runKey(ir: ExperimentIr): string {
  return JSON.stringify({ ...ir, source: "" });
}

/** Finished runs in other ablations' output directories, by run key. */
function reusableRuns(dirs: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of dirs) {
    const rows = join(dir, ABLATION_FILES.rows);
    if (!existsSync(rows)) throw new Error(`--reuse ${dir}: no ${ABLATION_FILES.rows}/ directory`);
    for (const row of readdirSync(rows, { withFileTypes: true })) {
      if (!row.isDirectory()) continue;
      for (const seed of readdirSync(join(rows, row.name), { withFileTypes: true })) {
        const runDir = join(rows, row.name, seed.name);
        if (!seed.isDirectory() || !existsSync(join(runDir, RUN_FILES.summary))) continue;
        const ir = join(runDir, RUN_FILES.ir);
        if (!existsSync(ir)) continue;
        const key = runKey(JSON.parse(readFileSync(ir, "utf8")) as ExperimentIr);
        if (!found.has(key)) found.set(key, runDir);
      }
    }
  }
  return found;
}

/**
 * Copies a finished run of the same run key into `run.dir`, its ir.json rewritten to this
 * run's IR (only `source` differs). A partial copy is removed first, and the summary is
 * copied last: a copy interrupted midway is not taken for a finished run.
 */
function copyRun(from: string, run: PlannedRun): RunSummary | undefined {
  rmSync(run.dir, { recursive: true, force: true });
  mkdirSync(join(run.dir, ".."), { recursive: true });
  const last = new Set([join(from, RUN_FILES.summary), join(from, RUN_FILES.ir)]);
  cpSync(from, run.dir, { recursive: true, filter: (src) => !last.has(src) });
  writeAtomic(join(run.dir, RUN_FILES.ir), irText(run.ir));
  cpSync(join(from, RUN_FILES.summary), join(run.dir, RUN_FILES.summary));
  return finished(run);
}

function execute(
  run: PlannedRun,
  opts: AblateOptions,
  threads: number,
): Promise<{ code: number; tail: string }> {
  mkdirSync(run.dir, { recursive: true });
  const irFile = join(run.dir, "..", `seed-${run.seed}.ir.json`);
  writeAtomic(irFile, irText(run.ir));
  const resume = existsSync(join(run.dir, RUN_FILES.latest));
  const args = [
    BIN,
    "run",
    irFile,
    "--out",
    run.dir,
    "--project",
    opts.projectDir,
    "--device",
    opts.device,
    "--threads",
    String(threads),
    ...(resume ? ["--resume"] : []),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const keep = (d: Buffer) => {
      tail = (tail + String(d)).slice(-4000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("exit", (code) => resolve({ code: code ?? 1, tail }));
  });
}

export interface AblationResult {
  readonly table: AblationTable;
  readonly failed: readonly { run: PlannedRun; tail: string }[];
}

export async function runAblation(ir: AblationIr, opts: AblateOptions): Promise<AblationResult> {
  const runs = planRuns(ir, opts);
  const summaries = new Map<PlannedRun, RunSummary>();
  const failed: { run: PlannedRun; tail: string }[] = [];
  const elsewhere = reusableRuns(opts.reuse ?? []);
  let copied = 0;
  const todo = runs.filter((r) => {
    let s = finished(r);
    const from = elsewhere.get(runKey(r.ir));
    if (s === undefined && from !== undefined) {
      s = copyRun(from, r);
      if (s) copied++;
    }
    if (s) summaries.set(r, s);
    return s === undefined;
  });
  opts.log(
    `${runs.length} runs (${ir.rows.length} rows × seeds), ${runs.length - todo.length} reused${copied > 0 ? ` (${copied} copied from --reuse)` : ""}, ${todo.length} to run, ${opts.jobs} at a time`,
  );
  // With several jobs each run gets one ORT thread: the processes share the cores.
  const threads = opts.jobs > 1 ? 1 : 0;
  let next = 0;
  let done = runs.length - todo.length;
  const started = performance.now();
  const worker = async () => {
    while (next < todo.length) {
      const run = todo[next++]!;
      const t = performance.now();
      const r = await execute(run, opts, threads);
      done++;
      const s = r.code === 0 ? finished(run) : undefined;
      const secs = ((performance.now() - t) / 1000).toFixed(0);
      if (s) {
        summaries.set(run, s);
        const avg = s.final["avg"];
        opts.log(
          `[${done}/${runs.length}] ${run.row} seed ${run.seed}: done in ${secs}s${avg === undefined ? "" : `, avg ${(100 * avg).toFixed(1)}`}`,
        );
      } else {
        failed.push({ run, tail: r.tail });
        opts.log(
          `[${done}/${runs.length}] ${run.row} seed ${run.seed}: FAILED (exit ${r.code}) after ${secs}s`,
        );
      }
      const elapsed = (performance.now() - started) / 1000;
      const left = runs.length - done;
      if (left > 0 && done > runs.length - todo.length) {
        const per = elapsed / (done - (runs.length - todo.length));
        opts.log(
          `    ${left} left, about ${Math.ceil((per * left) / Math.max(1, opts.jobs) / 60)} min`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.jobs) }, worker));

  const columns = ir.columns.filter((c) => c !== "avg");
  const rows = ir.rows.map((row) => ({
    name: row.name,
    seeds: runs
      .filter((r) => r.row === row.name && summaries.has(r))
      .map((r) => ({ seed: r.seed, scores: summaries.get(r)!.final })),
  }));
  const evalSize = ir.rows[0]?.graph.evaluate?.limit ?? 0;
  const table = buildAblationTable(ir.name, columns, rows, evalSize, {
    baseline: Math.max(
      0,
      ir.rows.findIndex((r) => r.name === ir.baseline),
    ),
    labels: columns.map((c) => BENCHMARKS[c as BenchmarkName]?.column ?? c),
  });
  const slugs = rowSlugs(ir.rows.map((r) => r.name));
  const rowDirs = Object.fromEntries(ir.rows.map((r, i) => [r.name, slugs[i]!]));
  mkdirSync(opts.outDir, { recursive: true });
  writeAtomic(
    join(opts.outDir, ABLATION_FILES.tableJson),
    JSON.stringify({ ...table, rowDirs }, null, 2) + "\n",
  );
  writeAtomic(join(opts.outDir, ABLATION_FILES.tableMarkdown), tableMarkdown(table));
  writeAtomic(join(opts.outDir, ABLATION_FILES.tableCsv), tableCsv(table));
  writeAtomic(join(opts.outDir, ABLATION_FILES.tableHtml), renderReport(loadReport([opts.outDir])));
  return { table, failed };
}
