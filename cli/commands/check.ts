// `qlx check FILES… [--format text|json] [--project DIR] [--profile P]`.
import { checkFile, nodeHost } from "../../compiler/index.ts";
import { hasErrors, type Diagnostic } from "../../language/diagnostics.ts";
import { renderForTerminal, diagnosticsJson, usageError } from "../diagnostics-output.ts";
import { parseCommandArgs } from "../args.ts";

export const help = `qlx check — type-check .qlx files

Usage: qlx check FILE… [--format text|json] [--project DIR] [--profile NAME]

Checks every experiment (and each of its profiles) and every ablation row in each FILE and
its imports. Prints diagnostics with source excerpts (text), or a JSON array of
{code, severity, file, line, column, endLine, endColumn, message, help} (json).
--project sets the project directory that paths are confined to (default: the file's
directory, or the nearest one above it with a qlx.project file).
--profile checks ablations with that profile of their base applied.

Exit codes: 0 no errors (warnings allowed), 1 errors, 2 usage error.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      format: { type: "string", default: "text" },
      project: { type: "string" },
      profile: { type: "string" },
    },
    help,
  );
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length === 0) return usageError("no input files", help);
  if (values.format !== "text" && values.format !== "json")
    return usageError(`unknown format '${values.format}'`, help);
  const all: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const file of positionals) {
    if (!nodeHost.exists(file)) return usageError(`cannot read ${file}`, help);
    const result = checkFile(file, {
      ...(values.project ? { projectDir: values.project } : {}),
      ...(values.profile ? { profile: values.profile } : {}),
    });
    // Files that import a shared base would repeat its diagnostics: keep each once.
    for (const d of result.diagnostics) {
      const key = `${d.code}|${d.span.file}|${d.span.start}|${d.message}`;
      if (!seen.has(key)) all.push(d);
      seen.add(key);
    }
  }
  if (values.format === "json")
    process.stdout.write(`${JSON.stringify(diagnosticsJson(all), null, 2)}\n`);
  else if (all.length > 0) process.stderr.write(renderForTerminal(all));
  return hasErrors(all) ? 1 : 0;
}
