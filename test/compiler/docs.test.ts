// docs/reference.md and docs/diagnostics.md are generated from the tables; stale docs fail.
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { describe, expect, it } from "vitest";
import { DOCS } from "../../scripts/gen-docs.ts";
import { REPO_ROOT } from "../helpers/golden.ts";

describe("generated docs", () => {
  it.each(DOCS.map((d) => [d.path, d] as const))(
    "%s is up to date (npm run docs)",
    async (_path, doc) => {
      expect(fs.readFileSync(nodePath.join(REPO_ROOT, doc.path), "utf8")).toBe(await doc.render());
    },
  );
});
