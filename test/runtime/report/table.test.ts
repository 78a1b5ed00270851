import { describe, expect, it } from "vitest";
import { buildAblationTable, tableCsv, tableMarkdown } from "../../../runtime/report/table.ts";

describe("ablation table", () => {
  const rows = [
    {
      name: "GRPO",
      seeds: [
        { seed: 1, scores: { docmath: 0.3, mrcr: 0.5 } },
        { seed: 2, scores: { docmath: 0.32, mrcr: 0.52 } },
        { seed: 3, scores: { docmath: 0.31, mrcr: 0.49 } },
      ],
    },
    {
      name: "+ Task-balanced",
      seeds: [
        { seed: 1, scores: { docmath: 0.5, mrcr: 0.7 } },
        { seed: 2, scores: { docmath: 0.52, mrcr: 0.71 } },
        { seed: 3, scores: { docmath: 0.49, mrcr: 0.69 } },
      ],
    },
    {
      name: "+ Tiny change",
      seeds: [
        { seed: 1, scores: { docmath: 0.31, mrcr: 0.5 } },
        { seed: 2, scores: { docmath: 0.3, mrcr: 0.52 } },
        { seed: 3, scores: { docmath: 0.33, mrcr: 0.5 } },
      ],
    },
  ];
  const t = buildAblationTable("Table 2", ["docmath", "mrcr"], rows, 500);

  it("summarises each column and the average over seeds", () => {
    expect(t.rows[0]!.cells[0]!.mean).toBeCloseTo(0.31, 12);
    expect(t.rows[0]!.avg!.mean).toBeCloseTo((0.4 + 0.42 + 0.4) / 3, 12);
    expect(t.rows[0]!.vsBaseline).toBeUndefined();
  });

  it("marks a large effect resolved and a small one within noise", () => {
    expect(t.rows[1]!.vsBaseline!.resolved).toBe(true);
    expect(t.rows[2]!.vsBaseline!.resolved).toBe(false);
    expect(t.minimumDetectable).toBeGreaterThan(0);
  });

  it("compares rows within seeds when every row ran on the same seeds", () => {
    // A large seed effect shared by both rows and a small, consistent row effect: only the
    // within-seed comparison resolves it.
    const shared = (name: string, shift: number) => ({
      name,
      seeds: [0.2, 0.35, 0.5].map((y, i) => ({
        seed: 11 + i,
        scores: { docmath: y + shift + (i === 1 ? 0.002 : 0), mrcr: y + shift },
      })),
    });
    const blocked = buildAblationTable(
      "t",
      ["docmath", "mrcr"],
      [shared("a", 0), shared("b", 0.03)],
      500,
    );
    expect(blocked.rows[1]!.vsBaseline!.difference).toBeCloseTo(0.03, 12);
    expect(blocked.rows[1]!.vsBaseline!.resolved).toBe(true);
    expect(blocked.note).toContain("paired over seeds");
    // The same scores on different seeds are independent samples: within noise.
    const b = shared("b", 0.03);
    const unpaired = buildAblationTable(
      "t",
      ["docmath", "mrcr"],
      [shared("a", 0), { ...b, seeds: b.seeds.map((s) => ({ ...s, seed: s.seed + 10 })) }],
      500,
    );
    expect(unpaired.rows[1]!.vsBaseline!.resolved).toBe(false);
    expect(unpaired.note).toContain("seed-to-seed sd");
    expect(blocked.minimumDetectable).toBeLessThan(unpaired.minimumDetectable);
  });

  it("compares with the row named as baseline", () => {
    const t2 = buildAblationTable("Table 2", ["docmath", "mrcr"], rows, 500, {
      baseline: 2,
      labels: ["DocMath", "MRCR"],
    });
    expect(t2.rows[2]!.vsBaseline).toBeUndefined();
    expect(t2.rows[0]!.vsBaseline!.difference).toBeCloseTo(
      t2.rows[0]!.avg!.mean - t2.rows[2]!.avg!.mean,
      12,
    );
    expect(t2.note).toContain("baseline row (+ Tiny change)");
    expect(tableMarkdown(t2)).toContain("| + Tiny change |");
    expect(tableMarkdown(t2)).toContain("|  | DocMath | MRCR | Avg. |");
  });

  it("writes Markdown in the paper's layout and a CSV with one line per row", () => {
    const md = tableMarkdown(t);
    expect(md).toContain("|  | docmath | mrcr | Avg. | Δ Avg. vs baseline |");
    expect(md).toContain(
      "| + Task-balanced | 50.3 ± 3.8 | 70.0 ± 2.5 | 60.2 ± 3.1 | +19.5 (resolved) |",
    );
    expect(md).toContain("(resolved)");
    expect(md).toContain("(within noise)");
    const csv = tableCsv(t).trim().split("\n");
    expect(csv).toHaveLength(4);
    expect(csv[0]).toBe(
      "row,docmath_mean,docmath_ci95,mrcr_mean,mrcr_ci95,avg_mean,avg_ci95,delta,resolved",
    );
  });
});
