// `qlx fmt FILES… [--check]`: rewrite files in canonical layout, or list those that differ.
import * as fs from "node:fs";
import { format } from "../../language/index.ts";
import { relativeFile, renderForTerminal, usageError } from "../diagnostics-output.ts";
import { parseCommandArgs } from "../args.ts";

export const help = `qlx fmt — format .qlx files

Usage: qlx fmt FILE… [--check]

Rewrites each FILE in the canonical layout (comments kept; idempotent). With --check,
writes nothing and lists the files that would change.
A file with syntax errors is left untouched and its errors are printed.

Exit codes: 0 formatted (or already formatted with --check), 1 a file would change (--check)
or has syntax errors, 2 usage error.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(argv, { check: { type: "boolean", default: false } }, help);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length === 0) return usageError("no input files", help);
  let status = 0;
  for (const file of positionals) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      return usageError(`cannot read ${file}`, help);
    }
    const result = format(text, file);
    if (!result.ok) {
      process.stderr.write(renderForTerminal(result.diagnostics));
      status = 1;
      continue;
    }
    if (result.text === text) continue;
    if (values.check) {
      process.stdout.write(`${relativeFile(file)}\n`);
      status = 1;
    } else {
      fs.writeFileSync(file, result.text);
    }
  }
  return status;
}
