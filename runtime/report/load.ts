// Reads run and ablation directories (layout in `runtime/executor/layout.ts`) into the model
// `renderReport` draws. A directory with `table.json` is an ablation: its rows' runs are read
// from `rows/<slug>/seed-<k>/`. Anything else with `metrics.jsonl` is a single run.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import {
  ABLATION_FILES,
  RUN_FILES,
  type EvalRecord,
  type MetricsRecord,
} from "../executor/layout.ts";
import type { ReportModel, ReportRun, ReportTable } from "./html.ts";

export class ReportInputError extends Error {}

function readJsonl<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const out: T[] = [];
  const lines = readFileSync(file, "utf8").split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      // A run killed mid-write can leave a torn last line; anything else is corruption.
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== "")) {
        throw new ReportInputError(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
      }
    }
  });
  return out;
}

function readRun(dir: string, name: string, group: string): ReportRun {
  return {
    name,
    group,
    metrics: readJsonl<MetricsRecord>(join(dir, RUN_FILES.metrics)),
    eval: readJsonl<EvalRecord>(join(dir, RUN_FILES.eval)),
  };
}

function readConfig(dir: string): unknown {
  const file = join(dir, RUN_FILES.ir);
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
}

function subdirs(dir: string): string[] {
  return readdirSync(dir)
    .filter((d) => statSync(join(dir, d)).isDirectory())
    .sort();
}

export function loadReport(dirs: readonly string[]): ReportModel {
  const runs: ReportRun[] = [];
  const tables: ReportTable[] = [];
  const configs: Record<string, unknown> = {};
  for (const dir of dirs) {
    if (!existsSync(dir)) throw new ReportInputError(`${dir}: no such directory`);
    const tableFile = join(dir, ABLATION_FILES.tableJson);
    if (existsSync(tableFile)) {
      const table = JSON.parse(readFileSync(tableFile, "utf8")) as ReportTable & {
        rowDirs?: Record<string, string>;
      };
      tables.push(table);
      const rowsDir = join(dir, ABLATION_FILES.rows);
      for (const row of table.rows) {
        const slug = table.rowDirs?.[row.name];
        if (!slug || !existsSync(join(rowsDir, slug))) continue;
        for (const seed of subdirs(join(rowsDir, slug))) {
          const runDir = join(rowsDir, slug, seed);
          runs.push(readRun(runDir, `${row.name} / ${seed}`, row.name));
          configs[row.name] ??= readConfig(runDir);
        }
      }
    } else if (existsSync(join(dir, RUN_FILES.metrics))) {
      const name = basename(dir);
      runs.push(readRun(dir, name, name));
      configs[name] = readConfig(dir);
    } else {
      throw new ReportInputError(
        `${dir}: neither a run directory (${RUN_FILES.metrics}) nor an ablation directory (${ABLATION_FILES.tableJson})`,
      );
    }
  }
  const title =
    tables.length > 0
      ? tables.map((t) => t.title).join(", ")
      : `qlx report: ${dirs.map((d) => basename(d)).join(", ")}`;
  return { title, runs, tables, configs };
}
