// The qlx language server: wires the document store and the feature modules to an LSP
// connection. Text sync is full: the parse cache finds the edited range itself by comparing
// with the previous text (a fraction of a millisecond on a 5,000-line file) and re-parses
// only the edited block or assignment. A check runs right after the message that made a
// document stale.
import {
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
  type SignatureHelp,
} from "vscode-languageserver";
import { codeActions, formatDocument } from "./edits.ts";
import { complete } from "./completion.ts";
import { offsetAt, toLspDiagnostic } from "./convert.ts";
import { cursorContext } from "./cursor-context.ts";
import { fnSignature, paramSignature } from "./describe.ts";
import { DocumentStore, type ParsedDocument } from "./documents.ts";
import { hover } from "./hover.ts";
import { definition, prepareRename, references, rename } from "./navigation.ts";
import {
  codeLenses,
  documentSymbols,
  foldingRanges,
  SEMANTIC_LEGEND,
  semanticTokens,
} from "./outline.ts";

function signatureHelp(doc: ParsedDocument, offset: number): SignatureHelp | null {
  const ctx = cursorContext(doc.text, offset);
  if (ctx.kind !== "argument" && ctx.kind !== "value") return null;
  if (ctx.kind === "value") {
    // `std = |` inside a call: the enclosing call's context is one word back.
    const before = cursorContext(
      doc.text.slice(0, offset).replace(/\w+\s*=\s*\w*$/, ""),
      offset - (doc.text.slice(0, offset).match(/\w+\s*=\s*\w*$/)?.[0].length ?? 0),
    );
    if (before.kind !== "argument") return null;
    const name = /(\w+)\s*=\s*\w*$/.exec(doc.text.slice(0, offset))?.[1];
    return help(
      before.fn,
      Math.max(
        0,
        before.fn.params.findIndex((p) => p.name === name),
      ),
    );
  }
  return help(ctx.fn, Math.max(0, ctx.active));
}

function help(fn: Parameters<typeof fnSignature>[0], active: number): SignatureHelp {
  return {
    signatures: [
      {
        label: fnSignature(fn),
        documentation: { kind: "markdown", value: fn.doc },
        parameters: fn.params.map((p) => ({ label: paramSignature(p), documentation: p.doc })),
      },
    ],
    activeSignature: 0,
    activeParameter: active,
  };
}

export function startServer(connection: Connection): void {
  const store = new DocumentStore();
  const pending = new Set<string>();
  let scheduled = false;

  const publish = (uri: string) => {
    const version = store.version(uri);
    if (version === undefined) return;
    const diagnostics = store.check(uri).map(toLspDiagnostic);
    void connection.sendDiagnostics({ uri, version, diagnostics });
  };
  const schedule = (uris: readonly string[]) => {
    for (const u of uris) pending.add(u);
    if (scheduled) return;
    scheduled = true;
    // No quiet time: an incremental re-check of a one-line edit takes milliseconds, less than
    // a delay long enough to batch keystrokes would add to every one of them (bench/lsp.ts).
    setImmediate(() => {
      scheduled = false;
      const now = [...pending];
      pending.clear();
      for (const u of now) publish(u);
    });
  };
  const withDoc =
    <P extends { textDocument: { uri: string } }, R>(
      fn: (doc: ParsedDocument, p: P) => R,
      empty: R,
    ) =>
    (p: P): R => {
      const doc = store.get(p.textDocument.uri);
      return doc === undefined ? empty : fn(doc, p);
    };
  const world = (doc: ParsedDocument) => () => store.related(doc.uri);

  connection.onInitialize((): InitializeResult => ({
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Full, save: true },
      hoverProvider: true,
      completionProvider: { triggerCharacters: ["=", "(", ",", " ", "."] },
      signatureHelpProvider: { triggerCharacters: ["(", ","] },
      definitionProvider: true,
      referencesProvider: true,
      renameProvider: { prepareProvider: true },
      documentSymbolProvider: true,
      foldingRangeProvider: true,
      semanticTokensProvider: { legend: SEMANTIC_LEGEND, full: true },
      documentFormattingProvider: true,
      documentRangeFormattingProvider: true,
      codeActionProvider: { codeActionKinds: ["quickfix"] },
    },
    serverInfo: { name: "qlx" },
  }));

  connection.onDidOpenTextDocument((p) =>
    schedule(store.set(p.textDocument.uri, p.textDocument.text, p.textDocument.version)),
  );
  connection.onDidChangeTextDocument((p) => {
    const last = p.contentChanges.at(-1);
    if (last !== undefined)
      schedule(store.set(p.textDocument.uri, last.text, p.textDocument.version));
  });
  connection.onDidCloseTextDocument((p) => {
    const stale = store.close(p.textDocument.uri);
    void connection.sendDiagnostics({ uri: p.textDocument.uri, diagnostics: [] });
    schedule(stale);
  });

  connection.onHover(withDoc((doc, p) => hover(doc, offsetAt(doc, p.position), world(doc)), null));
  connection.onCompletion(
    withDoc((doc, p) => complete(doc, offsetAt(doc, p.position), world(doc)), []),
  );
  connection.onSignatureHelp(
    withDoc((doc, p) => signatureHelp(doc, offsetAt(doc, p.position)), null),
  );
  connection.onDefinition(
    withDoc((doc, p) => definition(doc, offsetAt(doc, p.position), world(doc)), []),
  );
  connection.onReferences(
    withDoc(
      (doc, p) =>
        references(doc, offsetAt(doc, p.position), world(doc), p.context.includeDeclaration),
      [],
    ),
  );
  connection.onPrepareRename(
    withDoc((doc, p) => prepareRename(doc, offsetAt(doc, p.position)), null),
  );
  connection.onRenameRequest(
    withDoc((doc, p) => {
      const result = rename(doc, offsetAt(doc, p.position), p.newName, world(doc));
      if (typeof result === "string") throw new Error(result);
      return result;
    }, null),
  );
  connection.onDocumentSymbol(withDoc((doc) => documentSymbols(doc), []));
  connection.onFoldingRanges(withDoc((doc) => foldingRanges(doc), []));
  connection.languages.semanticTokens.on(
    withDoc((doc) => ({ data: semanticTokens(doc) }), { data: [] }),
  );
  connection.onDocumentFormatting(withDoc((doc) => formatDocument(doc), []));
  connection.onDocumentRangeFormatting(withDoc((doc, p) => formatDocument(doc, p.range), []));
  connection.onCodeLens(withDoc((doc) => codeLenses(doc), []));
  connection.onCodeAction(withDoc((doc, p) => codeActions(doc, p.context.diagnostics), []));

  connection.listen();
}
