// What every identifier of a parsed file *is*, read off the built-ins table: a block keyword,
// a field, a function, a parameter, an enum value, a declared name or a reference to one.
// Hover, go-to-definition, references, rename and semantic tokens all query this one index,
// built from the (possibly recovered) AST alone, so they work in files that do not check
// (STYLE.md §1: IDE steps need only the parse).
import type * as A from "../ast.ts";
import {
  EXPERIMENT,
  FUNCTIONS,
  ROOT,
  ROWS,
  lookupStd,
  type StdValue,
  type BlockSpec,
  type FieldSpec,
  type FnSpec,
  type ParamSpec,
  type RefTarget,
  type Ty,
} from "../builtins.ts";

/** Kinds of named things a file declares; `merge` nodes are referenced like stages. */
export type DeclKind = "experiment" | "ablation" | "model" | "task" | "stage" | "merge";

export type Occurrence =
  | { readonly kind: "block"; readonly ident: A.Ident; readonly spec: BlockSpec }
  | { readonly kind: "decl"; readonly ident: A.Ident; readonly decl: DeclKind }
  | { readonly kind: "field"; readonly ident: A.Ident; readonly spec: FieldSpec }
  | { readonly kind: "fn"; readonly ident: A.Ident; readonly spec: FnSpec }
  | {
      readonly kind: "param";
      readonly ident: A.Ident;
      readonly spec: ParamSpec;
      readonly fn: FnSpec;
    }
  | {
      readonly kind: "enum";
      readonly ident: A.Ident;
      readonly values: readonly string[];
      readonly doc: string;
    }
  /** A standard-library value such as `std.prompts.equivalence`; `ident` spans the whole path. */
  | { readonly kind: "std"; readonly ident: A.Ident; readonly value: StdValue }
  /** A name that refers to a declaration (`from s3`, `base = s3`, a task override). */
  | { readonly kind: "ref"; readonly ident: A.Ident; readonly to: readonly DeclKind[] };

export interface FileIndex {
  /** Every classified identifier, in source order. */
  readonly occurrences: readonly Occurrence[];
  readonly tokenCounts: readonly A.TokenCountLit[];
}

const DECL_OF_TARGET: Record<RefTarget, readonly DeclKind[]> = {
  task: ["task"],
  stage: ["stage"],
  stageOrMerge: ["stage", "merge"],
  model: ["model"],
  experiment: ["experiment"],
};

/** Flattens `oneOf` and `list` into the member types a single written value may have. */
export function valueTypes(t: Ty): Ty[] {
  if (t.kind === "oneOf") return t.of.flatMap(valueTypes);
  if (t.kind === "list") return [t, ...valueTypes(t.of)];
  return [t];
}

export function enumValuesOf(t: Ty): string[] {
  return valueTypes(t).flatMap((v) => (v.kind === "enum" ? [...v.values] : []));
}

export function refKindsOf(t: Ty): DeclKind[] {
  return valueTypes(t).flatMap((v) => (v.kind === "ref" ? [...DECL_OF_TARGET[v.to]] : []));
}

export function fnCategoriesOf(t: Ty): string[] {
  return valueTypes(t).flatMap((v) => (v.kind === "fn" ? [v.category] : []));
}

/** The function a callee names: within the expected categories first, then by name alone. */
export function resolveFunction(name: string, expected: Ty | undefined): FnSpec | undefined {
  const categories = expected === undefined ? [] : fnCategoriesOf(expected);
  return (
    FUNCTIONS.find((f) => f.name === name && categories.includes(f.category)) ??
    FUNCTIONS.find((f) => f.name === name)
  );
}

/**
 * The spec of a block nested in `parent`. Profiles and ablation rows override fields of the
 * experiment, so their contents read as experiment contents.
 */
export function childSpec(
  parent: BlockSpec,
  block: A.Block | A.RowBlock,
): { spec: BlockSpec; isEntry: boolean } | undefined {
  if (block.kind === "Row") return { spec: EXPERIMENT, isEntry: false };
  const keyword = block.keyword.name;
  if (parent === EXPERIMENT && keyword === "profile") return { spec: EXPERIMENT, isEntry: false };
  const nested = parent.blocks.find((b) => b.keyword === keyword);
  if (nested !== undefined) return { spec: nested, isEntry: false };
  if (parent.entries !== undefined) return { spec: parent.entries, isEntry: true };
  return undefined;
}

