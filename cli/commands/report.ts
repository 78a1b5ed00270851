// `qlx report DIR… [--out FILE]`.
import * as nodePath from "node:path";
import { writeAtomic } from "../../runtime/io/atomic.ts";
import { renderReport } from "../../runtime/report/html.ts";
import { loadReport, ReportInputError } from "../../runtime/report/load.ts";
import { parseCommandArgs } from "../args.ts";
import { usageError } from "../diagnostics-output.ts";

export const help = `qlx report — one self-contained HTML page for runs and ablations

Usage: qlx report DIR… [--out FILE]

Each DIR is a run directory (qlx run) or an ablation directory (qlx ablate). The page has
per-step curves of reward, entropy, response length and AEPO state for every run (ablation
rows averaged over seeds), the evaluation tables, and each row's configuration. It needs no
network: the charting library is inlined. Default FILE: DIR/report.html for one DIR,
report.html otherwise.

Exit codes: 0 written, 1 unreadable input, 2 usage error.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(argv, { out: { type: "string" } }, help);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length === 0) return usageError("give at least one run or ablation DIR", help);
  const out =
    values.out ??
    (positionals.length === 1 ? nodePath.join(positionals[0]!, "report.html") : "report.html");
  try {
    writeAtomic(out, renderReport(loadReport(positionals)));
  } catch (e) {
    if (e instanceof ReportInputError) {
      process.stderr.write(`qlx report: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  process.stdout.write(`report written to ${out}\n`);
  return 0;
}
