// Profile and ablation expansion, on the AST: a profile or an ablation row is a patch of the
// base experiment's items; grids (`for x in [..]`) multiply rows and substitute the variable.
// Expansion happens before checking, so each variant is checked and lowered like a plain
// experiment, with spans pointing at the text that set each value.
import type {
  Assignment,
  Block,
  Expr,
  For,
  Item,
  NumberLit,
  RowBlock,
  Span,
} from "../language/ast.ts";
import { diag, type Diagnostic } from "../language/diagnostics.ts";
import { nameOf } from "./check.ts";
import { suggestion } from "./suggest.ts";

type Report = (d: Diagnostic) => void;

function sameBlock(a: Block, b: Block): boolean {
  return a.keyword.name === b.keyword.name && nameOf(a) === nameOf(b);
}

function fieldKey(a: Assignment): string {
  return `${a.keyword?.name ?? ""} ${a.target.parts.map((p) => p.name).join(".")}`;
}

/**
 * Applies `patch` to the items of `target`: assignments replace the field (or are added),
 * `a.b = v` descends into the child block named (or keyworded) `a`, blocks merge into the
 * block with the same keyword and name, `x *= k` multiplies a numeric field — here, or in
 * every descendant block that sets it when this block does not.
 */
export function applyPatch(target: Block, patch: readonly Item[], report: Report): Block {
  let items = [...target.items];
  for (const p of patch) {
    if (p.kind === "Block") {
      const i = items.findIndex((x) => x.kind === "Block" && sameBlock(x, p));
      if (i >= 0) items[i] = applyPatch(items[i] as Block, p.items, report);
      else items.push(p);
    } else if (p.kind === "Assignment" && p.op === "*=") {
      const scaled = scaleField(items, p, report);
      if (scaled === undefined)
        report(
          diag("QLX3012", p.target.span, { name: p.target.parts.map((x) => x.name).join(".") }),
        );
      else items = scaled;
    } else if (p.kind === "Assignment" && p.target.parts.length > 1 && p.keyword === undefined) {
      const [head, ...rest] = p.target.parts;
      const i = items.findIndex(
        (x) =>
          x.kind === "Block" &&
          (nameOf(x) === head.name || (x.name === undefined && x.keyword.name === head.name)),
      );
      if (i < 0) {
        const names = items.flatMap((x) =>
          x.kind === "Block" ? [nameOf(x) ?? x.keyword.name] : [],
        );
        report(
          diag("QLX2005", head.span, {
            name: head.name,
            what: "block",
            ...suggestion(head.name, names),
          }),
        );
        continue;
      }
      const inner: Assignment = { ...p, target: { ...p.target, parts: rest } };
      items[i] = applyPatch(items[i] as Block, [inner], report);
    } else if (p.kind === "Assignment") {
      const i = items.findIndex((x) => x.kind === "Assignment" && fieldKey(x) === fieldKey(p));
      if (i >= 0) items[i] = p;
      else items.push(p);
    } else {
      items.push(p);
    }
  }
  return { ...target, items };
}

/** Multiplies the field in these items, or in every descendant block; undefined when none. */
function scaleField(items: Item[], p: Assignment, report: Report): Item[] | undefined {
  const factor = p.value.kind === "Number" && p.value.value > 0 ? p.value.value : undefined;
  if (factor === undefined) return undefined;
  const key = `${p.target.parts.map((x) => x.name).join(".")}`;
  let found = false;
  const out = items.map((x): Item => {
    if (
      x.kind === "Assignment" &&
      x.keyword === undefined &&
      x.op === "=" &&
      fieldKey(x) === ` ${key}`
    ) {
      if (x.value.kind !== "Number" && x.value.kind !== "TokenCount") return x;
      found = true;
      return { ...x, value: scaled(x.value, factor, p.span) };
    }
    return x;
  });
  if (found) return out;
  const deep = items.map((x): Item => {
    if (x.kind !== "Block") return x;
    const inner = scaleField([...x.items], p, report);
    if (inner === undefined) return x;
    found = true;
    return { ...x, items: inner };
  });
  return found ? deep : undefined;
}

/** Integers (steps, tokens, counts) stay integers and at least 1; reals scale exactly. */
function scaled(
  v: NumberLit | { kind: "TokenCount"; value: number; text: string; span: Span },
  factor: number,
  span: Span,
): NumberLit {
  const integral = v.kind === "TokenCount" || !/[.eE]/.test(v.text);
  const value = integral ? Math.max(1, Math.round(v.value * factor)) : v.value * factor;
  return { kind: "Number", value, text: String(value), span };
}

