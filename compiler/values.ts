// Checked values: what an expression means once its type is known. Calls carry every
// parameter, defaults filled in, so lowering never consults defaults again. `poison` stands
// where a value was wrong; later checks skip it silently (one mistake, one diagnostic).
import type { Span } from "../language/ast.ts";
import { lookupFunction, type DefaultValue, type FnSpec, type Ty } from "../language/builtins.ts";

export type CompareOp = "<" | "<=" | ">" | ">=";

export type Val =
  | { readonly k: "num"; readonly v: number; readonly span: Span }
  | { readonly k: "str"; readonly v: string; readonly span: Span }
  | { readonly k: "bool"; readonly v: boolean; readonly span: Span }
  | { readonly k: "enum"; readonly v: string; readonly span: Span }
  | { readonly k: "ref"; readonly name: string; readonly span: Span }
  | {
      readonly k: "call";
      readonly fn: string;
      /** Every parameter: the written ones and the table's defaults for the rest. */
      readonly args: ReadonlyMap<string, Val>;
      /** The parameters the source wrote (a default can equal a written value). */
      readonly written: ReadonlySet<string>;
      readonly span: Span;
    }
  | { readonly k: "list"; readonly items: readonly Val[]; readonly span: Span }
  | {
      readonly k: "pred";
      readonly subject: string;
      readonly op: CompareOp;
      readonly value: number;
      readonly span: Span;
    }
  | { readonly k: "env"; readonly name: string; readonly span: Span }
  | { readonly k: "std"; readonly path: string; readonly span: Span }
  /** An optional parameter or field with no value (e.g. no dual clip). */
  | { readonly k: "absent"; readonly span: Span }
  | { readonly k: "poison"; readonly span: Span };

export function isPoison(v: Val | undefined): boolean {
  return v === undefined || v.k === "poison";
}

/** Turns a table default into a value of the declared type, positioned at `span`. */
export function defaultVal(d: DefaultValue, ty: Ty, span: Span, allTasks: readonly string[]): Val {
  if (d === null) return { k: "absent", span };
  if (Array.isArray(d)) {
    const of = ty.kind === "list" ? ty.of : ty;
    return { k: "list", items: d.map((x) => defaultVal(x, of, span, allTasks)), span };
  }
  if (typeof d === "number") return { k: "num", v: d, span };
  if (typeof d === "boolean") return { k: "bool", v: d, span };
  const s = d as string;
  switch (ty.kind) {
    case "enum":
      return { k: "enum", v: s, span };
    case "fn": {
      const spec = lookupFunction(ty.category, s);
      if (spec === undefined)
        throw new Error(`builtins table: default '${s}' is not a ${ty.category}`);
      return {
        k: "call",
        fn: s,
        args: defaultArgs(spec, new Map(), span, allTasks),
        written: new Set(),
        span,
      };
    }
    case "prompt":
      return { k: "std", path: s, span };
    case "list":
      // `over = tasks`: every declared task.
      return { k: "list", items: allTasks.map((name) => ({ k: "ref", name, span })), span };
    default:
      return { k: "str", v: s, span };
  }
}

// Accessors used by checks and lowering on values whose type the checker has established.
export function num(v: Val | undefined): number | undefined {
  return v?.k === "num" ? v.v : undefined;
}
export function str(v: Val | undefined): string | undefined {
  return v?.k === "str" || v?.k === "enum" ? v.v : v?.k === "ref" ? v.name : undefined;
}
export function call(v: Val | undefined): Extract<Val, { k: "call" }> | undefined {
  return v?.k === "call" ? v : undefined;
}
export function list(v: Val | undefined): readonly Val[] {
  return v?.k === "list" ? v.items : [];
}
export function refNames(v: Val | undefined): string[] {
  return list(v).flatMap((x) => (x.k === "ref" ? [x.name] : []));
}

/** `given` plus every parameter it lacks, from the table's defaults (absent when none). */
export function defaultArgs(
  spec: FnSpec,
  given: ReadonlyMap<string, Val>,
  span: Span,
  allTasks: readonly string[],
): Map<string, Val> {
  const args = new Map<string, Val>();
  for (const p of spec.params) {
    const v = given.get(p.name);
    if (v !== undefined) args.set(p.name, v);
    else if (p.default !== undefined)
      args.set(p.name, defaultVal(p.default, p.type, span, allTasks));
    else args.set(p.name, { k: "absent", span });
  }
  return args;
}
