// The compile targets, one table: `qlx compile --target NAME` looks them up here, so adding a
// backend (verl) is one entry.
import * as nodePath from "node:path";
import { emitIrJson } from "./emit/ir-json.ts";
import { emitTs } from "./emit/ts.ts";
import type { IrDocument } from "./ir/schema.ts";

export interface TargetContext {
  /** Where the output goes (a file path), or undefined for stdout. */
  readonly outPath?: string;
  /** Absolute path of compiler/ir/schema.ts, for emitted imports. */
  readonly schemaPath: string;
}

export interface Target {
  readonly description: string;
  /** Default output file name (next to the source) when --out is not given. */
  readonly extension: string;
  emit(doc: IrDocument, ctx: TargetContext): string;
}

export const TARGETS: Record<string, Target> = {
  ir: {
    description: "the runtime-graph IR as canonical JSON",
    extension: ".ir.json",
    emit: (doc) => emitIrJson(doc),
  },
  ts: {
    description: "a typed TypeScript module that builds the same IR (ts-morph)",
    extension: ".graph.ts",
    emit: (doc, ctx) => emitTs(doc, { schemaImport: schemaSpecifier(ctx) }),
  },
};

function schemaSpecifier(ctx: TargetContext): string {
  return ctx.outPath === undefined
    ? ctx.schemaPath
    : relativeSpecifier(ctx.outPath, ctx.schemaPath);
}

function relativeSpecifier(from: string, to: string): string {
  const rel = nodePath
    .relative(nodePath.dirname(nodePath.resolve(from)), to)
    .split(nodePath.sep)
    .join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}