/** The experiment with the named profile applied; undefined (and a diagnostic) when unknown. */
export function applyProfile(
  experiment: Block,
  profile: string,
  span: Span,
  report: Report,
): Block | undefined {
  const profiles = experiment.items.filter(
    (i): i is Block => i.kind === "Block" && i.keyword.name === "profile",
  );
  const chosen = profiles.find((p) => nameOf(p) === profile);
  if (chosen === undefined) {
    report(
      diag("QLX2014", span, {
        name: profile,
        experiment: nameOf(experiment) ?? "?",
        ...suggestion(
          profile,
          profiles.map((p) => nameOf(p) ?? ""),
        ),
      }),
    );
    return undefined;
  }
  return applyPatch(experiment, chosen.items, report);
}

export interface ExpandedRow {
  readonly name: string;
  readonly span: Span;
  readonly items: readonly Item[];
}

/** Rows of a `rows { … }` block, grids expanded and `{x}` interpolated. */
export function expandRows(rows: Block, report: Report): ExpandedRow[] {
  const out: ExpandedRow[] = [];
  const visit = (items: readonly Item[], bindings: ReadonlyMap<string, Expr>) => {
    for (const item of items) {
      if (item.kind === "Row") out.push(row(item, bindings, report));
      else if (item.kind === "For")
        forEachValue(item, bindings, report, (b) => visit(item.items, b));
      else
        report(
          diag("QLX2017", item.kind === "Block" ? item.headSpan : item.span, {
            keyword:
              item.kind === "Block"
                ? `block '${item.keyword.name}' in rows`
                : "an assignment in rows",
          }),
        );
    }
  };
  visit(rows.items, new Map());
  return out;
}

function forEachValue(
  f: For,
  bindings: ReadonlyMap<string, Expr>,
  report: Report,
  body: (b: ReadonlyMap<string, Expr>) => void,
): void {
  if (f.iterable.kind !== "List") {
    report(
      diag("QLX3001", f.iterable.span, { expected: "a list of values", found: "an expression" }),
    );
    return;
  }
  for (const value of f.iterable.items) body(new Map([...bindings, [f.variable.name, value]]));
}

function row(r: RowBlock, bindings: ReadonlyMap<string, Expr>, report: Report): ExpandedRow {
  const name = r.name.value.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, v: string) => {
    const value = bindings.get(v);
    if (value === undefined) {
      report(diag("QLX2015", r.name.span, { name: v }));
      return whole;
    }
    return exprText(value);
  });
  return {
    name,
    span: r.name.span,
    items: bindings.size === 0 ? r.items : r.items.map((i) => substituteItem(i, bindings)),
  };
}

function exprText(e: Expr): string {
  if (e.kind === "Number" || e.kind === "TokenCount") return e.text;
  if (e.kind === "String") return e.value;
  if (e.kind === "Bool") return String(e.value);
  if (e.kind === "Path") return e.parts.map((p) => p.name).join(".");
  return "?";
}

function substituteItem(i: Item, b: ReadonlyMap<string, Expr>): Item {
  switch (i.kind) {
    case "Assignment":
      return { ...i, value: substitute(i.value, b) };
    case "Block":
    case "Row":
      return { ...i, items: i.items.map((x) => substituteItem(x, b)) };
    case "For":
      return {
        ...i,
        iterable: substitute(i.iterable, b),
        items: i.items.map((x) => substituteItem(x, b)),
      };
  }
}

/** Replaces grid variables (single-word paths) by their value, keeping the use's span. */
function substitute(e: Expr, b: ReadonlyMap<string, Expr>): Expr {
  switch (e.kind) {
    case "Path": {
      const v = e.parts.length === 1 ? b.get(e.parts[0].name) : undefined;
      return v === undefined ? e : ({ ...v, span: e.span } as Expr);
    }
    case "Call":
      return { ...e, args: e.args.map((a) => ({ ...a, value: substitute(a.value, b) })) };
    case "List":
      return { ...e, items: e.items.map((x) => substitute(x, b)) };
    case "Binary":
      return { ...e, left: substitute(e.left, b), right: substitute(e.right, b) };
    case "Unary":
      return { ...e, operand: substitute(e.operand, b) };
    case "Paren":
      return { ...e, inner: substitute(e.inner, b) };
    default:
      return e;
  }
}
