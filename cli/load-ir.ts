// Shared by `qlx run` and `qlx ablate`: a FILE argument is a `.qlx` source (compiled here,
// diagnostics printed) or an IR JSON file (validated by the IR schema).
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { compileFile, UsageError, type Project } from "../compiler/index.ts";
import { IrDocument } from "../compiler/ir/schema.ts";
import { parse } from "../language/index.ts";
import type { Device } from "../runtime/tensor/session.ts";
import { renderForTerminal } from "./diagnostics-output.ts";

/** The flags of the commands that load a FILE and run it (`qlx run`, `qlx ablate`). */
export const RUN_SOURCE_FLAGS = {
  profile: { type: "string" },
  name: { type: "string" },
  project: { type: "string" },
  device: { type: "string", default: "cpu" },
} as const;

/** `--device` as a device the runtime has, or why it is not one. */
export function parseDevice(device: string): Device | { problem: string } {
  return device === "cpu" || device === "webgpu"
    ? device
    : { problem: `--device must be cpu or webgpu, got '${device}'` };
}

export interface LoadedIr {
  readonly ir: IrDocument;
  readonly projectDir: string;
  readonly project?: Project;
}

/** The IR of FILE, or an exit code (1: errors in the file, 2: usage) after printing why. */
/**
 * The name of the only `kind` block (experiment or ablation) FILE declares, so that `qlx run`
 * on a file with one experiment and its ablations needs no --name.
 */
function onlyBlockOfKind(file: string, kind: "experiment" | "ablation"): string | undefined {
  const { ast } = parse(fs.readFileSync(file, "utf8"), file);
  const names = ast.items.flatMap((i) =>
    i.kind === "Block" && i.keyword.name === kind && i.name?.kind === "Ident" ? [i.name.name] : [],
  );
  return names.length === 1 ? names[0] : undefined;
}

export function loadIr(
  file: string,
  opts: { profile?: string; name?: string; project?: string },
  kind: "experiment" | "ablation",
): LoadedIr | { exit: number; message?: string } {
  if (!fs.existsSync(file)) return { exit: 2, message: `cannot read ${file}` };
  if (file.endsWith(".json")) {
    const parsed = IrDocument.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      process.stderr.write(
        `${file}: not a valid qlx IR document: ${issue.path.join(".")}: ${issue.message}\n`,
      );
      return { exit: 1 };
    }
    return {
      ir: parsed.data,
      projectDir: opts.project ?? nodePath.dirname(nodePath.resolve(file)),
    };
  }
  const name = opts.name ?? onlyBlockOfKind(file, kind);
  let result;
  try {
    result = compileFile(file, {
      ...(opts.profile ? { profile: opts.profile } : {}),
      ...(name ? { name } : {}),
      ...(opts.project ? { projectDir: opts.project } : {}),
    });
  } catch (e) {
    if (e instanceof UsageError) return { exit: 2, message: e.message };
    throw e;
  }
  if (result.diagnostics.length > 0) process.stderr.write(renderForTerminal(result.diagnostics));
  if (result.ir === undefined) return { exit: 1 };
  return {
    ir: result.ir,
    projectDir: result.project?.root ?? nodePath.dirname(nodePath.resolve(file)),
    ...(result.project ? { project: result.project } : {}),
  };
}
