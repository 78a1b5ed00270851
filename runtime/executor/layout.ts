// The on-disk layout of a run directory and of an ablation directory. `qlx run` writes it,
// `qlx ablate` nests runs in it, `qlx report` reads it; this file is the one place that
// names the files, so none of them hard-codes another's paths.
import { join } from "node:path";

export const RUN_FILES = {
  /** The compiled IR this run executes (canonical JSON). */
  ir: "ir.json",
  /** One JSON object per training step: `MetricsRecord`. */
  metrics: "metrics.jsonl",
  /** One JSON object per (evaluation point, benchmark): `EvalRecord`. */
  eval: "eval.jsonl",
  /** Written last: `RunSummary`. Its presence marks a finished run. */
  summary: "summary.json",
  checkpoints: "checkpoints",
  /** Pointer to the newest complete checkpoint, replaced atomically. */
  latest: "checkpoints/latest.json",
} as const;

export const ABLATION_FILES = {
  rows: "rows",
  tableJson: "table.json",
  tableMarkdown: "table.md",
  tableCsv: "table.csv",
  tableHtml: "table.html",
} as const;

export interface MetricsRecord {
  readonly stage: string;
  /** Step within the stage, 1-based. */
  readonly step: number;
  /** Step counted over all RL stages of the run, 1-based. */
  readonly globalStep: number;
  readonly metrics: Readonly<Record<string, number>>;
}

export interface EvalRecord {
  /** Stage (or merge, or "warmup") whose checkpoint was evaluated. */
  readonly stage: string;
  readonly step: number;
  readonly globalStep: number;
  readonly benchmark: string;
  /** "full" (the whole context in one pass) or "memory" (the memory agent). */
  readonly mode: "full" | "memory";
  readonly metric: string;
  readonly score: number;
  readonly n: number;
  readonly stderr: number;
}

export interface RunSummary {
  readonly experiment: string;
  readonly profile: string | null;
  readonly seed: number;
  readonly device: string;
  readonly stages: readonly { name: string; steps: number; seconds: number }[];
  /** Final evaluation scores by benchmark (mode "full"), and their mean as `avg`. */
  readonly final: Readonly<Record<string, number>>;
  /** Scores of the warm-up checkpoint, for the same benchmarks. */
  readonly warmup: Readonly<Record<string, number>>;
  readonly seconds: number;
}

export function runPath(dir: string, file: keyof typeof RUN_FILES): string {
  return join(dir, RUN_FILES[file]);
}

export function ablationRowDir(dir: string, rowSlug: string, seed: number): string {
  return join(dir, ABLATION_FILES.rows, rowSlug, `seed-${seed}`);
}

/** A file-system-safe, stable slug for a row name: `+ Task-balanced` → `task-balanced`. */
export function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s.length > 0 ? s : "row";
}
