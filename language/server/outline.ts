// Document symbols (the outline), folding ranges and semantic tokens, all from the parse.
import {
  FoldingRangeKind,
  type CodeLens,
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
    case "std":
      return ["variable", 2];
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

/**
 * Lenses above each experiment (check, compile to IR / verl, run with the tiny profile) and
 * ablation (check, compile), and above each stage (run up to it with the tiny profile). The
 * commands are the extension's; they run the qlx CLI and show its output.
 */
export function codeLenses(doc: ParsedDocument): CodeLens[] {
  const lens = (span: A.Span, title: string, command: string, args: unknown[]): CodeLens => ({
    range: toRange(span),
    command: { title, command, arguments: [doc.uri, ...args] },
  });
  const out: CodeLens[] = [];
  for (const item of doc.ast.items) {
    if (item.kind !== "Block" || item.name?.kind !== "Ident") continue;
    const name = item.name.name;
    if (item.keyword.name !== "experiment" && item.keyword.name !== "ablation") continue;
    out.push(
      lens(item.headSpan, "check", "qlx.check", []),
      lens(item.headSpan, "compile to IR", "qlx.compile", [name]),
    );
    if (item.keyword.name !== "experiment") continue;
    out.push(
      lens(item.headSpan, "compile to verl", "qlx.compileVerl", [name]),
      lens(item.headSpan, "run (tiny profile)", "qlx.runTiny", [name]),
    );
    const schedule = item.items.find(
      (i): i is A.Block => i.kind === "Block" && i.keyword.name === "schedule",
    );
    for (const stage of schedule?.items ?? [])
      if (stage.kind === "Block" && stage.keyword.name === "stage" && stage.name?.kind === "Ident")
        out.push(
          lens(stage.headSpan, "run to this stage (tiny profile)", "qlx.runTiny", [
            name,
            stage.name.name,
          ]),
        );
  }
  return out;
}
