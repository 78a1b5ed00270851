import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import type { MetricsRecord } from "../../../runtime/executor/layout.ts";
import { chartData, renderReport, type ReportModel } from "../../../runtime/report/html.ts";
import { launchChromium } from "../../helpers/chromium.ts";

function curve(group: string, seed: number, slope: number): MetricsRecord[] {
  return Array.from({ length: 30 }, (_, i) => ({
    stage: "s1",
    step: i + 1,
    globalStep: i + 1,
    metrics: {
      "reward/mean": 0.2 + slope * i + 0.01 * seed,
      "entropy/mean": 0.8 - 0.01 * i,
      "response/length_mean": 10 + (i % 5),
      "aepo/state": i > 10 && i < 20 ? 1 : 0,
    },
  }));
}

const model: ReportModel = {
  title: "Table 2 </script> test",
  runs: [
    { name: "GRPO / seed-0", group: "GRPO", metrics: curve("GRPO", 0, 0.005), eval: [] },
    { name: "GRPO / seed-1", group: "GRPO", metrics: curve("GRPO", 1, 0.005), eval: [] },
    { name: "Task-batch / seed-0", group: "Task-batch", metrics: curve("TB", 0, 0.01), eval: [] },
  ],
  tables: [
    {
      title: "Table 2",
      columns: ["docmath", "mrcr"],
      rows: [
        {
          name: "GRPO",
          cells: [{ mean: 0.3, ci95: 0.02, n: 3 }, null],
          avg: { mean: 0.3, ci95: 0.02, n: 3 },
        },
        {
          name: "Task-batch",
          cells: [
            { mean: 0.4, ci95: 0.03, n: 3 },
            { mean: 0.2, ci95: 0.01, n: 3 },
          ],
          avg: { mean: 0.3, ci95: 0.02, n: 3 },
          vsBaseline: { difference: 0.1, ci95: 0.04, resolved: true },
        },
      ],
      note: "Smallest detectable difference: 3.1 points.",
    },
  ],
  configs: { GRPO: { advantage: { std: "group" } } },
};

describe("report", () => {
  it("averages runs of a group per step", () => {
    const c = chartData(model.runs, "reward/mean", "r")!;
    expect(c.series.map((s) => s.name)).toEqual(["GRPO", "Task-batch"]);
    expect(c.series[0]!.values[0]).toBeCloseTo(0.205, 12);
    expect(chartData(model.runs, "no/such", "x")).toBeNull();
  });

  it("renders a self-contained page that draws its charts in headless Chromium", async () => {
    const html = renderReport(model);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    const dir = mkdtempSync(join(tmpdir(), "qlx-report-"));
    const file = join(dir, "report.html");
    writeFileSync(file, html);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(String(e)));
      // Self-contained: the page requests nothing but itself.
      const requests: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector("canvas");
      expect(errors).toEqual([]);
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(await page.locator(".chart").count()).toBe(4);
      // A drawn chart has many distinct non-white pixels on its canvas.
      // Evaluated in the page (a string, so this file needs no DOM typings).
      const inked = await page.evaluate(`(() => {
        const canvas = document.querySelector("canvas");
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i] < 250) n++;
        return n;
      })()`);
      expect(inked).toBeGreaterThan(500);
      expect(await page.locator("td .resolved").count()).toBe(1);
      const shot = await page.screenshot({ fullPage: true });
      expect(shot.length).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  });
});
