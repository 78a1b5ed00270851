// Markdown descriptions of built-ins, written once from the built-ins table for hover,
// completion documentation and signature help: signature, type with units, default, allowed
// range, the paper location it implements, and the one-line doc.
import {
  citeText,
  defaultText,
  rangeOf,
  rangeText,
  typeName,
  type BlockSpec,
  type Cite,
  type FieldSpec,
  type FnSpec,
  type ParamSpec,
  type Ty,
} from "../builtins.ts";

/** `name: type = default` (or `(required)`), as one signature part. */
export function paramSignature(p: ParamSpec | FieldSpec): string {
  const tail =
    p.default !== undefined ? ` = ${defaultText(p.default)}` : p.required ? " (required)" : "";
  const variadic = "variadic" in p && p.variadic === true ? "..." : "";
  return `${variadic}${p.name}: ${typeName(p.type)}${tail}`;
}

export function fnSignature(f: FnSpec): string {
  return `${f.name}(${f.params.map(paramSignature).join(", ")})`;
}

function citeLine(c: Cite | undefined): string[] {
  const text = citeText(c);
  return text === "" ? [] : [`*Implements:* ${text}`];
}

/** Units and allowed range, e.g. `token count (K = 1024 tokens), ≥ 1`. */
function typeFacts(t: Ty): string[] {
  const facts = [`*Type:* ${typeName(t)}`];
  if (t.kind === "tokens") facts.push("*Units:* tokens (`K` = 1,024, `M` = 1,048,576)");
  if (t.kind === "int" && t.unit === "steps") facts.push("*Units:* training steps");
  const r = rangeOf(t);
  if (r !== undefined) facts.push(`*Range:* ${rangeText(r)}`);
  return facts;
}

function code(text: string): string {
  return ["```qlx", text, "```"].join("\n");
}

export function describeFunction(f: FnSpec): string {
  const params = f.params.map((p) => `- \`${paramSignature(p)}\` — ${p.doc}`);
  return [
    code(fnSignature(f)),
    `${f.doc}`,
    ...citeLine(f.cite),
    `*Category:* ${f.category}`,
    ...(params.length === 0 ? [] : ["**Parameters**", ...params]),
  ].join("\n\n");
}

export function describeParam(p: ParamSpec, owner: FnSpec): string {
  return [
    code(`(parameter of ${owner.name}) ${paramSignature(p)}`),
    p.doc,
    ...typeFacts(p.type),
    ...citeLine(owner.cite),
  ].join("\n\n");
}

export function describeField(f: FieldSpec): string {
  return [
    code(`(field) ${paramSignature(f)}`),
    f.doc,
    ...typeFacts(f.type),
    ...citeLine(f.cite),
  ].join("\n\n");
}

export function describeBlock(b: BlockSpec): string {
  const fields = b.fields.map((f) => `- \`${paramSignature(f)}\``);
  const blocks = b.blocks.map((x) => `\`${x.keyword}\``);
  return [
    code(
      `(block) ${b.keyword}${b.name === "required" ? " NAME" : ""}${b.from ? " [from STAGE]" : ""}${b.of ? " of EXPERIMENT" : ""} { … }`,
    ),
    b.doc,
    ...citeLine(b.cite),
    ...(fields.length === 0 ? [] : ["**Fields**", ...fields]),
    ...(blocks.length === 0 ? [] : [`**Blocks:** ${blocks.join(", ")}`]),
  ].join("\n\n");
}

/** `20K` → "20K = 20,480 tokens". */
export function describeTokenCount(text: string, value: number): string {
  return `\`${text}\` = ${value.toLocaleString("en-US")} tokens`;
}
