// The vocabulary of the built-ins table: value types, function and block specs. The checker,
// hover, completion, the reference docs and lowering all read specs of these shapes, so a new
// built-in is one table entry and never new checker code.

/** A numeric range; bounds are inclusive unless the matching `*Exclusive` flag is set. */
export interface Range {
  readonly min?: number;
  readonly max?: number;
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
}

/** What a `ref` can point at. `stageOrMerge` accepts any schedule node. */
export type RefTarget = "task" | "stage" | "stageOrMerge" | "model" | "experiment";

/** Function categories: a field of type `fn` accepts calls (or bare names) of one category. */
export type FnCategory =
  | "sampler"
  | "advantage"
  | "loss"
  | "clip"
  | "control"
  | "optimizer"
  | "reward"
  | "merge"
  | "agent"
  | "retrospective"
  | "init"
  | "data"
  | "env";

export type Ty =
  | { readonly kind: "int"; readonly range?: Range; readonly unit?: "steps" }
  | { readonly kind: "real"; readonly range?: Range }
  | { readonly kind: "probability" }
  | { readonly kind: "tokens"; readonly range?: Range }
  | { readonly kind: "bool" }
  | { readonly kind: "string" }
  /** A file path confined to the project directory. */
  | { readonly kind: "path" }
  /** A string literal or `env("NAME")`; the only way secrets and endpoints come in. */
  | { readonly kind: "secret"; readonly envOnly?: boolean }
  | { readonly kind: "enum"; readonly values: readonly string[] }
  | { readonly kind: "ref"; readonly to: RefTarget }
  | { readonly kind: "fn"; readonly category: FnCategory }
  | {
      readonly kind: "list";
      readonly of: Ty;
      readonly minItems?: number;
      readonly unique?: boolean;
    }
  /** A comparison such as `entropy > 0.8`; the subject is one of `subjects`. */
  | { readonly kind: "predicate"; readonly subjects: readonly string[]; readonly range?: Range }
  /** A prompt: a string literal or a `std.prompts.*` name. */
  | { readonly kind: "prompt" }
  | { readonly kind: "oneOf"; readonly of: readonly Ty[] };

/** A default as plain JSON, exactly what lowering writes into the IR when the field is absent. */
export type DefaultValue = number | string | boolean | null | readonly DefaultValue[];

export interface Cite {
  /** The paper location, e.g. "Eq. 7", "§4.2". */
  readonly paper?: string;
  /** A design-doc section when the paper leaves it open. */
  readonly design?: string;
}

export interface ParamSpec {
  readonly name: string;
  readonly type: Ty;
  /** Absent and not `required`: the parameter is optional with no value (e.g. a judge timeout). */
  readonly default?: DefaultValue;
  readonly required?: boolean;
  /** Accepts any number of positional arguments (`max(a, b, c)`). */
  readonly variadic?: boolean;
  readonly doc: string;
}

export interface FnSpec {
  readonly name: string;
  readonly category: FnCategory;
  readonly params: readonly ParamSpec[];
  readonly doc: string;
  readonly cite?: Cite;
}

export interface FieldSpec {
  readonly name: string;
  readonly type: Ty;
  readonly default?: DefaultValue;
  readonly required?: boolean;
  readonly doc: string;
  readonly cite?: Cite;
}

export interface BlockSpec {
  readonly keyword: string;
  /** Whether the head names the block: `stage s1`, `model policy`. */
  readonly name: "required" | "none";
  /** `stage x from y` is allowed. */
  readonly from?: boolean;
  /** `ablation t of base` is required. */
  readonly of?: boolean;
  /** May appear more than once in its parent (then each must have a distinct name). */
  readonly repeatable?: boolean;
  readonly fields: readonly FieldSpec[];
  readonly blocks: readonly BlockSpec[];
  /** Blocks with any keyword are entries of this spec (the task entries of `tasks`). */
  readonly entries?: BlockSpec;
  /** `merge fused = sce(...)`: keyword assignments that declare named values. */
  readonly keywordAssignments?: readonly {
    readonly keyword: string;
    readonly type: Ty;
    readonly doc: string;
  }[];
  readonly doc: string;
  readonly cite?: Cite;
}

/** A human-readable name of a type, for messages, hover and the reference docs. */
export function typeName(t: Ty): string {
  switch (t.kind) {
    case "int":
      return t.unit === "steps" ? "step count" : "integer";
    case "real":
      return "number";
    case "probability":
      return "probability";
    case "tokens":
      return "token count";
    case "bool":
      return "bool";
    case "string":
      return "string";
    case "path":
      return "file path";
    case "secret":
      return 'string or env("NAME")';
    case "enum":
      return t.values.join(" | ");
    case "ref":
      return t.to === "stageOrMerge" ? "stage or merge name" : `${t.to} name`;
    case "fn":
      return `${t.category}`;
    case "list":
      return `list of ${typeName(t.of)}`;
    case "predicate":
      return `comparison on ${t.subjects.join(" | ")}`;
    case "prompt":
      return "prompt (string or std.prompts.*)";
    case "oneOf":
      return t.of.map(typeName).join(" or ");
  }
}

/** `[0, 1]`, `(0, 1]`, `≥ 1` … for docs and range messages. */
export function rangeText(r: Range): string {
  if (r.min !== undefined && r.max !== undefined) {
    return `${r.minExclusive ? "(" : "["}${r.min}, ${r.max}${r.maxExclusive ? ")" : "]"}`;
  }
  if (r.min !== undefined) return `${r.minExclusive ? ">" : "≥"} ${r.min}`;
  if (r.max !== undefined) return `${r.maxExclusive ? "<" : "≤"} ${r.max}`;
  return "any";
}

export function inRange(v: number, r: Range): boolean {
  if (r.min !== undefined && (r.minExclusive ? v <= r.min : v < r.min)) return false;
  if (r.max !== undefined && (r.maxExclusive ? v >= r.max : v > r.max)) return false;
  return true;
}

export function rangeOf(t: Ty): Range | undefined {
  if (t.kind === "probability") return { min: 0, max: 1 };
  if (t.kind === "int" || t.kind === "real" || t.kind === "tokens" || t.kind === "predicate") {
    return t.range;
  }
  return undefined;
}

/** Where a built-in comes from, for hover and the reference docs: `paper Eq. 7; DESIGN.md “…”`. */
export function citeText(c: Cite | undefined): string {
  if (c === undefined) return "";
  return [c.paper ? `paper ${c.paper}` : "", c.design ? `DESIGN.md “${c.design}”` : ""]
    .filter(Boolean)
    .join("; ");
}

/** A default as written in `.qlx`: `0.2`, `[1, 3]`, `true`. */
export function defaultText(v: DefaultValue): string {
  return Array.isArray(v) ? `[${v.map(defaultText).join(", ")}]` : String(v);
}
