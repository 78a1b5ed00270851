// The qlx VS Code extension: starts the bundled language server (out/server.js, the same
// server `qlx lsp` runs) over Node IPC, and registers the commands behind the server's code
// lenses, which run the qlx CLI in the workspace folder and show its output.
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

/** Runs `qlx ARGS…` (the `qlx.cli` setting) in the file's workspace folder, output to `channel`. */
function runCli(channel: vscode.OutputChannel, uri: vscode.Uri, args: string[]): void {
  const cli = vscode.workspace.getConfiguration("qlx").get<string>("cli", "npx qlx");
  const cwd = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath);
  const quoted = args.map((a) => (/^[\w./=-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
  const line = `${cli} ${quoted.join(" ")}`;
  channel.show(true);
  channel.appendLine(`$ ${line}`);
  const child = spawn(line, { cwd, shell: true });
  child.stdout.on("data", (d: Buffer) => channel.append(d.toString()));
  child.stderr.on("data", (d: Buffer) => channel.append(d.toString()));
  child.on("close", (code) => channel.appendLine(`[exit ${code ?? "signal"}]`));
  child.on("error", (e) => channel.appendLine(`qlx: cannot start '${line}': ${e.message}`));
}

/** The target file: the lens's URI argument, or the active editor's document. */
function target(uriArg: unknown): vscode.Uri | undefined {
  if (typeof uriArg === "string") return vscode.Uri.parse(uriArg);
  return vscode.window.activeTextEditor?.document.uri;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const channel = vscode.window.createOutputChannel("qlx");
  const command = (id: string, args: (file: string, name?: string, stage?: string) => string[]) =>
    vscode.commands.registerCommand(id, (uriArg?: unknown, name?: string, stage?: string) => {
      const uri = target(uriArg);
      if (uri === undefined) return;
      const file = path.relative(
        vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(uri.fsPath),
        uri.fsPath,
      );
      runCli(channel, uri, args(file, name, stage));
    });
  const named = (name?: string) => (name === undefined ? [] : ["--name", name]);
  context.subscriptions.push(
    channel,
    command("qlx.check", (file) => ["check", file]),
    command("qlx.compile", (file, name) => ["compile", file, "--target", "ir", ...named(name)]),
    command("qlx.compileVerl", (file, name) => [
      "compile",
      file,
      "--target",
      "verl",
      ...named(name),
      "--out",
      `out/${name ?? "verl"}`,
    ]),
    command("qlx.runTiny", (file, name, stage) => [
      "run",
      file,
      "--profile",
      "tiny",
      ...named(name),
      ...(stage === undefined ? [] : ["--until", stage]),
    ]),
  );

  const module = context.asAbsolutePath(path.join("out", "server.js"));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "qlx" }],
    outputChannel: channel,
  };
  client = new LanguageClient("qlx", "qlx language server", serverOptions, clientOptions);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
