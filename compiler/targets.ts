// The compile targets, one table: `qlx compile --target NAME` looks them up here, so adding a
// backend is one entry. A target returns one text (stdout or --out FILE) or a bundle of files
// (written under --out DIR), with any diagnostics of its own (e.g. backend capability limits).
import * as nodePath from "node:path";
import type { Diagnostic } from "../language/diagnostics.ts";
import { emitIrJson } from "./emit/ir-json.ts";
import { emitTs } from "./emit/ts.ts";
import { emitVerlBundle } from "./emit/verl/index.ts";
import type { IrDocument } from "./ir/schema.ts";

export interface TargetContext {
  /** The output file or directory, or undefined for stdout. */
  readonly outPath?: string;
  /** Absolute path of compiler/ir/schema.ts, for emitted imports. */
  readonly schemaPath: string;
}

export type TargetOutput =
  | { readonly kind: "text"; readonly text: string }
  /** Relative path → content; files ending in `.sh` are made executable. */
  | {
      readonly kind: "files";
      readonly files: ReadonlyMap<string, string>;
      readonly diagnostics: readonly Diagnostic[];
    };

export interface Target {
  readonly description: string;
  emit(doc: IrDocument, ctx: TargetContext): TargetOutput;
}

export const TARGETS: Record<string, Target> = {
  ir: {
    description: "the runtime-graph IR as canonical JSON",
    emit: (doc) => ({ kind: "text", text: emitIrJson(doc) }),
  },
  ts: {
    description: "a typed TypeScript module that builds the same IR (ts-morph)",
    emit: (doc, ctx) => ({
      kind: "text",
      text: emitTs(doc, { schemaImport: schemaSpecifier(ctx) }),
    }),
  },
  verl: {
    description:
      "a verl v0.4.0 launch bundle: configs, qlx_verl plugin, launch scripts (--out DIR)",
    emit: (doc) => {
      const bundle = emitVerlBundle(doc);
      return { kind: "files", files: bundle.files, diagnostics: bundle.diagnostics };
    },
  },
};

/** The schema as the emitted module imports it: relative to where the module is written. */
function schemaSpecifier(ctx: TargetContext): string {
  const from = ctx.outPath ?? nodePath.join(process.cwd(), "graph.ts");
  const rel = nodePath
    .relative(nodePath.dirname(nodePath.resolve(from)), ctx.schemaPath)
    .split(nodePath.sep)
    .join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}
