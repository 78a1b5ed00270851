// Golden verl bundles of the examples: the compiled recipe and ablation tables, emitted, checked
// against verl's config rules, and compared with test/fixtures/verl/<example>/ (the verbatim
// Python templates are left out of the goldens; python-package.test.ts covers them).
// QLX_UPDATE_GOLDEN=1 rewrites the goldens; review the diff like code.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/index.ts";
import {
  emitVerlBundle,
  writeVerlBundle,
  type VerlBundle,
} from "../../compiler/emit/verl/index.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const goldenRoot = join(root, "test/fixtures/verl");
const update = process.env["QLX_UPDATE_GOLDEN"] === "1";
const smokeScript = fileURLToPath(new URL("./bundle_smoke.py", import.meta.url));

const EXAMPLES: { name: string; file: string; errors: string[] }[] = [
  { name: "qwenlong-l1.5", file: "examples/qwenlong-l1.5/recipe.qlx", errors: [] },
  { name: "table2", file: "examples/ablations/table2.qlx", errors: [] },
  { name: "table4", file: "examples/ablations/table4.qlx", errors: [] },
  { name: "table5", file: "examples/ablations/table5.qlx", errors: [] },
  { name: "table10", file: "examples/ablations/table10.qlx", errors: [] },
];

function emit(file: string): VerlBundle {
  const r = compileFile(join(root, file));
  if (r.ir === undefined)
    throw new Error(`${file} does not compile: ${r.diagnostics.map((d) => d.code).join(", ")}`);
  return emitVerlBundle(r.ir);
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((p) => statSync(join(dir, p)).isFile())
    .map((p) => p.split("\\").join("/"))
    .sort();
}

const isTemplate = (p: string) => /(^|\/)qlx_verl\/[^/]+\.py$/.test(p);

describe.each(EXAMPLES)("verl bundle of $file", ({ name, file, errors }) => {
  const bundle = emit(file);

  it("passes verl's config and batch rules (errors only for constructs verl cannot run)", () => {
    const errorCodes = [
      ...new Set(bundle.diagnostics.filter((d) => d.severity === "error").map((d) => d.code)),
    ];
    expect(errorCodes).toEqual(errors);
    // No key, type or divisibility problem in any emitted config.
    expect(bundle.diagnostics.filter((d) => /^QLX700\d|^QLX701[0-5]$/.test(d.code))).toEqual([]);
  });

  it("is byte-identical across emissions", () => {
    expect(emit(file).files).toEqual(bundle.files);
  });

  it("matches its golden files", () => {
    const dir = join(goldenRoot, name);
    if (update) {
      rmSync(dir, { recursive: true, force: true });
      const kept = new Map([...bundle.files].filter(([p]) => !isTemplate(p)));
      writeVerlBundle(dir, { ...bundle, files: kept });
    }
    const golden = listFiles(dir);
    const emitted = [...bundle.files.keys()].filter((p) => !isTemplate(p)).sort();
    expect(emitted).toEqual(golden);
    for (const p of golden) expect(bundle.files.get(p), p).toBe(readFileSync(join(dir, p), "utf8"));
  });

  it("runs its stage driver (dry run), its plugin on its own config, and its launch scripts parse", () => {
    const out = mkdtempSync(join(tmpdir(), "qlx-verl-"));
    try {
      writeVerlBundle(out, bundle);
      const bundleDir = bundle.files.has("qlx_verl/config.json")
        ? out
        : join(
            out,
            listFiles(out)
              .find((p) => p.endsWith("qlx_verl/config.json"))!
              .replace("/qlx_verl/config.json", ""),
          );
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PYTHONPATH: bundleDir,
        PYTHONDONTWRITEBYTECODE: "1",
      };
      delete env["QLX_VERL_CONFIG"];
      const r = spawnSync("/usr/bin/python3", ["-m", "qlx_verl.driver", "--dry-run"], {
        cwd: bundleDir,
        env,
        encoding: "utf8",
      });
      expect(r.stderr).toBe("");
      const commands = r.stdout.split("\n").filter((l) => l.startsWith("+ "));
      const stages = JSON.parse(
        readFileSync(join(bundleDir, "qlx_verl/config.json"), "utf8"),
      ).schedule;
      expect(commands.filter((c) => c.includes("qlx_verl.main")).length).toBe(
        stages.filter((s: { kind: string }) => s.kind === "stage").length,
      );
      for (const c of commands.filter((x) => x.includes("qlx_verl.main"))) {
        expect(c).not.toMatch(/\{[a-z_]+\}/); // every placeholder filled
        expect(c).toContain(`data.train_files=${join(bundleDir, "data")}/`);
      }
      // Every bundle (each ablation row) runs its qlx_verl on its own config.json.
      const bundleDirs = listFiles(out)
        .filter((p) => p.endsWith("qlx_verl/config.json"))
        .map((p) => join(out, p.replace(/\/?qlx_verl\/config\.json$/, "")));
      const smoke = spawnSync("/usr/bin/python3", [smokeScript, ...bundleDirs], {
        env,
        encoding: "utf8",
      });
      expect(smoke.stderr).toBe("");
      expect(smoke.stdout.trim().split("\n")).toHaveLength(bundleDirs.length);
      for (const line of smoke.stdout.trim().split("\n")) expect(line).toMatch(/^ok \d+ stages/);
      for (const script of listFiles(bundleDir).filter((p) => p.endsWith(".sh"))) {
        const sh = spawnSync("bash", ["-n", join(bundleDir, script)], { encoding: "utf8" });
        expect(sh.status, `${relative(out, join(bundleDir, script))}: ${sh.stderr}`).toBe(0);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
