// Golden files: compare output with a checked-in file; `QLX_UPDATE_GOLDEN=1` rewrites them
// (review the diff like code).
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { expect } from "vitest";

export const REPO_ROOT = nodePath.resolve(new URL("../..", import.meta.url).pathname);
/** The `qlx` command as CLI tests spawn it: `node QLX_BIN ARGS…`. */
export const QLX_BIN = nodePath.join(REPO_ROOT, "bin", "qlx.js");

export const updatingGoldens = process.env.QLX_UPDATE_GOLDEN === "1";

export function expectGolden(path: string, actual: string): void {
  if (updatingGoldens) {
    fs.mkdirSync(nodePath.dirname(path), { recursive: true });
    fs.writeFileSync(path, actual);
    return;
  }
  if (!fs.existsSync(path)) {
    throw new Error(
      `missing golden ${nodePath.relative(REPO_ROOT, path)}: run with QLX_UPDATE_GOLDEN=1 and review it`,
    );
  }
  expect(actual).toBe(fs.readFileSync(path, "utf8"));
}

/** Repository-relative paths, so goldens never contain this machine's paths. */
export function withRootPlaceholder(text: string): string {
  return text.split(REPO_ROOT).join("$ROOT");
}
