// Checks one expression against the type the built-ins table declares for its field or
// parameter, and returns its checked value. Numbers are constant-folded (`2 * 64`, `20K + 1K`);
// calls are matched against function specs and completed with defaults.
import type { Call, Expr, Path, Span } from "../language/ast.ts";
import {
  functionsOf,
  inRange,
  lookupFunction,
  lookupStd,
  rangeOf,
  rangeText,
  STD,
  typeName,
  type FnSpec,
  type RefTarget,
  type Ty,
} from "../language/builtins.ts";
import { diag, type Diagnostic } from "../language/diagnostics.ts";
import { suggestion } from "./suggest.ts";
import { defaultArgs, type CompareOp, type Val } from "./values.ts";

export interface Scope {
  readonly names: Readonly<Record<RefTarget, ReadonlyMap<string, Span>>>;
  readonly tasks: readonly string[];
}

export interface ExprContext {
  readonly scope: Scope;
  report(d: Diagnostic): void;
  /** Checks a data path (confinement, existence) and reports; returns whether it is usable. */
  checkPath(path: string, span: Span): boolean;
}

const COMPARE_OPS = new Set(["<", "<=", ">", ">="]);

export function checkExpr(e: Expr, ty: Ty, name: string, ctx: ExprContext): Val {
  const poison: Val = { k: "poison", span: e.span };
  if (e.kind === "ErrorExpr") return poison;
  if (
    e.kind === "Paren" &&
    ty.kind !== "int" &&
    ty.kind !== "real" &&
    ty.kind !== "tokens" &&
    ty.kind !== "probability"
  ) {
    return checkExpr(e.inner, ty, name, ctx);
  }
  const mismatch = (): Val => {
    ctx.report(diag("QLX3001", e.span, { expected: typeName(ty), found: describe(e) }));
    return poison;
  };
  switch (ty.kind) {
    case "int":
    case "real":
    case "probability":
    case "tokens": {
      const v = fold(e, ctx);
      if (v === undefined) return poison;
      if (v === "mismatch") return mismatch();
      if ((ty.kind === "int" || ty.kind === "tokens") && !Number.isInteger(v)) {
        ctx.report(diag("QLX3008", e.span, { name, value: v }));
        return poison;
      }
      const range = rangeOf(ty);
      if (range !== undefined && !inRange(v, range)) {
        ctx.report(diag("QLX3002", e.span, { name, value: v, range: rangeText(range) }));
        return poison;
      }
      return { k: "num", v, span: e.span };
    }
    case "bool":
      return e.kind === "Bool" ? { k: "bool", v: e.value, span: e.span } : mismatch();
    case "string":
      return e.kind === "String" ? { k: "str", v: e.value, span: e.span } : mismatch();
    case "path":
      if (e.kind !== "String") return mismatch();
      return ctx.checkPath(e.value, e.span) ? { k: "str", v: e.value, span: e.span } : poison;
    case "secret":
      if (e.kind === "String") {
        if (ty.envOnly) {
          ctx.report(diag("QLX3011", e.span, { name }));
          return poison;
        }
        return { k: "str", v: e.value, span: e.span };
      }
      if (e.kind === "Call" && pathText(e.callee) === "env") {
        const v = checkCall(e, ctx, lookupFunction("env", "env") as FnSpec);
        const arg = v.k === "call" ? v.args.get("name") : undefined;
        return arg?.k === "str" ? { k: "env", name: arg.v, span: e.span } : poison;
      }
      return mismatch();
    case "enum": {
      const word = singleWord(e);
      if (word === undefined) return mismatch();
      if (!ty.values.includes(word)) {
        ctx.report(
          diag("QLX3005", e.span, {
            name: word,
            allowed: ty.values.join(" | "),
            ...suggestion(word, ty.values),
          }),
        );
        return poison;
      }
      return { k: "enum", v: word, span: e.span };
    }
    case "ref": {
      const word = singleWord(e);
      if (word === undefined) return mismatch();
      const names = ctx.scope.names[ty.to];
      if (!names.has(word)) {
        ctx.report(
          diag("QLX2005", e.span, {
            name: word,
            what: refWhat(ty.to),
            ...suggestion(word, names.keys()),
          }),
        );
        return poison;
      }
      return { k: "ref", name: word, span: e.span };
    }
    case "fn": {
      const callee = e.kind === "Call" ? e.callee : e.kind === "Path" ? e : undefined;
      if (callee === undefined) return mismatch();
      const fnName = pathText(callee);
      const spec = lookupFunction(ty.category, fnName);
      if (spec === undefined) {
        const options = functionsOf(ty.category).map((f) => f.name);
        ctx.report(
          diag("QLX2003", callee.span, {
            name: fnName,
            category: ty.category,
            allowed: options.join(", "),
            ...suggestion(fnName, options),
          }),
        );
        return poison;
      }
      if (e.kind === "Path")
        return {
          k: "call",
          fn: spec.name,
          args: defaultArgs(spec, new Map(), e.span, ctx.scope.tasks),
          written: new Set(),
          span: e.span,
        };
      return checkCall(e as Call, ctx, spec);
    }
    case "list": {
      if (
        e.kind === "Path" &&
        pathText(e) === "tasks" &&
        ty.of.kind === "ref" &&
        ty.of.to === "task"
      ) {
        return {
          k: "list",
          items: ctx.scope.tasks.map((t) => ({ k: "ref", name: t, span: e.span })),
          span: e.span,
        };
      }
      if (e.kind !== "List") return mismatch();
      const items = e.items.map((item) => checkExpr(item, ty.of, name, ctx));
      if (ty.minItems !== undefined && e.items.length < ty.minItems) {
        ctx.report(diag("QLX3009", e.span, { name, min: ty.minItems }));
        return poison;
      }
      if (ty.unique) {
        const seen = new Set<string>();
        for (const item of items) {
          const key = item.k === "ref" ? item.name : item.k === "enum" ? item.v : undefined;
          if (key === undefined) continue;
          if (seen.has(key)) ctx.report(diag("QLX3013", item.span, { name: key }));
          seen.add(key);
        }
      }
      return { k: "list", items, span: e.span };
    }
    case "predicate": {
      const subject = e.kind === "Binary" ? singleWord(e.left) : undefined;
      if (
        e.kind !== "Binary" ||
        !COMPARE_OPS.has(e.op) ||
        subject === undefined ||
        !ty.subjects.includes(subject)
      ) {
        ctx.report(diag("QLX3010", e.span, { allowed: ty.subjects.join(" | ") }));
        return poison;
      }
      const value = checkExpr(
        e.right,
        { kind: "real", ...(ty.range ? { range: ty.range } : {}) },
        `${subject} threshold`,
        ctx,
      );
      if (value.k !== "num") return poison;
      return { k: "pred", subject, op: e.op as CompareOp, value: value.v, span: e.span };
    }
    case "prompt": {
      if (e.kind === "String") return { k: "str", v: e.value, span: e.span };
      if (e.kind !== "Path" || e.parts[0]?.name !== "std") return mismatch();
      const path = pathText(e);
      if (lookupStd(path) === undefined) {
        ctx.report(
          diag("QLX2012", e.span, {
            name: path,
            ...suggestion(
              path,
              STD.map((s) => s.path),
            ),
          }),
        );
        return poison;
      }
      return { k: "std", path, span: e.span };
    }
    case "oneOf": {
      const alternative = ty.of.find((t) => shapeFits(e, t));
      return alternative === undefined ? mismatch() : checkExpr(e, alternative, name, ctx);
    }
  }
}