/** Whether this block's contents override an experiment (profile or ablation row). */
function isOverride(block: A.Block | A.RowBlock): boolean {
  return block.kind === "Row" || block.keyword.name === "profile";
}

export function indexFile(file: A.File): FileIndex {
  const occurrences: Occurrence[] = [];
  const tokenCounts: A.TokenCountLit[] = [];
  const add = (o: Occurrence) => occurrences.push(o);

  /** Records `p` as an enum value of `type` when it is one; `doc` describes the owner. */
  const enumWord = (p: A.Path, type: Ty | undefined, doc: string): boolean => {
    const word = p.parts[0];
    const values = type === undefined ? [] : enumValuesOf(type);
    if (word === undefined || p.parts.length !== 1 || !values.includes(word.name)) return false;
    add({ kind: "enum", ident: word, values, doc });
    return true;
  };

  const expr = (e: A.Expr, expected: Ty | undefined, locals: ReadonlySet<string>): void => {
    switch (e.kind) {
      case "TokenCount":
        tokenCounts.push(e);
        return;
      case "Path":
        return path(e, expected, locals);
      case "Call":
        return call(e, expected, locals);
      case "List": {
        const of = expected?.kind === "list" ? expected.of : expected;
        for (const item of e.items) expr(item, of, locals);
        return;
      }
      case "Binary":
        // `entropy > 0.8`, `pass_rate < 0.5`: the subject is a built-in word, not a name.
        expr(e.left, undefined, locals);
        expr(e.right, undefined, locals);
        return;
      case "Unary":
        return expr(e.operand, expected, locals);
      case "Paren":
        return expr(e.inner, expected, locals);
      default:
        return;
    }
  };

  const path = (p: A.Path, expected: Ty | undefined, locals: ReadonlySet<string>): void => {
    const first = p.parts[0];
    const std = lookupStd(p.parts.map((x) => x.name).join("."));
    if (std !== undefined) {
      add({ kind: "std", ident: { kind: "Ident", name: std.path, span: p.span }, value: std });
      return;
    }
    if (first === undefined || locals.has(first.name) || p.parts.length > 1) return;
    if (expected === undefined) {
      add({ kind: "ref", ident: first, to: ["task", "stage", "merge", "model", "experiment"] });
      return;
    }
    if (enumWord(p, expected, "")) return;
    const fn =
      fnCategoriesOf(expected).length > 0 ? resolveFunction(first.name, expected) : undefined;
    if (fn !== undefined) {
      add({ kind: "fn", ident: first, spec: fn });
      return;
    }
    const refs = refKindsOf(expected);
    if (refs.length > 0) add({ kind: "ref", ident: first, to: refs });
  };

  const call = (c: A.Call, expected: Ty | undefined, locals: ReadonlySet<string>): void => {
    const name = c.callee.parts.map((x) => x.name).join(".");
    const fn = c.callee.parts.length === 1 ? resolveFunction(name, expected) : undefined;
    const callee = c.callee.parts[0];
    if (fn !== undefined && callee !== undefined) add({ kind: "fn", ident: callee, spec: fn });
    c.args.forEach((arg, i) => {
      const param =
        fn === undefined
          ? undefined
          : arg.name !== undefined
            ? fn.params.find((p) => p.name === arg.name?.name)
            : (fn.params[i] ?? fn.params.find((p) => p.variadic === true));
      if (arg.name !== undefined && param !== undefined && fn !== undefined)
        add({ kind: "param", ident: arg.name, spec: param, fn });
      // Variadic reward combinators (`max(contains, judge)`) take values of the call's type.
      const argType = param?.type ?? (fn === undefined ? undefined : expected);
      if (
        param !== undefined &&
        arg.value.kind === "Path" &&
        enumWord(arg.value, param.type, param.doc)
      )
        return;
      expr(arg.value, argType, locals);
    });
  };

  const assignment = (a: A.Assignment, spec: BlockSpec, locals: ReadonlySet<string>): void => {
    const parts = a.target.parts;
    const keywordDecl =
      a.keyword && spec.keywordAssignments?.find((k) => k.keyword === a.keyword?.name);
    if (keywordDecl !== undefined && parts.length === 1 && parts[0] !== undefined) {
      add({ kind: "decl", ident: parts[0], decl: "merge" });
      expr(a.value, keywordDecl.type, locals);
      return;
    }
    // `s1.input = 32` in a profile's schedule: a stage reference, then the stage's field.
    if (parts.length === 2 && parts[0] !== undefined && parts[1] !== undefined) {
      const stage = spec.blocks.find((b) => b.keyword === "stage");
      add({ kind: "ref", ident: parts[0], to: ["stage", "merge"] });
      const field = stage?.fields.find((x) => x.name === parts[1]?.name);
      if (field !== undefined) add({ kind: "field", ident: parts[1], spec: field });
      expr(a.value, field?.type, locals);
      return;
    }
    const field =
      parts.length === 1 ? spec.fields.find((x) => x.name === parts[0]?.name) : undefined;
    if (field !== undefined && parts[0] !== undefined)
      add({ kind: "field", ident: parts[0], spec: field });
    if (field !== undefined && a.value.kind === "Path" && enumWord(a.value, field.type, field.doc))
      return;
    expr(a.value, field?.type, locals);
  };

  const items = (
    list: readonly A.Item[],
    spec: BlockSpec,
    override: boolean,
    locals: ReadonlySet<string>,
  ): void => {
    for (const item of list) {
      if (item.kind === "Assignment") assignment(item, spec, locals);
      else if (item.kind === "For") {
        expr(item.iterable, undefined, locals);
        items(item.items, spec, override, new Set([...locals, item.variable.name]));
      } else block(item, spec, override, locals);
    }
  };

  const block = (
    b: A.Block | A.RowBlock,
    parent: BlockSpec,
    override: boolean,
    locals: ReadonlySet<string>,
  ): void => {
    const found = childSpec(parent, b);
    const nowOverride = override || isOverride(b);
    if (b.kind === "Block") {
      if (found?.isEntry === true) {
        // A task entry: its keyword is the task's name.
        if (nowOverride) add({ kind: "ref", ident: b.keyword, to: ["task"] });
        else add({ kind: "decl", ident: b.keyword, decl: "task" });
      } else if (found !== undefined) add({ kind: "block", ident: b.keyword, spec: found.spec });
      if (b.name?.kind === "Ident") {
        const kw = b.keyword.name;
        const decl: DeclKind | undefined =
          kw === "experiment" || kw === "ablation" || kw === "model" || kw === "stage"
            ? kw
            : undefined;
        if (decl !== undefined) {
          if (nowOverride && decl !== "experiment" && decl !== "ablation")
            add({ kind: "ref", ident: b.name, to: [decl] });
          else add({ kind: "decl", ident: b.name, decl });
        }
      }
      if (b.from !== undefined) add({ kind: "ref", ident: b.from, to: ["stage", "merge"] });
      if (b.of !== undefined) add({ kind: "ref", ident: b.of, to: ["experiment"] });
    }
    const spec =
      found?.spec ?? (b.kind === "Block" && b.keyword.name === "rows" ? ROWS : undefined);
    if (spec !== undefined) items(b.items, spec, nowOverride, locals);
  };

  for (const item of file.items) {
    if (item.kind === "Block") block(item, ROOT, false, new Set());
  }
  occurrences.sort((a, b) => a.ident.span.start - b.ident.span.start);
  tokenCounts.sort((a, b) => a.span.start - b.span.start);
  return { occurrences, tokenCounts };
}

/** The occurrence whose identifier covers `offset` (end inclusive, as a cursor after a word). */
export function occurrenceAt(index: FileIndex, offset: number): Occurrence | undefined {
  return index.occurrences.find((o) => o.ident.span.start <= offset && offset <= o.ident.span.end);
}
