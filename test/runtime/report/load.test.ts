import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ablationRowDir } from "../../../runtime/executor/layout.ts";
import { loadReport, ReportInputError } from "../../../runtime/report/load.ts";

const rec = (step: number, reward: number) =>
  JSON.stringify({ stage: "s1", step, globalStep: step, metrics: { "reward/mean": reward } });

describe("loadReport", () => {
  it("reads a run directory and tolerates a torn last line", () => {
    const dir = mkdtempSync(join(tmpdir(), "qlx-run-"));
    writeFileSync(join(dir, "metrics.jsonl"), `${rec(1, 0.1)}\n${rec(2, 0.2)}\n{"stage":"s1","st`);
    writeFileSync(join(dir, "ir.json"), JSON.stringify({ seed: 3 }));
    const m = loadReport([dir]);
    expect(m.runs).toHaveLength(1);
    expect(m.runs[0]!.metrics.map((r) => r.step)).toEqual([1, 2]);
    expect(Object.values(m.configs)).toEqual([{ seed: 3 }]);
  });

  it("names the file and line of a corrupt record in the middle", () => {
    const dir = mkdtempSync(join(tmpdir(), "qlx-run-"));
    writeFileSync(join(dir, "metrics.jsonl"), `${rec(1, 0.1)}\nnot json\n${rec(3, 0.2)}\n`);
    expect(() => loadReport([dir])).toThrow(/metrics\.jsonl:2: not valid JSON/);
  });

  it("reads an ablation directory: the table and every row's seed runs", () => {
    const dir = mkdtempSync(join(tmpdir(), "qlx-abl-"));
    for (const [slug, seed] of [
      ["grpo", 0],
      ["grpo", 1],
      ["tb", 0],
    ] as const) {
      const run = ablationRowDir(dir, slug, seed);
      mkdirSync(run, { recursive: true });
      writeFileSync(join(run, "metrics.jsonl"), `${rec(1, 0.1)}\n`);
    }
    const table = {
      title: "Table 2",
      columns: ["docmath"],
      rows: [
        { name: "GRPO", cells: [null], avg: null },
        { name: "+ TB", cells: [null], avg: null },
      ],
      note: "",
      rowDirs: { GRPO: "grpo", "+ TB": "tb" },
    };
    writeFileSync(join(dir, "table.json"), JSON.stringify(table));
    const m = loadReport([dir]);
    expect(m.title).toBe("Table 2");
    expect(m.runs.map((r) => r.name)).toEqual(["GRPO / seed-0", "GRPO / seed-1", "+ TB / seed-0"]);
    expect(m.runs.map((r) => r.group)).toEqual(["GRPO", "GRPO", "+ TB"]);
  });

  it("rejects a directory that is neither", () => {
    const dir = mkdtempSync(join(tmpdir(), "qlx-empty-"));
    expect(() => loadReport([dir])).toThrow(ReportInputError);
  });
});
