// The constructs that need more than the on-policy step: PPO updates over mini-batches with the
// rollout's log-probs (updates_per_batch > 1), KL to the stage's starting policy in the loss and
// in the reward, and pass-rate-binned pre-balancing (§4.2) — each runs through `qlx run` and
// leaves its metrics.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { QLX_BIN, REPO_ROOT } from "../../helpers/golden.ts";

const source = (loss: string) => `experiment offpolicy {
  seed = 5
  model policy { init = tiny(layers = 1, dim = 32, heads = 2), context = 48 }
  tasks {
    reading { data = generate(kind = reading, count = 24), reward = em }
    numbers { data = generate(kind = corpus_numeric, count = 24), reward = numeric_match }
  }
  rollout { group = 4, temperature = 0.9, top_p = 1.0 }
  batch = 4
  mini_batch = 2
  sampler = pass_rate_binned(k = 2, bins = 2)
  loss = ${loss}
  optimizer = adamw(lr = 1e-3)
  warmup sft { steps = 4, lr = 2e-3, batch = 8, check_every = 2 }
  schedule {
    stage s1 { input = 32, output = 4, steps = 3 }
  }
}
`;

describe("qlx run beyond the on-policy step", () => {
  it.each([
    [
      "PPO mini-batch updates with KL in the loss",
      "policy_gradient(aggregate = seq_mean_token_mean, kl = 0.05, kl_estimator = k3, updates_per_batch = 2)",
      "loss/kl",
    ],
    ["KL in the reward", "policy_gradient(kl_reward = 0.05, kl_estimator = k1)", "reward/kl"],
  ])("trains with %s and pass-rate binning", { timeout: 300_000 }, (_name, loss, metric) => {
    const work = mkdtempSync(join(tmpdir(), "qlx-offpolicy-"));
    writeFileSync(join(work, "qlx.project"), "");
    const file = join(work, "o.qlx");
    writeFileSync(file, source(loss));
    const out = join(work, "run");
    const r = spawnSync(process.execPath, [QLX_BIN, "run", file, "--out", out, "--threads", "1"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(r.stderr).not.toMatch(/qlx run:|QLX6001/);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/pass-rate binning: \d+ of \d+ examples/);
    const steps = readFileSync(join(out, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { stage: string; metrics: Record<string, number> })
      .filter((m) => m.stage === "s1");
    expect(steps).toHaveLength(3);
    for (const s of steps) {
      expect(Number.isFinite(s.metrics[metric])).toBe(true);
      expect(s.metrics["train/loss_tokens"]).toBeGreaterThan(0);
    }
  });
});
