// The judge is reachable from the language: a task whose reward is `max(contains, judge)`
// makes `qlx run` ask the endpoint the `judge` block names (here a local server), only for
// responses the rule-based check failed (§5.1).
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { QLX_BIN, REPO_ROOT } from "../../helpers/golden.ts";

const SOURCE = `experiment judged {
  seed = 2
  model policy { init = tiny(layers = 1, dim = 32, heads = 2), context = 48 }
  tasks {
    reading { data = generate(kind = reading, count = 32), reward = max(contains, judge) }
  }
  judge { endpoint = env("QLX_TEST_JUDGE_URL"), model = "test-judge", prompt = std.prompts.equivalence }
  rollout { group = 4, temperature = 1.0, top_p = 1.0 }
  batch = 2
  sampler = uniform
  optimizer = adamw(lr = 1e-3)
  schedule {
    stage s1 { input = 32, output = 4, steps = 2 }
  }
}
`;

describe("qlx run with a judge reward", () => {
  it(
    "asks the judge endpoint for rule misses and caches the verdicts",
    { timeout: 300_000 },
    async () => {
      const prompts: string[] = [];
      const server = createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += String(d)));
        req.on("end", () => {
          const msg = JSON.parse(body) as { messages: { content: string }[] };
          prompts.push(msg.messages.map((m) => m.content).join("\n"));
          res.setHeader("content-type", "application/json");
          res.end(
            JSON.stringify({
              choices: [{ message: { role: "assistant", content: "Not the same. [[NO]]" } }],
            }),
          );
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = (server.address() as AddressInfo).port;
      try {
        const work = mkdtempSync(join(tmpdir(), "qlx-judge-"));
        writeFileSync(join(work, "qlx.project"), "");
        const file = join(work, "j.qlx");
        writeFileSync(file, SOURCE);
        const out = join(work, "run");
        const code = await new Promise<number | null>((resolve) => {
          const child = spawn(
            process.execPath,
            [QLX_BIN, "run", file, "--out", out, "--threads", "1"],
            {
              cwd: REPO_ROOT,
              env: { ...process.env, QLX_TEST_JUDGE_URL: `http://127.0.0.1:${port}/v1` },
              stdio: "ignore",
            },
          );
          child.on("exit", resolve);
        });
        expect(code).toBe(0);
        // An untrained policy misses nearly every rule check, so the judge was consulted.
        expect(prompts.length).toBeGreaterThan(0);
        expect(existsSync(join(out, "judge-cache"))).toBe(true);
        expect(readdirSync(join(out, "judge-cache")).length).toBeGreaterThan(0);
      } finally {
        server.close();
      }
    },
  );
});
