// `qlx report`: one self-contained HTML page (uPlot and its CSS inlined, data embedded as
// JSON, no network) with per-step training curves for every run or ablation row — reward,
// entropy, response length and AEPO state, like the paper's Figures 8, 10 and 11 — the
// evaluation tables, and the configuration each row ran with.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { EvalRecord, MetricsRecord } from "../executor/layout.ts";

export interface ReportRun {
  /** Shown in legends: a run name, or `row / seed-k` inside an ablation. */
  readonly name: string;
  /** Runs with the same group (an ablation row) are averaged into one curve. */
  readonly group: string;
  readonly metrics: readonly MetricsRecord[];
  readonly eval: readonly EvalRecord[];
}

export interface ReportCell {
  readonly mean: number;
  readonly ci95: number;
  readonly n: number;
}

export interface ReportTableRow {
  readonly name: string;
  readonly cells: readonly (ReportCell | null)[];
  readonly avg: ReportCell | null;
  /** Difference of `avg` to the baseline row, and whether it is resolved. */
  readonly vsBaseline?: {
    readonly difference: number;
    readonly ci95: number;
    readonly resolved: boolean;
  };
}

export interface ReportTable {
  readonly title: string;
  readonly columns: readonly string[];
  /** Column headings as the paper prints them (DocMath, LBV1-QA, …); default: the names. */
  readonly labels?: readonly string[];
  readonly rows: readonly ReportTableRow[];
  /** Free text under the table: minimum detectable difference, seeds, eval size. */
  readonly note: string;
}

export interface ReportModel {
  readonly title: string;
  readonly runs: readonly ReportRun[];
  readonly tables: readonly ReportTable[];
  /** Configuration shown per group (row), as pretty-printed JSON. */
  readonly configs: Readonly<Record<string, unknown>>;
}

/** The curves drawn for every report: metric key → chart title. */
export const REPORT_CHARTS: readonly { key: string; title: string }[] = [
  { key: "reward/mean", title: "Reward (mean per step)" },
  { key: "entropy/mean", title: "Entropy (mean token entropy of responses)" },
  { key: "response/length_mean", title: "Response length (tokens)" },
  { key: "aepo/state", title: "AEPO: negative gradients masked (1) or active (0)" },
];

interface ChartData {
  title: string;
  x: number[];
  series: { name: string; values: (number | null)[] }[];
}

/** Average each group's runs at every global step, for one metric key. */
export function chartData(
  runs: readonly ReportRun[],
  key: string,
  title: string,
): ChartData | null {
  const groups = new Map<string, Map<number, { sum: number; n: number }>>();
  const steps = new Set<number>();
  for (const run of runs) {
    let g = groups.get(run.group);
    if (!g) groups.set(run.group, (g = new Map()));
    for (const m of run.metrics) {
      const v = m.metrics[key];
      if (v === undefined || !Number.isFinite(v)) continue;
      steps.add(m.globalStep);
      const acc = g.get(m.globalStep) ?? { sum: 0, n: 0 };
      acc.sum += v;
      acc.n += 1;
      g.set(m.globalStep, acc);
    }
  }
  if (steps.size === 0) return null;
  const x = [...steps].sort((a, b) => a - b);
  const series = [...groups].map(([name, g]) => ({
    name,
    values: x.map((s) => {
      const acc = g.get(s);
      return acc ? acc.sum / acc.n : null;
    }),
  }));
  return { title, x, series };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmtCell(c: ReportCell | null): string {
  if (!c) return "–";
  const ci = Number.isFinite(c.ci95) ? ` ± ${(100 * c.ci95).toFixed(1)}` : "";
  return `${(100 * c.mean).toFixed(1)}${ci}`;
}

function tableHtml(t: ReportTable): string {
  const head = ["Row", ...(t.labels ?? t.columns), "Avg.", "Δ vs baseline"]
    .map((h) => `<th>${escapeHtml(h)}</th>`)
    .join("");
  const body = t.rows
    .map((r) => {
      const delta = r.vsBaseline
        ? `${r.vsBaseline.difference >= 0 ? "+" : ""}${(100 * r.vsBaseline.difference).toFixed(1)} ± ${(100 * r.vsBaseline.ci95).toFixed(1)} ` +
          (r.vsBaseline.resolved
            ? `<span class="resolved">resolved</span>`
            : `<span class="noise">within noise</span>`)
        : "baseline";
      const cells = [...r.cells.map(fmtCell), fmtCell(r.avg), delta]
        .map((c) => `<td>${c}</td>`)
        .join("");
      return `<tr><th>${escapeHtml(r.name)}</th>${cells}</tr>`;
    })
    .join("\n");
  return `<h2>${escapeHtml(t.title)}</h2><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table><p class="note">${escapeHtml(t.note)}</p>`;
}

/** `</script>` inside embedded JSON or JS would end the script element early. */
function scriptSafe(s: string): string {
  return s.replace(/<\/(script)/gi, "<\\/$1");
}

export function renderReport(model: ReportModel): string {
  const require = createRequire(import.meta.url);
  const uplotJs = readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8");
  const uplotCss = readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8");
  const charts = REPORT_CHARTS.map((c) => chartData(model.runs, c.key, c.title)).filter(
    (c): c is ChartData => c !== null,
  );
  const configs = Object.entries(model.configs)
    .map(
      ([name, cfg]) =>
        `<details><summary>${escapeHtml(name)}</summary><pre>${escapeHtml(JSON.stringify(cfg, null, 2))}</pre></details>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(model.title)}</title>
<style>${uplotCss}
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child{text-align:left}.resolved{color:#0a7d28;font-weight:600}.noise{color:#888}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid #eee;padding:8px}
.note{color:#555;max-width:900px}pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:400px}
</style></head><body>
<h1>${escapeHtml(model.title)}</h1>
${model.tables.map(tableHtml).join("\n")}
<h2>Training curves</h2>
<div class="charts" id="charts">${charts.length === 0 ? "<p>No training steps were recorded.</p>" : ""}</div>
<h2>Configuration</h2>
${configs}
<script>${scriptSafe(uplotJs)}</script>
<script type="application/json" id="chart-data">${scriptSafe(JSON.stringify(charts))}</script>
<script>
const palette = ["#1f77b4","#d62728","#2ca02c","#ff7f0e","#9467bd","#8c564b","#e377c2","#17becf","#7f7f7f","#bcbd22"];
const charts = JSON.parse(document.getElementById("chart-data").textContent);
for (const c of charts) {
  const el = document.createElement("div");
  el.className = "chart";
  document.getElementById("charts").appendChild(el);
  new uPlot({
    title: c.title, width: 560, height: 300,
    scales: { x: { time: false } },
    series: [{ label: "step" }, ...c.series.map((s, i) => ({ label: s.name, stroke: palette[i % palette.length], width: 1.5, spanGaps: true }))],
  }, [c.x, ...c.series.map((s) => s.values)], el);
}
</script>
</body></html>
`;
}
