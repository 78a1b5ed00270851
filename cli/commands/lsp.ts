// `qlx lsp`: the language server over stdio, for any LSP client.
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startServer } from "../../language/server/server.ts";

export const help = `qlx lsp — run the qlx language server over stdio

Usage: qlx lsp [--stdio]

Speaks the Language Server Protocol on stdin/stdout: diagnostics, hover, completion,
definition, references, rename, outline, folding, semantic tokens, formatting, signature
help and quick fixes for .qlx files. Editors start it; it exits when the client disconnects.
`;

export async function run(): Promise<number> {
  const connection = createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  startServer(connection);
  // Serve until the client sends exit or closes the pipe.
  await new Promise<void>((resolve) => connection.onExit(resolve));
  return 0;
}
