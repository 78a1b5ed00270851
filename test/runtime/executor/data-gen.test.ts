import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { QLX_BIN, REPO_ROOT } from "../../helpers/golden.ts";

const SOURCE = `experiment datasets {
  seed = 4
  model policy { init = tiny(layers = 1, dim = 32, heads = 2), context = 64 }
  tasks {
    reading { data = generate(kind = reading, count = 6), reward = em }
    numbers { data = generate(kind = corpus_numeric, count = 5), reward = numeric_match }
  }
  rollout { group = 2 }
  batch = 2
  optimizer = adamw(lr = 1e-3)
  schedule {
    stage s1 { input = 32, output = 4, steps = 1 }
    stage s2 { input = 48, output = 4, steps = 1 }
  }
  evaluate { benchmarks = [frames], limit = 3, input = 32, output = 4 }
}
`;

const qlx = (args: string[]) =>
  spawnSync(process.execPath, [QLX_BIN, ...args], { cwd: REPO_ROOT, encoding: "utf8" });

describe("qlx data gen FILE", () => {
  it(
    "writes each stage's generated task data and the evaluation sets, which data check accepts",
    { timeout: 120_000 },
    () => {
      const work = mkdtempSync(join(tmpdir(), "qlx-datagen-"));
      writeFileSync(join(work, "qlx.project"), "");
      const file = join(work, "d.qlx");
      writeFileSync(file, SOURCE);
      const out = join(work, "data");
      const r = qlx(["data", "gen", file, "--out", out]);
      expect(r.stderr).not.toMatch(/error/);
      expect(r.status).toBe(0);
      const lines = (rel: string) => readFileSync(join(out, rel), "utf8").trim().split("\n");
      expect(lines("s1/reading.jsonl")).toHaveLength(6);
      expect(lines("s2/numbers.jsonl")).toHaveLength(5);
      expect(lines("benchmarks/frames.jsonl")).toHaveLength(3);
      // Stage 2's prompts are padded to its own input length (48 tokens, BOS excluded).
      const record = JSON.parse(lines("s2/reading.jsonl")[0]!) as {
        meta: { input_tokens: number };
      };
      expect(record.meta.input_tokens).toBe(47);
      for (const rel of ["s1/reading.jsonl", "s2/numbers.jsonl", "benchmarks/frames.jsonl"]) {
        expect(qlx(["data", "check", join(out, rel)]).status).toBe(0);
      }
    },
  );
});
