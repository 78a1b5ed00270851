// `qlx run` on a tiny experiment with a memory-agent stage: it completes, writes the agent's
// metrics for every memory step, and evaluates the stage's checkpoint in both modes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { EvalRecord, MetricsRecord } from "../../../runtime/executor/layout.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));

const SOURCE = `experiment memory_smoke {
  seed = 5
  model policy { init = tiny(layers = 1, dim = 32, heads = 2), context = 96 }
  tasks {
    reading { data = generate(kind = reading, count = 32), reward = contains }
  }
  rollout { group = 2, temperature = 1.0, top_p = 0.95 }
  batch = 2
  control = aepo(low = 0.2, high = 0.6)
  clip = negative_gradient(level = token, when = entropy > 0.5)
  optimizer = adamw(lr = 1e-3, grad_clip = 1)
  warmup sft { steps = 2, lr = 2e-3, batch = 4, check_every = 2 }
  schedule {
    stage s1 { input = 32, output = 4, steps = 1 }
    stage mem from s1 { input = 32, output = 4, steps = 2, agent = memory(chunk = 12, memory = 8) }
  }
  evaluate { benchmarks = [lbv1_qa], limit = 4, input = 32, output = 4 }
}
`;

const lines = <T>(file: string): T[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);

describe("qlx run with a memory-agent stage", () => {
  it("trains the memory stage and evaluates both modes", { timeout: 300_000 }, () => {
    const work = mkdtempSync(join(tmpdir(), "qlx-memory-"));
    writeFileSync(join(work, "qlx.project"), "");
    const file = join(work, "exp.qlx");
    writeFileSync(file, SOURCE);
    const out = join(work, "out");
    const run = spawnSync(
      process.execPath,
      [join(root, "bin", "qlx.js"), "run", file, "--threads", "1", "--out", out],
      { cwd: root, encoding: "utf8" },
    );
    expect(run.stderr).not.toMatch(/QLX6001|qlx run:/);
    expect(run.status).toBe(0);

    const metrics = lines<MetricsRecord>(join(out, "metrics.jsonl"));
    const mem = metrics.filter((r) => r.stage === "mem");
    expect(mem.map((r) => r.step)).toEqual([1, 2]);
    for (const r of mem) {
      // 32-token documents in 12-token chunks: 3 reading steps and the answer.
      expect(r.metrics["agent/steps_mean"]).toBe(4);
      expect(r.metrics["agent/malformed_frac"]).toBeGreaterThanOrEqual(0);
      expect(r.metrics["agent/malformed_frac"]).toBeLessThanOrEqual(1);
      expect(r.metrics["agent/memory_tokens_mean"]).toBeGreaterThan(0);
      expect(r.metrics["agent/memory_tokens_mean"]).toBeLessThanOrEqual(8);
      expect(Number.isFinite(r.metrics["train/loss"])).toBe(true);
    }
    expect(
      metrics.filter((r) => r.stage === "s1").every((r) => !("agent/steps_mean" in r.metrics)),
    ).toBe(true);

    const evals = lines<EvalRecord>(join(out, "eval.jsonl"));
    const at = (stage: string) => evals.filter((e) => e.stage === stage).map((e) => e.mode);
    expect(at("warmup")).toEqual(["full", "memory"]);
    expect(at("mem")).toEqual(["full", "memory"]);
    for (const e of evals) expect(e.n).toBe(4);
  });
});
