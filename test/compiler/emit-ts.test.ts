// `--target ts`: the emitted module type-checks against the IR types and evaluates to the
// same IR as `--target ir`; a contract-breaking edit to it fails the type check.
import * as fs from "node:fs";
import * as os from "node:os";
import * as nodePath from "node:path";
import { pathToFileURL } from "node:url";
import { Project } from "ts-morph";
import { afterAll, describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/index.ts";
import { emitTs } from "../../compiler/emit/ts.ts";
import type { IrDocument } from "../../compiler/ir/schema.ts";
import { REPO_ROOT } from "../helpers/golden.ts";

const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "qlx-emit-ts-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const schemaPath = nodePath.join(REPO_ROOT, "compiler/ir/schema.ts");
const project = new Project({
  tsConfigFilePath: nodePath.join(REPO_ROOT, "tsconfig.json"),
  skipAddingFilesFromTsConfig: true,
});

function typeErrors(file: string, text: string): string[] {
  const source = project.createSourceFile(file, text, { overwrite: true });
  return source.getPreEmitDiagnostics().map((d) => String(d.getMessageText()));
}

function compiled(example: string): IrDocument {
  const result = compileFile(nodePath.join(REPO_ROOT, "examples", example), { profile: "tiny" });
  if (result.ir === undefined) throw new Error(`${example} did not compile`);
  return result.ir;
}

describe("TypeScript emitter", () => {
  it.each(["qwenlong-l1.5/recipe.qlx", "ablations/table5.qlx"])(
    "%s: type-checks and rebuilds the same IR",
    async (example) => {
      const ir = compiled(example);
      const file = nodePath.join(dir, `${nodePath.basename(example, ".qlx")}.graph.ts`);
      const text = emitTs(ir, { schemaImport: schemaPath });
      fs.writeFileSync(file, text);
      expect(typeErrors(file, text)).toEqual([]);
      const module = (await import(pathToFileURL(file).href)) as { default: IrDocument };
      expect(module.default).toEqual(ir);
    },
  );

  it("rejects an edit that breaks the IR types", () => {
    const text = emitTs(compiled("qwenlong-l1.5/recipe.qlx"), { schemaImport: schemaPath });
    const broken = text.replace('"op": "grpo"', '"op": "gae"');
    expect(broken).not.toBe(text);
    expect(typeErrors(nodePath.join(dir, "broken.graph.ts"), broken).length).toBeGreaterThan(0);
  });
});
