// The stage progression in the shape of the paper's Table 10: one row per evaluated checkpoint
// (warm-up, then each stage and merge in schedule order), full-context scores per benchmark with
// their average, then the memory-agent scores of the same checkpoint. Built from a run's
// eval.jsonl records (runtime/executor/layout.ts); a row's scores are those of the last
// evaluation of that checkpoint (the stage's end).
import type { EvalRecord } from "../executor/layout.ts";

export interface ProgressionTable {
  readonly benchmarks: readonly string[];
  /** Whether any checkpoint was evaluated in memory mode (the memory columns exist). */
  readonly memory: boolean;
  readonly rows: readonly {
    readonly checkpoint: string;
    /** Per benchmark, then "avg"; undefined where that checkpoint was not evaluated so. */
    readonly full: Readonly<Record<string, number | undefined>>;
    readonly agent: Readonly<Record<string, number | undefined>>;
  }[];
}

function average(scores: Record<string, number | undefined>, names: readonly string[]) {
  const got = names.map((n) => scores[n]).filter((v): v is number => v !== undefined);
  return got.length === names.length && got.length > 0
    ? got.reduce((a, b) => a + b, 0) / got.length
    : undefined;
}

export function progressionTable(records: readonly EvalRecord[]): ProgressionTable {
  const benchmarks = [...new Set(records.map((r) => r.benchmark))];
  const order: string[] = [];
  const last = new Map<string, EvalRecord>();
  for (const r of records) {
    if (!order.includes(r.stage)) order.push(r.stage);
    const key = `${r.stage}\u0000${r.mode}\u0000${r.benchmark}`;
    const prev = last.get(key);
    if (!prev || r.globalStep >= prev.globalStep) last.set(key, r);
  }
  const scores = (stage: string, mode: EvalRecord["mode"]) => {
    const out: Record<string, number | undefined> = {};
    for (const b of benchmarks) out[b] = last.get(`${stage}\u0000${mode}\u0000${b}`)?.score;
    out["avg"] = average(out, benchmarks);
    return out;
  };
  return {
    benchmarks,
    memory: records.some((r) => r.mode === "memory"),
    rows: order.map((checkpoint) => ({
      checkpoint,
      full: scores(checkpoint, "full"),
      agent: scores(checkpoint, "memory"),
    })),
  };
}

/** Markdown: scores ×100 with one decimal, "–" where a checkpoint was not evaluated. */
export function progressionMarkdown(t: ProgressionTable): string {
  const cols = [...t.benchmarks, "avg"];
  const cell = (v: number | undefined) => (v === undefined ? "–" : (100 * v).toFixed(1));
  const header = [
    "checkpoint",
    ...cols.map((c) => `${c} (full)`),
    ...(t.memory ? cols.map((c) => `${c} (memory agent)`) : []),
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const r of t.rows) {
    const cells = [
      r.checkpoint,
      ...cols.map((c) => cell(r.full[c])),
      ...(t.memory ? cols.map((c) => cell(r.agent[c])) : []),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}
