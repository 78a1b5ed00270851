// Completion from the cursor context (see cursor-context.ts) and the built-ins table: item
// keywords and fields valid in the enclosing block, functions with parameter snippets,
// parameter names inside calls, enum values, and names of tasks/stages/models in scope.
import { CompletionItemKind, InsertTextFormat, type CompletionItem } from "vscode-languageserver";
import { functionsOf, STD, type BlockSpec, type FnSpec, type Ty } from "../builtins.ts";
import { cursorContext } from "./cursor-context.ts";
import { describeBlock, describeField, describeFunction, paramSignature } from "./describe.ts";
import type { ParsedDocument } from "./documents.ts";
import {
  enumValuesOf,
  fnCategoriesOf,
  refKindsOf,
  valueTypes,
  type DeclKind,
} from "./file-index.ts";

const markdown = (value: string) => ({ kind: "markdown" as const, value });

/** `grpo(${1})`, with required parameters spelled out: `generate(kind = ${1})`. */
function callSnippet(f: FnSpec): string {
  if (f.params.length === 0) return f.name;
  const required = f.params.filter((p) => p.required === true && p.variadic !== true);
  if (required.length === 0) return `${f.name}($1)`;
  return `${f.name}(${required.map((p, i) => `${p.name} = \${${i + 1}}`).join(", ")})`;
}

function functionItems(categories: readonly string[]): CompletionItem[] {
  return categories.flatMap((c) =>
    functionsOf(c).map((f) => ({
      label: f.name,
      kind: CompletionItemKind.Function,
      detail: `${f.category}`,
      documentation: markdown(describeFunction(f)),
      insertText: callSnippet(f),
      insertTextFormat: InsertTextFormat.Snippet,
    })),
  );
}

function declaredNames(
  world: readonly ParsedDocument[],
  kinds: readonly DeclKind[],
): CompletionItem[] {
  const seen = new Set<string>();
  const out: CompletionItem[] = [];
  for (const doc of world)
    for (const o of doc.index.occurrences)
      if (o.kind === "decl" && kinds.includes(o.decl) && !seen.has(o.ident.name)) {
        seen.add(o.ident.name);
        out.push({ label: o.ident.name, kind: CompletionItemKind.Reference, detail: o.decl });
      }
  return out;
}

function valueItems(type: Ty, world: () => ParsedDocument[]): CompletionItem[] {
  const items: CompletionItem[] = enumValuesOf(type).map((v) => ({
    label: v,
    kind: CompletionItemKind.EnumMember,
    detail: "value",
  }));
  items.push(...functionItems(fnCategoriesOf(type)));
  const refs = refKindsOf(type);
  if (refs.length > 0) items.push(...declaredNames(world(), refs));
  if (refs.includes("task") && valueTypes(type).some((t) => t.kind === "list"))
    items.push({ label: "tasks", kind: CompletionItemKind.Keyword, detail: "every declared task" });
  const kinds = valueTypes(type).map((t) => t.kind);
  if (kinds.includes("bool"))
    items.push(...["true", "false"].map((label) => ({ label, kind: CompletionItemKind.Keyword })));
  if (kinds.includes("prompt"))
    items.push(
      ...STD.map((s) => ({
        label: s.path,
        kind: CompletionItemKind.Constant,
        documentation: s.doc,
      })),
    );
  if (kinds.includes("secret"))
    items.push({
      label: "env",
      kind: CompletionItemKind.Function,
      insertText: 'env("${1:NAME}")',
      insertTextFormat: InsertTextFormat.Snippet,
    });
  return items;
}

function blockSnippet(b: BlockSpec): string {
  const head =
    b.name === "required"
      ? `${b.keyword} \${1:name}${b.of ? " of ${2:experiment}" : ""}`
      : b.keyword;
  return `${head} {\n\t$0\n}`;
}

function itemCompletions(block: BlockSpec): CompletionItem[] {
  const items: CompletionItem[] = block.blocks.map((b) => ({
    label: b.keyword,
    kind: CompletionItemKind.Keyword,
    detail: "block",
    documentation: markdown(describeBlock(b)),
    insertText: blockSnippet(b),
    insertTextFormat: InsertTextFormat.Snippet,
  }));
  for (const f of block.fields)
    items.push({
      label: f.name,
      kind: CompletionItemKind.Property,
      detail: paramSignature(f),
      documentation: markdown(describeField(f)),
      insertText: `${f.name} = `,
    });
  for (const k of block.keywordAssignments ?? [])
    items.push({
      label: k.keyword,
      kind: CompletionItemKind.Keyword,
      documentation: k.doc,
      insertText: `${k.keyword} \${1:name} = $0`,
      insertTextFormat: InsertTextFormat.Snippet,
    });
  if (block.keyword === "<file>")
    items.push({
      label: "use",
      kind: CompletionItemKind.Keyword,
      insertText: 'use "${1:file.qlx}"',
      insertTextFormat: InsertTextFormat.Snippet,
    });
  if (block.keyword === "experiment")
    items.push({
      label: "profile",
      kind: CompletionItemKind.Keyword,
      insertText: "profile ${1:tiny} {\n\t$0\n}",
      insertTextFormat: InsertTextFormat.Snippet,
    });
  if (block.keyword === "rows")
    items.push({
      label: "for",
      kind: CompletionItemKind.Keyword,
      insertText: "for ${1:x} in [${2}] {\n\t$0\n}",
      insertTextFormat: InsertTextFormat.Snippet,
    });
  return items;
}

export function complete(
  doc: ParsedDocument,
  offset: number,
  world: () => ParsedDocument[],
): CompletionItem[] {
  const ctx = cursorContext(doc.text, offset);
  switch (ctx.kind) {
    case "item":
      return itemCompletions(ctx.block);
    case "value":
      return valueItems(ctx.type, world);
    case "argument": {
      const params: CompletionItem[] = ctx.fn.params
        .filter((p) => !ctx.given.includes(p.name) && p.variadic !== true)
        .map((p) => ({
          label: p.name,
          kind: CompletionItemKind.Field,
          detail: paramSignature(p),
          documentation: p.doc,
          insertText: `${p.name} = `,
        }));
      const variadic = ctx.fn.params.some((p) => p.variadic === true);
      return variadic ? [...params, ...functionItems([ctx.fn.category])] : params;
    }
    case "none":
      return [];
  }
}
