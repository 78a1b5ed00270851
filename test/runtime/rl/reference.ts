// Runs a PyTorch reference script (test/reference/*.py) on JSON cases and returns its JSON output.
// Debian's /usr/bin/python3 carries python3-torch (the python3 on PATH may not).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const referenceDir = fileURLToPath(new URL("../../reference/", import.meta.url));

export function runReference<T>(script: string, cases: unknown): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qlx-ref-"));
  try {
    const input = path.join(dir, "cases.json");
    fs.writeFileSync(input, JSON.stringify(cases));
    const out = execFileSync("/usr/bin/python3", [path.join(referenceDir, script), input], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    return JSON.parse(out) as T;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