function checkCall(e: Call, ctx: ExprContext, spec: FnSpec): Val {
  const given = new Map<string, Val>();
  const variadic = spec.params.find((p) => p.variadic);
  const rest: Val[] = [];
  let position = 0;
  let poisoned = false;
  for (const arg of e.args) {
    if (arg.name === undefined) {
      if (variadic !== undefined) {
        rest.push(checkExpr(arg.value, variadic.type, variadic.name, ctx));
        continue;
      }
      const param = spec.params[position++];
      if (param === undefined) {
        ctx.report(diag("QLX3006", arg.span, { fn: spec.name, max: spec.params.length }));
        poisoned = true;
        continue;
      }
      given.set(param.name, checkExpr(arg.value, param.type, param.name, ctx));
      continue;
    }
    const argName = arg.name.name;
    const param = spec.params.find((p) => p.name === argName);
    if (param === undefined) {
      const names = spec.params.map((p) => p.name);
      ctx.report(
        diag("QLX2004", arg.name.span, {
          name: argName,
          fn: spec.name,
          allowed: names.join(", ") || "(none)",
          ...suggestion(argName, names),
        }),
      );
      poisoned = true;
      continue;
    }
    if (given.has(argName)) {
      ctx.report(diag("QLX3007", arg.name.span, { name: argName }));
      continue;
    }
    given.set(argName, checkExpr(arg.value, param.type, param.name, ctx));
  }
  if (variadic !== undefined) given.set(variadic.name, { k: "list", items: rest, span: e.span });
  for (const p of spec.params) {
    const missing = p.variadic ? rest.length === 0 : !given.has(p.name);
    if (p.required && missing) {
      ctx.report(diag("QLX3004", e.span, { name: p.name, fn: spec.name }));
      poisoned = true;
    }
  }
  if (poisoned) return { k: "poison", span: e.span };
  return {
    k: "call",
    fn: spec.name,
    args: defaultArgs(spec, given, e.span, ctx.scope.tasks),
    written: new Set(given.keys()),
    span: e.span,
  };
}

