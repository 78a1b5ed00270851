// Kill a run with SIGKILL at a random step, resume it, and check the final weights are
// bit-identical to an uninterrupted run (DESIGN.md "The runtime graph"; issue 7).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { QLX_BIN, REPO_ROOT } from "../../helpers/golden.ts";
import { Rng } from "../../../runtime/rng.ts";

const root = REPO_ROOT;
const bin = QLX_BIN;

const SOURCE = `experiment resume_check {
  seed = 3
  model policy { init = tiny(layers = 1, dim = 32, heads = 2), context = 48 }
  tasks {
    reading { data = generate(kind = reading, count = 64), reward = em }
    numeric { data = generate(kind = corpus_numeric, count = 64), reward = numeric_match }
  }
  rollout { group = 4, temperature = 1.0, top_p = 0.95 }
  batch = 4
  sampler = task_balanced(over = tasks)
  advantage = grpo(std = task_batch)
  control = aepo(low = 0.2, high = 0.6)
  optimizer = adamw(lr = 1e-3, grad_clip = 1)
  warmup sft { steps = 6, lr = 2e-3, batch = 8, check_every = 3 }
  schedule {
    stage s1 { input = 32, output = 6, steps = 6 }
    stage s2 { input = 40, output = 6, steps = 6, retrospective = hard(pass_rate < 0.5) }
    merge fused = sce(models = [s1, s2], base = s1, topk = 0.5)
    stage s3 from fused { input = 40, output = 6, steps = 2 }
  }
  evaluate { benchmarks = [lbv1_qa], every = 3, limit = 8, input = 32, output = 6 }
}
`;

function qlx(
  args: string[],
  onLine?: (dir: string) => boolean,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += String(d)));
    child.stdout.on("data", () => {});
    let timer: NodeJS.Timeout | undefined;
    if (onLine) {
      const out = args[args.indexOf("--out") + 1]!;
      timer = setInterval(() => {
        if (onLine(out)) child.kill("SIGKILL");
      }, 20);
    }
    child.on("exit", (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stderr });
    });
  });
}

function rlSteps(dir: string): number {
  const f = join(dir, "metrics.jsonl");
  if (!existsSync(f)) return 0;
  return readFileSync(f, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{") && !l.includes('"stage":"warmup"')).length;
}

/** Metrics without wall-clock measurements (perf/*), which differ between any two runs. */
function learningMetrics(dir: string): unknown[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const r = JSON.parse(l) as { metrics: Record<string, number> };
      const metrics = Object.fromEntries(
        Object.entries(r.metrics).filter(([k]) => !k.startsWith("perf/")),
      );
      return { ...r, metrics };
    });
}

describe("qlx run: kill and resume", () => {
  it("ends bit-identical to an uninterrupted run", { timeout: 600_000 }, async () => {
    const work = mkdtempSync(join(tmpdir(), "qlx-resume-"));
    writeFileSync(join(work, "qlx.project"), "");
    const file = join(work, "exp.qlx");
    writeFileSync(file, SOURCE);
    const common = [file, "--threads", "1", "--checkpoint-every", "2"];

    const a = join(work, "a");
    const full = await qlx(["run", ...common, "--out", a]);
    expect(full.stderr).not.toMatch(/qlx run:/);
    expect(full.code).toBe(0);

    // A random step in the middle of the schedule (seeded: the test itself is reproducible).
    const killAt = 2 + Rng.stream(Date.UTC(2026, 10, 25), "kill-step").int(8);
    const b = join(work, "b");
    const killed = await qlx(["run", ...common, "--out", b], (dir) => rlSteps(dir) >= killAt);
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(join(b, "summary.json"))).toBe(false);

    const resumed = await qlx(["run", ...common, "--out", b, "--resume"]);
    expect(resumed.code).toBe(0);

    for (const f of ["s1.safetensors", "s2.safetensors", "fused.safetensors", "s3.safetensors"]) {
      const wa = readFileSync(join(a, "checkpoints", f));
      const wb = readFileSync(join(b, "checkpoints", f));
      expect(wb.equals(wa)).toBe(true);
    }
    expect(learningMetrics(b)).toEqual(learningMetrics(a));
    expect(readFileSync(join(b, "eval.jsonl"), "utf8")).toBe(
      readFileSync(join(a, "eval.jsonl"), "utf8"),
    );
  });
});
