// Go to definition, find references and rename, across the document's project (its `use`
// imports and the open files importing it). A symbol is a declared name and its kind: a
// reference matches when the kinds its position accepts include the declaration's kind, so a
// task and an enum value spelled alike (`reading`) never get confused.
import type { Location, Range, TextEdit, WorkspaceEdit } from "vscode-languageserver";
import type * as A from "../ast.ts";
import { toRange } from "./convert.ts";
import type { ParsedDocument } from "./documents.ts";
import { occurrenceAt, type DeclKind } from "./file-index.ts";

export interface Definition {
  readonly doc: ParsedDocument;
  readonly ident: A.Ident;
  readonly decl: DeclKind;
  /** The declaring line as written, for hover. */
  readonly head: string;
}

export function findDefinitions(
  world: readonly ParsedDocument[],
  name: string,
  kinds: readonly DeclKind[],
): Definition[] {
  const out: Definition[] = [];
  for (const doc of world) {
    for (const o of doc.index.occurrences) {
      if (o.kind === "decl" && o.ident.name === name && kinds.includes(o.decl))
        out.push({
          doc,
          ident: o.ident,
          decl: o.decl,
          head: doc.lines.lineText(o.ident.span.line).trim(),
        });
    }
  }
  return out;
}

/** The symbol under the cursor: its name and the declaration kinds it may be. */
export function symbolAt(
  doc: ParsedDocument,
  offset: number,
): { ident: A.Ident; kinds: readonly DeclKind[] } | undefined {
  const o = occurrenceAt(doc.index, offset);
  if (o?.kind === "decl") return { ident: o.ident, kinds: [o.decl] };
  if (o?.kind === "ref") return { ident: o.ident, kinds: o.to };
  return undefined;
}

export function definition(
  doc: ParsedDocument,
  offset: number,
  world: () => ParsedDocument[],
): Location[] {
  const s = symbolAt(doc, offset);
  if (s === undefined) return [];
  return findDefinitions(world(), s.ident.name, s.kinds).map((d) => ({
    uri: d.doc.uri,
    range: toRange(d.ident.span),
  }));
}

/** Every declaration and reference of the symbol under the cursor, grouped by document. */
function occurrencesOf(
  doc: ParsedDocument,
  offset: number,
  world: readonly ParsedDocument[],
): Map<ParsedDocument, A.Ident[]> | undefined {
  const s = symbolAt(doc, offset);
  if (s === undefined) return undefined;
  // Resolve to the declared kind first, so renaming `s3` in `base = s3` finds the stage.
  const declared = findDefinitions(world, s.ident.name, s.kinds).map((d) => d.decl);
  const kinds = declared.length > 0 ? declared : s.kinds;
  const out = new Map<ParsedDocument, A.Ident[]>();
  for (const d of world) {
    const idents = d.index.occurrences
      .filter(
        (o) =>
          o.ident.name === s.ident.name &&
          ((o.kind === "decl" && kinds.includes(o.decl)) ||
            (o.kind === "ref" && o.to.some((k) => kinds.includes(k)))),
      )
      .map((o) => o.ident);
    if (idents.length > 0) out.set(d, idents);
  }
  return out;
}

export function references(
  doc: ParsedDocument,
  offset: number,
  world: () => ParsedDocument[],
  includeDeclaration: boolean,
): Location[] {
  const all = world();
  const found = occurrencesOf(doc, offset, all);
  if (found === undefined) return [];
  const s = symbolAt(doc, offset);
  const decls = new Set(
    s === undefined ? [] : findDefinitions(all, s.ident.name, s.kinds).map((d) => d.ident),
  );
  const out: Location[] = [];
  for (const [d, idents] of found)
    for (const ident of idents)
      if (includeDeclaration || !decls.has(ident))
        out.push({ uri: d.uri, range: toRange(ident.span) });
  return out;
}

export function prepareRename(doc: ParsedDocument, offset: number): Range | null {
  const s = symbolAt(doc, offset);
  return s === undefined ? null : toRange(s.ident.span);
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Rename edits, or an error message when the new name is not an identifier. */
export function rename(
  doc: ParsedDocument,
  offset: number,
  newName: string,
  world: () => ParsedDocument[],
): WorkspaceEdit | string | null {
  if (!NAME.test(newName) || ["use", "for", "in", "from", "of", "true", "false"].includes(newName))
    return `'${newName}' is not a valid qlx name`;
  const found = occurrencesOf(doc, offset, world());
  if (found === undefined) return null;
  const changes: Record<string, TextEdit[]> = {};
  for (const [d, idents] of found)
    changes[d.uri] = idents.map((i) => ({ range: toRange(i.span), newText: newName }));
  return { changes };
}
