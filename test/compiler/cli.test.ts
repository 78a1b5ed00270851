// The CLI contract other tools rely on: exit codes, the JSON diagnostics shape, compile output.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.ts";
import { IrDocument } from "../../compiler/ir/schema.ts";
import { REPO_ROOT } from "../helpers/golden.ts";

function qlx(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [nodePath.join(REPO_ROOT, "bin/qlx.js"), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `main` in this process (faster than a spawn), capturing what it prints. */
async function inProcess(
  ...args: string[]
): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi
    .spyOn(process.stdout, "write")
    .mockImplementation((s) => (out.push(String(s)), true));
  const e = vi
    .spyOn(process.stderr, "write")
    .mockImplementation((s) => (err.push(String(s)), true));
  try {
    const status = await main(args);
    return { status, stdout: out.join(""), stderr: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const examples = [
  "examples/qwenlong-l1.5/recipe.qlx",
  ...fs
    .readdirSync(nodePath.join(REPO_ROOT, "examples/ablations"))
    .map((f) => `examples/ablations/${f}`),
];

describe("qlx CLI", () => {
  it("check exits 0 on every example", () => {
    const r = qlx("check", ...examples);
    expect(r.stderr).not.toMatch(/ error /);
    expect(r.status).toBe(0);
  });

  it("check --format json prints the diagnostics contract and exits 1 on errors", () => {
    const r = qlx(
      "check",
      "--format",
      "json",
      "test/fixtures/diagnostics/QLX2002-unknown-field.qlx",
    );
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        code: "QLX2002",
        severity: "error",
        file: "test/fixtures/diagnostics/QLX2002-unknown-field.qlx",
        line: 7,
        column: 13,
        endLine: 7,
        endColumn: 23,
        message: "unknown field 'temprature' in rollout",
        help: "did you mean 'temperature'?",
      },
    ]);
  });

  it("exits 2 on usage errors", async () => {
    expect((await inProcess("check")).status).toBe(2);
    expect(
      (await inProcess("compile", "examples/qwenlong-l1.5/recipe.qlx", "--target", "nope")).status,
    ).toBe(2);
    expect((await inProcess("frobnicate")).status).toBe(2);
  });

  it("compile --target ir --profile tiny prints valid IR and the derived numbers", async () => {
    const r = await inProcess(
      "compile",
      "examples/qwenlong-l1.5/recipe.qlx",
      "--target",
      "ir",
      "--profile",
      "tiny",
    );
    expect(r.status).toBe(0);
    expect(IrDocument.parse(JSON.parse(r.stdout)).kind).toBe("experiment");
    expect(r.stderr).toContain("stage s1: 150 steps × 16 prompts × G 8 = 128 responses/step");
  });

  it("documents every command", async () => {
    const r = await inProcess("--help");
    expect(r.status).toBe(0);
    for (const c of ["check", "fmt", "compile"]) expect(r.stdout).toContain(c);
    expect((await inProcess("compile", "--help")).stdout).toContain("--target");
  });
});
