// `qlx compile FILE --target ir|ts [--profile P] [--name N] [--out PATH|-]`.
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { compileFile, nodeHost, UsageError } from "../../compiler/index.ts";
import { TARGETS } from "../../compiler/targets.ts";
import { hasErrors } from "../../language/diagnostics.ts";
import { renderForTerminal, usageError } from "../diagnostics-output.ts";
import { parseCommandArgs } from "../args.ts";

const targetList = Object.entries(TARGETS)
  .map(([name, t]) => `  ${name.padEnd(6)} ${t.description}`)
  .join("\n");

export const help = `qlx compile — compile an experiment or ablation

Usage: qlx compile FILE [--target NAME] [--profile P] [--name N] [--out PATH|-] [--project DIR]

Targets (default ir):
${targetList}

--profile applies a profile of the experiment (for an ablation: of its base).
--name picks the experiment or ablation when FILE declares several.
--out writes to PATH (a directory for bundle targets); '-' or no --out writes to stdout.
An ablation compiles to one graph per row plus the table spec.
Derived numbers (responses and tokens per step, per worker) are printed on stderr.

Exit codes: 0 compiled, 1 errors in the input, 2 usage error.
`;

const schemaPath = nodePath.resolve(
  nodePath.dirname(new URL(import.meta.url).pathname),
  "../../compiler/ir/schema.ts",
);

function writeBundle(dir: string, files: ReadonlyMap<string, string>): void {
  for (const [path, text] of files) {
    const full = nodePath.join(dir, path);
    fs.mkdirSync(nodePath.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
    if (path.endsWith(".sh")) fs.chmodSync(full, 0o755);
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      target: { type: "string", default: "ir" },
      profile: { type: "string" },
      name: { type: "string" },
      out: { type: "string" },
      project: { type: "string" },
    },
    help,
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return usageError("give exactly one FILE", help);
  const target = TARGETS[values.target ?? "ir"];
  if (target === undefined)
    return usageError(
      `unknown target '${values.target}' (targets: ${Object.keys(TARGETS).join(", ")})`,
      help,
    );
  const file = positionals[0];
  if (!nodeHost.exists(file)) return usageError(`cannot read ${file}`, help);
  let result;
  try {
    result = compileFile(file, {
      ...(values.profile ? { profile: values.profile } : {}),
      ...(values.name ? { name: values.name } : {}),
      ...(values.project ? { projectDir: values.project } : {}),
    });
  } catch (e) {
    if (e instanceof UsageError) return usageError(e.message, help);
    throw e;
  }
  if (result.diagnostics.length > 0) process.stderr.write(renderForTerminal(result.diagnostics));
  if (result.ir === undefined) return 1;
  const toStdout = values.out === undefined || values.out === "-";
  const output = target.emit(result.ir, {
    ...(toStdout ? {} : { outPath: values.out }),
    schemaPath,
  });
  if (output.kind === "text") {
    if (toStdout) process.stdout.write(output.text);
    else fs.writeFileSync(values.out as string, output.text);
  } else {
    if (output.diagnostics.length > 0) process.stderr.write(renderForTerminal(output.diagnostics));
    if (hasErrors(output.diagnostics)) return 1;
    if (toStdout)
      return usageError(`--target ${values.target} writes a directory: give --out DIR`, help);
    writeBundle(values.out as string, output.files);
  }
  for (const line of result.summary) process.stderr.write(`${line}\n`);
  return 0;
}
