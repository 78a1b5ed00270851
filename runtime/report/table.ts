// Ablation tables in the paper's layout (Tables 2, 4, 5): one row per ablation row, one column
// per benchmark, then `Avg.`; each cell is the mean over seeds ± the 95% t half-width. Every
// row's average is compared with the first (baseline) row, and the table states the smallest
// difference this run could have detected, so that noise is not read as an effect.
import type { ReportCell, ReportTable, ReportTableRow } from "./html.ts";
import {
  comparePaired,
  compareToBaseline,
  minimumDetectableDifference,
  noiseModel,
  pairedDetectableDifference,
  pooledVariance,
  summarize,
} from "./stats.ts";

export interface SeedScores {
  readonly seed: number;
  /** Benchmark → final score in [0, 1]. A missing benchmark is left out. */
  readonly scores: Readonly<Record<string, number>>;
}

export interface RowScores {
  readonly name: string;
  readonly seeds: readonly SeedScores[];
}

export interface AblationTable extends ReportTable {
  readonly seeds: number;
  readonly evalSize: number;
  /** Smallest difference in `Avg.` detectable at α = 0.05 with 80% power. */
  readonly minimumDetectable: number;
}

function cell(values: number[]): ReportCell | null {
  if (values.length === 0) return null;
  const s = summarize(values);
  return { mean: s.mean, ci95: s.ci95, n: s.n };
}

/** Per seed, the mean over the benchmarks that seed has scores for. */
function seedAverages(row: RowScores, columns: readonly string[]): number[] {
  return row.seeds
    .map(({ scores }) => columns.filter((c) => scores[c] !== undefined).map((c) => scores[c]!))
    .filter((v) => v.length > 0)
    .map((v) => v.reduce((a, b) => a + b, 0) / v.length);
}

/** Every row has an average on the same ≥ 2 seeds, in the same order: compare within seeds. */
function sharedSeeds(rows: readonly RowScores[], averages: readonly number[][]): boolean {
  const key = (r: RowScores) => r.seeds.map((s) => s.seed).join(",");
  return (
    rows.length >= 2 &&
    rows.every((r, i) => key(r) === key(rows[0]!) && averages[i]!.length === r.seeds.length) &&
    rows[0]!.seeds.length >= 2
  );
}

export function buildAblationTable(
  title: string,
  columns: readonly string[],
  rows: readonly RowScores[],
  evalSize: number,
  options: {
    /** The row the others are compared with (default: the first). */
    readonly baseline?: number;
    /** Column headings as the paper prints them (DocMath, LBV1-QA, …); default: the names. */
    readonly labels?: readonly string[];
  } = {},
): AblationTable {
  const baseline = options.baseline ?? 0;
  const averages = rows.map((r) => seedAverages(r, columns));
  const all = averages.flat();
  const grand = all.length > 0 ? all.reduce((a, b) => a + b, 0) / all.length : 0;
  const seeds = Math.max(0, ...rows.map((r) => r.seeds.length));
  // Rows run on the same seeds share each seed's warm-up checkpoint and evaluation draws, so a
  // difference is measured within seeds (a paired comparison); otherwise rows are independent
  // samples and the seed-to-seed spread plus the eval-set sampling error is the noise.
  const paired = sharedSeeds(rows, averages);
  // Each benchmark's average is over `columns.length` eval sets of `evalSize` items.
  const noise = noiseModel(averages, grand, evalSize * Math.max(1, columns.length));
  const ref = averages[baseline] ?? [];
  const tableRows: ReportTableRow[] = rows.map((r, i) => {
    const base: ReportTableRow = {
      name: r.name,
      cells: columns.map((c) =>
        cell(r.seeds.filter((s) => s.scores[c] !== undefined).map((s) => s.scores[c]!)),
      ),
      avg: cell(averages[i]!),
    };
    if (i === baseline || averages[i]!.length === 0 || ref.length === 0) return base;
    const vsBaseline = paired
      ? comparePaired(averages[i]!, ref)
      : compareToBaseline(averages[i]!, ref, noise);
    return { ...base, vsBaseline };
  });
  const differences = averages
    .filter((_, i) => i !== baseline)
    .map((a) => a.map((y, k) => y - ref[k]!));
  const mdd = paired
    ? pairedDetectableDifference(differences, seeds)
    : minimumDetectableDifference(noise, Math.max(1, seeds));
  const pooledSd = Math.sqrt(pooledVariance(differences).variance);
  const spread = paired
    ? `paired over seeds, which fix the warm-up checkpoint and the evaluation draws the rows share: sd of a per-seed difference ${(100 * pooledSd).toFixed(1)} points`
    : `seed-to-seed sd ${(100 * Math.sqrt(noise.seedVariance)).toFixed(1)}, eval sampling sd ${(100 * Math.sqrt(noise.evalVariance)).toFixed(1)}`;
  const note =
    `${seeds} seed(s) per row, ${evalSize} items per benchmark. Cells: mean ± 95% CI (t over seeds), in points. ` +
    `Smallest detectable difference in Avg. (α = 0.05, power 0.8): ${(100 * mdd).toFixed(1)} points ` +
    `(${spread}). ` +
    `A row is "resolved" when the 95% interval of its difference to the baseline row (${rows[baseline]?.name ?? ""}) excludes 0.`;
  return {
    title,
    columns,
    ...(options.labels ? { labels: options.labels } : {}),
    rows: tableRows,
    note,
    seeds,
    evalSize,
    minimumDetectable: mdd,
  };
}

function pct(c: ReportCell | null): string {
  if (!c) return "–";
  return Number.isFinite(c.ci95)
    ? `${(100 * c.mean).toFixed(1)} ± ${(100 * c.ci95).toFixed(1)}`
    : (100 * c.mean).toFixed(1);
}

function delta(r: ReportTableRow): string {
  if (!r.vsBaseline) return "baseline";
  const d = r.vsBaseline;
  const sign = d.difference >= 0 ? "+" : "";
  return `${sign}${(100 * d.difference).toFixed(1)} (${d.resolved ? "resolved" : "within noise"})`;
}

export function tableMarkdown(t: AblationTable): string {
  const head = ["", ...(t.labels ?? t.columns), "Avg.", "Δ Avg. vs baseline"];
  const lines = [
    `### ${t.title}`,
    "",
    `| ${head.join(" | ")} |`,
    `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...t.rows.map((r) => `| ${[r.name, ...r.cells.map(pct), pct(r.avg), delta(r)].join(" | ")} |`),
    "",
    t.note,
    "",
  ];
  return lines.join("\n");
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function tableCsv(t: AblationTable): string {
  const head = [
    "row",
    ...t.columns.flatMap((c) => [`${c}_mean`, `${c}_ci95`]),
    "avg_mean",
    "avg_ci95",
    "delta",
    "resolved",
  ];
  const num = (x: number | undefined) =>
    x === undefined || !Number.isFinite(x) ? "" : x.toFixed(6);
  const lines = t.rows.map((r) =>
    [
      csvField(r.name),
      ...r.cells.flatMap((c) => [num(c?.mean), num(c?.ci95)]),
      num(r.avg?.mean),
      num(r.avg?.ci95),
      num(r.vsBaseline?.difference),
      r.vsBaseline ? String(r.vsBaseline.resolved) : "",
    ].join(","),
  );
  return [head.join(","), ...lines].join("\n") + "\n";
}
