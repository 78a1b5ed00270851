import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { QLX_BIN, REPO_ROOT } from "../../helpers/golden.ts";
import { rowSlugs } from "../../../runtime/executor/ablate.ts";

const root = REPO_ROOT;
const bin = QLX_BIN;

const SOURCE = `experiment base {
  seed = 1
  model policy { init = tiny(layers = 1, dim = 32, heads = 2), context = 48 }
  tasks {
    reading { data = generate(kind = reading, count = 32), reward = em }
    numeric { data = generate(kind = corpus_numeric, count = 32), reward = numeric_match }
  }
  rollout { group = 4, temperature = 1.0, top_p = 0.95 }
  batch = 4
  sampler = task_balanced(over = tasks)
  advantage = grpo(std = task_batch)
  optimizer = adamw(lr = 1e-3, grad_clip = 1)
  warmup sft { steps = 2, lr = 2e-3, batch = 8, check_every = 2 }
  schedule {
    stage s1 { input = 32, output = 4, steps = 2 }
  }
  evaluate { benchmarks = [lbv1_qa, docmath], limit = 4, input = 32, output = 4 }
}

ablation smoke_table of base {
  rows {
    "Base" { train = false }
    "GRPO" { sampler = uniform, advantage = grpo(std = group) }
    "+ Task-batch std" { }
  }
  seeds = 1
}

`;

// Another file, so its rows' IR differ from smoke_table's only in `source`: with --reuse,
// nothing is re-run.
const SHARED = `use "t.qlx"

ablation shared_rows of base {
  rows {
    "Base" { train = false }
    "Same GRPO, other name" { sampler = uniform, advantage = grpo(std = group) }
  }
  seeds = 1
}
`;

function qlx(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8" });
}

describe("qlx ablate and qlx report", () => {
  it("names row directories uniquely and stably", () => {
    expect(rowSlugs(["GRPO", "+ Task-balanced", "task balanced", "GRPO"])).toEqual([
      "grpo",
      "task-balanced",
      "task-balanced-2",
      "grpo-2",
    ]);
  });

  it(
    "runs every row, writes the table in four formats, then reuses finished runs",
    { timeout: 600_000 },
    () => {
      const work = mkdtempSync(join(tmpdir(), "qlx-ablate-"));
      writeFileSync(join(work, "qlx.project"), "");
      const file = join(work, "t.qlx");
      writeFileSync(file, SOURCE);
      const out = join(work, "out");
      const first = qlx(["ablate", file, "--name", "smoke_table", "--out", out, "--jobs", "2"]);
      expect(first.stderr).toContain("3 runs (3 rows × seeds), 0 reused, 3 to run");
      expect(first.status).toBe(0);
      expect(first.stdout).toContain("| GRPO |");
      for (const f of ["table.md", "table.csv", "table.json", "table.html"])
        expect(existsSync(join(out, f))).toBe(true);
      const table = JSON.parse(readFileSync(join(out, "table.json"), "utf8"));
      expect(table.columns).toEqual(["lbv1_qa", "docmath"]);
      expect(table.rows.map((r: { name: string }) => r.name)).toEqual([
        "Base",
        "GRPO",
        "+ Task-batch std",
      ]);
      expect(table.rows[1].vsBaseline).toBeDefined();
      // The untrained row is the warm-up checkpoint: it was warmed up and trained no stage.
      const base = readFileSync(join(out, "rows", "base", "seed-1", "metrics.jsonl"), "utf8");
      expect(base).toContain('"stage":"warmup"');
      expect(base).not.toContain('"stage":"s1"');

      const again = qlx(["ablate", file, "--name", "smoke_table", "--out", out]);
      expect(again.stderr).toContain("3 reused, 0 to run");
      expect(again.status).toBe(0);

      const shared = join(work, "shared");
      const sharedFile = join(work, "u.qlx");
      writeFileSync(sharedFile, SHARED);
      const copied = qlx(["ablate", sharedFile, "--out", shared, "--reuse", out]);
      expect(copied.stderr).toContain("2 reused (2 copied from --reuse), 0 to run");
      expect(copied.status).toBe(0);
      expect(
        readFileSync(
          join(shared, "rows", "same-grpo-other-name", "seed-1", "summary.json"),
          "utf8",
        ),
      ).toBe(readFileSync(join(out, "rows", "grpo", "seed-1", "summary.json"), "utf8"));
      // The copy records the IR it stands for: its own file as source.
      const copiedIr = join(shared, "rows", "same-grpo-other-name", "seed-1", "ir.json");
      expect(JSON.parse(readFileSync(copiedIr, "utf8")).source).toBe("u.qlx");
      const again2 = qlx(["ablate", sharedFile, "--out", shared]);
      expect(again2.stderr).toContain("2 reused, 0 to run");
      const notAblation = qlx(["ablate", sharedFile, "--reuse", work]);
      expect(notAblation.status).toBe(2);
      expect(notAblation.stderr).toContain("not an ablation's output");

      const report = qlx(["report", out]);
      expect(report.status).toBe(0);
      const html = readFileSync(join(out, "report.html"), "utf8");
      expect(html).toContain("smoke_table");
      expect(html).toContain("+ Task-batch std");
    },
  );

  it("refuses an experiment file and names the command to use", () => {
    const work = mkdtempSync(join(tmpdir(), "qlx-ablate-"));
    writeFileSync(join(work, "qlx.project"), "");
    const file = join(work, "e.qlx");
    writeFileSync(file, SOURCE.slice(0, SOURCE.indexOf("ablation")));
    const r = qlx(["ablate", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("run it with `qlx run`");
  });
});
