// Where the cursor is, read from the text rather than the AST, so that completion and
// signature help work while the line being typed does not parse: one forward scan (aware of
// strings and comments) yields the open brackets around the cursor; block heads before each
// `{` give the block specs, the callee before `(` the function, `name =` before the cursor
// the field or parameter whose value is being typed.
import { EXPERIMENT, ROOT, type BlockSpec, type FnSpec, type Ty } from "../builtins.ts";
import { resolveFunction } from "./file-index.ts";

interface Open {
  readonly ch: "{" | "(" | "[";
  readonly at: number;
}

/** Open brackets enclosing `offset`, outermost first; undefined inside a string or comment. */
export function openBrackets(text: string, offset: number): Open[] | undefined {
  const stack: Open[] = [];
  let i = 0;
  while (i < offset) {
    const ch = text[i];
    if (ch === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
      if (i >= offset) return undefined;
    } else if (ch === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      if (end < 0 || end >= offset) return undefined;
      i = end;
    } else if (ch === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0 || end + 2 > offset) return undefined;
      i = end + 1;
    } else if (ch === "{" || ch === "(" || ch === "[") stack.push({ ch, at: i });
    else if (ch === "}" || ch === ")" || ch === "]") {
      const want = ch === "}" ? "{" : ch === ")" ? "(" : "[";
      const k = stack.map((o) => o.ch).lastIndexOf(want);
      if (k >= 0) stack.length = k;
    }
    i++;
  }
  return stack;
}

/** The words of the block head before a `{` at `brace`: `stage s4 from fused` → [stage, s4, from, fused]. */
function headWords(text: string, brace: number): string[] {
  const start = Math.max(
    text.lastIndexOf("{", brace - 1),
    text.lastIndexOf("}", brace - 1),
    text.lastIndexOf("\n", brace - 1),
    text.lastIndexOf(",", brace - 1),
  );
  return text
    .slice(start + 1, brace)
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "");
}

/** The spec of the block whose `{` is at `brace`, given its parent's spec. */
function specOfHead(parent: BlockSpec, words: readonly string[]): BlockSpec | undefined {
  const keyword = words[0];
  if (keyword === undefined) return undefined;
  if (keyword.startsWith('"')) return EXPERIMENT;
  if (parent === EXPERIMENT && keyword === "profile") return EXPERIMENT;
  if (keyword === "for") return parent;
  return parent.blocks.find((b) => b.keyword === keyword) ?? parent.entries;
}

export type CursorContext =
  /** At the start of an item of a block (or the file). */
  | { readonly kind: "item"; readonly block: BlockSpec; readonly prefix: string }
  /** Typing the value of a field, parameter or list element of type `type`. */
  | { readonly kind: "value"; readonly type: Ty; readonly prefix: string }
  /** At an argument position of a call. */
  | {
      readonly kind: "argument";
      readonly fn: FnSpec;
      readonly given: readonly string[];
      readonly prefix: string;
      /** Index of the parameter being written, for signature help. */
      readonly active: number;
    }
  | { readonly kind: "none" };

const WORD_BEFORE = /([A-Za-z_][A-Za-z0-9_]*)?$/;

/** Resolves `name = ` before `end` in a segment into the type being written, under `owner`. */
function typeOfAssigned(segment: string, owner: BlockSpec | FnSpec | undefined): Ty | undefined {
  const m = /([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*$/.exec(segment);
  if (m === null || owner === undefined) return undefined;
  const name = m[1]!;
  if ("params" in owner) return owner.params.find((p) => p.name === name)?.type;
  const last = name.split(".").at(-1)!;
  if (name.includes("."))
    return owner.blocks.find((b) => b.keyword === "stage")?.fields.find((f) => f.name === last)
      ?.type;
  return (
    owner.fields.find((f) => f.name === last)?.type ??
    owner.keywordAssignments?.find((k) => segment.trimStart().startsWith(`${k.keyword} `))?.type
  );
}

/** The function called at the `(` at `paren`. */
function calleeAt(text: string, paren: number): FnSpec | undefined {
  const m = /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(text.slice(Math.max(0, paren - 80), paren));
  return m === null ? undefined : resolveFunction(m[1]!, undefined);
}

/** Splits the text after an open bracket into top-level comma-separated segments. */
function topLevelSegments(inner: string): string[] {
  const out = [""];
  let depth = 0;
  for (const ch of inner) {
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") depth--;
    if (ch === "," && depth === 0) out.push("");
    else out[out.length - 1] += ch;
  }
  return out;
}

export function cursorContext(text: string, offset: number): CursorContext {
  const stack = openBrackets(text, offset);
  if (stack === undefined) return { kind: "none" };
  const prefix = WORD_BEFORE.exec(text.slice(Math.max(0, offset - 80), offset))?.[1] ?? "";
  const owners: (BlockSpec | FnSpec | undefined)[] = [];
  let block: BlockSpec | undefined = ROOT;
  for (const open of stack) {
    if (open.ch === "{") {
      const words = headWords(text, open.at);
      block = block === undefined ? undefined : specOfHead(block, words);
      owners.push(block);
    } else if (open.ch === "(") owners.push(calleeAt(text, open.at));
    else owners.push(owners.at(-1));
  }
  const innermost = stack.at(-1);
  const start = innermost === undefined ? 0 : innermost.at + 1;
  const segments = topLevelSegments(text.slice(start, offset - prefix.length));
  const segment = segments.at(-1)!;
  const owner = owners.at(-1);
  if (innermost?.ch === "(" && owner !== undefined && "params" in owner) {
    const given = segments.flatMap((s) => /^\s*([A-Za-z_]\w*)\s*=/.exec(s)?.[1] ?? []);
    const named = /^\s*([A-Za-z_]\w*)\s*=\s*$/.exec(segment)?.[1];
    const active =
      named !== undefined ? owner.params.findIndex((p) => p.name === named) : segments.length - 1;
    if (named !== undefined) {
      const type = owner.params.find((p) => p.name === named)?.type;
      if (type !== undefined && !/\S/.test(segment.replace(/^\s*\w+\s*=/, ""))) {
        return { kind: "value", type, prefix };
      }
    }
    return {
      kind: "argument",
      fn: owner,
      given,
      prefix,
      active: Math.min(active, owner.params.length - 1),
    };
  }
  if (innermost?.ch === "[") {
    // A list's elements take the element type of whatever the list is assigned to.
    const before = text.slice(Math.max(0, innermost.at - 120), innermost.at);
    const listType = typeOfAssigned(before, owners.at(-2));
    if (listType?.kind === "list") return { kind: "value", type: listType.of, prefix };
    return { kind: "none" };
  }
  const line = segment.split(/\n/).at(-1) ?? "";
  const valueType = typeOfAssigned(line, block);
  if (valueType !== undefined) return { kind: "value", type: valueType, prefix };
  if (/^\s*$/.test(line) && block !== undefined) return { kind: "item", block, prefix };
  return { kind: "none" };
}
