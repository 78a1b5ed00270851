// Entry of the bundled server in the VS Code extension: the client starts it over Node IPC
// (`--node-ipc`) or stdio (`--stdio`); createConnection reads which from argv.
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startServer } from "./server.ts";

startServer(createConnection(ProposedFeatures.all));