/** Folds a numeric expression; "mismatch" when it is not numeric, undefined when poisoned. */
function fold(e: Expr, ctx: ExprContext): number | "mismatch" | undefined {
  switch (e.kind) {
    case "Number":
    case "TokenCount":
      return e.value;
    case "Paren":
      return fold(e.inner, ctx);
    case "Unary": {
      const v = fold(e.operand, ctx);
      return typeof v === "number" ? -v : v;
    }
    case "Binary": {
      if (COMPARE_OPS.has(e.op) || e.op === "==" || e.op === "!=") return "mismatch";
      const l = fold(e.left, ctx);
      const r = fold(e.right, ctx);
      if (l === undefined || r === undefined) return undefined;
      if (l === "mismatch" || r === "mismatch") {
        ctx.report(diag("QLX3014", e.span, { op: e.op }));
        return undefined;
      }
      return e.op === "+" ? l + r : e.op === "-" ? l - r : e.op === "*" ? l * r : l / r;
    }
    case "ErrorExpr":
      return undefined;
    default:
      return "mismatch";
  }
}

function shapeFits(e: Expr, t: Ty): boolean {
  switch (t.kind) {
    case "string":
    case "path":
      return e.kind === "String";
    case "fn":
      return e.kind === "Call" || e.kind === "Path";
    default:
      return false;
  }
}

export function pathText(p: Path): string {
  return p.parts.map((x) => x.name).join(".");
}

function singleWord(e: Expr): string | undefined {
  return e.kind === "Path" && e.parts.length === 1 ? e.parts[0].name : undefined;
}

function refWhat(t: RefTarget): string {
  return t === "stageOrMerge" ? "stage or merge" : t;
}

function describe(e: Expr): string {
  switch (e.kind) {
    case "Number":
      return `number ${e.text}`;
    case "TokenCount":
      return `token count ${e.text}`;
    case "String":
      return `string ${e.text}`;
    case "Bool":
      return `bool ${e.value}`;
    case "List":
      return "a list";
    case "Call":
      return `call ${pathText(e.callee)}(…)`;
    case "Path":
      return `name '${pathText(e)}'`;
    case "Binary":
      return COMPARE_OPS.has(e.op) ? "a comparison" : "an arithmetic expression";
    default:
      return "an expression";
  }
}
