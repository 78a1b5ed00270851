// Document symbols (the outline), folding ranges and semantic tokens, all from the parse.
import {
  FoldingRangeKind,
  SymbolKind,
  type DocumentSymbol,
  type FoldingRange,
  type SemanticTokensLegend,
} from "vscode-languageserver";
import type * as A from "../ast.ts";
import { lex } from "../index.ts";
import { toRange } from "./convert.ts";
import type { ParsedDocument } from "./documents.ts";
import type { Occurrence } from "./file-index.ts";

const SYMBOL_KIND: Record<string, SymbolKind> = {
  experiment: SymbolKind.Module,
  ablation: SymbolKind.Module,
  model: SymbolKind.Class,
  stage: SymbolKind.Function,
  profile: SymbolKind.Namespace,
  schedule: SymbolKind.Namespace,
  tasks: SymbolKind.Namespace,
};

function blockSymbol(b: A.Block | A.RowBlock, inTasks: boolean): DocumentSymbol {
  const name =
    b.kind === "Row"
      ? b.name.value
      : b.name === undefined
        ? b.keyword.name
        : `${b.keyword.name} ${b.name.kind === "Ident" ? b.name.name : b.name.value}`;
  const kind =
    b.kind === "Row"
      ? SymbolKind.Object
      : inTasks
        ? SymbolKind.Event
        : (SYMBOL_KIND[b.keyword.name] ?? SymbolKind.Struct);
  const isTasks = b.kind === "Block" && b.keyword.name === "tasks";
  return {
    name,
    kind,
    range: toRange(b.span),
    selectionRange: toRange(b.headSpan),
    children: itemSymbols(b.items, isTasks),
  };
}

function itemSymbols(items: readonly A.Item[], inTasks: boolean): DocumentSymbol[] {
  return items.flatMap((item): DocumentSymbol[] => {
    if (item.kind === "Block" || item.kind === "Row") return [blockSymbol(item, inTasks)];
    if (item.kind === "For") return itemSymbols(item.items, inTasks);
    if (item.keyword !== undefined)
      return [
        {
          name: `${item.keyword.name} ${item.target.parts.map((p) => p.name).join(".")}`,
          kind: SymbolKind.Function,
          range: toRange(item.span),
          selectionRange: toRange(item.target.span),
        },
      ];
    return [];
  });
}

export function documentSymbols(doc: ParsedDocument): DocumentSymbol[] {
  return doc.ast.items.flatMap((item) => (item.kind === "Block" ? [blockSymbol(item, false)] : []));
}

export function foldingRanges(doc: ParsedDocument): FoldingRange[] {
  const out: FoldingRange[] = [];
  const visit = (items: readonly A.Item[]) => {
    for (const item of items) {
      if (item.kind === "Assignment") continue;
      if (item.span.endLine > item.span.line)
        out.push({ startLine: item.span.line - 1, endLine: item.span.endLine - 1 });
      visit(item.items);
    }
  };
  visit(doc.ast.items.filter((i): i is A.Block => i.kind === "Block"));
  for (const c of doc.ast.comments)
    if (c.span.endLine > c.span.line)
      out.push({
        startLine: c.span.line - 1,
        endLine: c.span.endLine - 1,
        kind: FoldingRangeKind.Comment,
      });
  return out;
}

export const SEMANTIC_LEGEND: SemanticTokensLegend = {
  tokenTypes: [
    "keyword",
    "class",
    "property",
    "function",
    "parameter",
    "enumMember",
    "variable",
    "number",
    "string",
    "operator",
  ],
  tokenModifiers: ["declaration", "defaultLibrary"],
};

const TYPE_INDEX = new Map(SEMANTIC_LEGEND.tokenTypes.map((t, i) => [t, i]));

function occurrenceType(o: Occurrence): [string, number] {
  switch (o.kind) {
    case "block":
      return ["keyword", 0];
    case "decl":
      return ["class", 1];
    case "field":
      return ["property", 0];
    case "fn":
      return ["function", 2];
    case "param":
      return ["parameter", 0];
    case "enum":
      return ["enumMember", 2];
    case "ref":
      return ["variable", 0];
  }
}

/** LSP's relative encoding: Δline, Δstart, length, type, modifier bits per token. */
export function semanticTokens(doc: ParsedDocument): number[] {
  const byStart = new Map(doc.index.occurrences.map((o) => [o.ident.span.start, o]));
  const data: number[] = [];
  let lastLine = 0;
  let lastChar = 0;
  for (const t of lex(doc.text)) {
    if (t.type === "comment" || t.type === "punctuation" || t.type === "invalid") continue;
    const occ = byStart.get(t.start);
    const [type, modifiers] =
      occ !== undefined
        ? occurrenceType(occ)
        : t.type === "token-count"
          ? ["number", 0]
          : t.type === "boolean"
            ? ["keyword", 0]
            : t.type === "identifier"
              ? ["variable", 0]
              : [t.type, 0];
    const index = TYPE_INDEX.get(type);
    if (index === undefined) continue;
    const p = doc.lines.position(t.start);
    const line = p.line - 1;
    const char = p.column - 1;
    if (doc.lines.position(t.end).line - 1 !== line) continue;
    data.push(
      line - lastLine,
      line === lastLine ? char - lastChar : char,
      t.end - t.start,
      index,
      modifiers,
    );
    lastLine = line;
    lastChar = char;
  }
  return data;
}
