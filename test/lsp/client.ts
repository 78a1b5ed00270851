// A stdio LSP client for tests: spawns `node bin/qlx.js lsp`, speaks JSON-RPC through
// vscode-jsonrpc, and places cursors with `<|>` markers in .qlx text (STYLE.md §2).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from "vscode-jsonrpc/node";
import type { Diagnostic, InitializeResult, Position } from "vscode-languageserver";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Strips `<|>` markers, returning the text and each marker's position (in order). */
export function marked(source: string): { text: string; cursors: Position[] } {
  const cursors: Position[] = [];
  let text = "";
  let rest = source;
  for (;;) {
    const i = rest.indexOf("<|>");
    if (i < 0) break;
    text += rest.slice(0, i);
    const lines = text.split("\n");
    cursors.push({ line: lines.length - 1, character: lines.at(-1)!.length });
    rest = rest.slice(i + 3);
  }
  return { text: text + rest, cursors };
}

/** One `publishDiagnostics`: the document version it is for (when the server sent one). */
export interface Published {
  readonly version?: number;
  readonly diagnostics: Diagnostic[];
}

export class LspClient {
  private readonly published = new Map<string, Published[]>();
  private readonly waiters: { uri: string; resolve: (p: Published) => void }[] = [];
  private versions = new Map<string, number>();
  readonly dir = mkdtempSync(join(tmpdir(), "qlx-lsp-"));
  /** What the server answered to `initialize`: its capabilities, as an editor reads them. */
  initialized!: InitializeResult;

  private constructor(
    private readonly child: ChildProcess,
    readonly rpc: MessageConnection,
  ) {
    rpc.onNotification(
      "textDocument/publishDiagnostics",
      (p: { uri: string; version?: number; diagnostics: Diagnostic[] }) => {
        const published: Published = {
          ...(p.version === undefined ? {} : { version: p.version }),
          diagnostics: p.diagnostics,
        };
        const waiter = this.waiters.findIndex((w) => w.uri === p.uri);
        if (waiter >= 0) this.waiters.splice(waiter, 1)[0]!.resolve(published);
        else this.published.set(p.uri, [...(this.published.get(p.uri) ?? []), published]);
      },
    );
  }

  static async start(): Promise<LspClient> {
    const child = spawn(process.execPath, [join(ROOT, "bin/qlx.js"), "lsp"], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    });
    const rpc = createMessageConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
    );
    rpc.listen();
    const client = new LspClient(child, rpc);
    client.initialized = await rpc.sendRequest<InitializeResult>("initialize", {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
    });
    await rpc.sendNotification("initialized", {});
    return client;
  }

  uri(name: string): string {
    return pathToFileURL(join(this.dir, name)).href;
  }

  /** Writes a file to disk without opening it (an import the editor has not opened). */
  write(name: string, text: string): void {
    writeFileSync(join(this.dir, name), text);
  }

  /** The next diagnostics published for `uri`. */
  async nextDiagnostics(uri: string): Promise<Diagnostic[]> {
    return (await this.nextPublished(uri)).diagnostics;
  }

  /** The next `publishDiagnostics` for `uri`, with its version. */
  nextPublished(uri: string): Promise<Published> {
    const queued = this.published.get(uri);
    if (queued !== undefined && queued.length > 0) return Promise.resolve(queued.shift()!);
    return new Promise((resolve) => this.waiters.push({ uri, resolve }));
  }

  /** Opens `name` with `text`, written to disk too so imports resolve; returns its diagnostics. */
  async open(name: string, text: string): Promise<Diagnostic[]> {
    this.write(name, text);
    const uri = this.uri(name);
    this.versions.set(uri, 1);
    await this.rpc.sendNotification("textDocument/didOpen", {
      textDocument: { uri, languageId: "qlx", version: 1, text },
    });
    return this.nextDiagnostics(uri);
  }

  /** Sends the whole new text (full sync, as the server asks for); returns its version. */
  async change(name: string, text: string): Promise<number> {
    const uri = this.uri(name);
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    await this.rpc.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
    return version;
  }

  request<R>(method: string, name: string, position?: Position, extra: object = {}): Promise<R> {
    return this.rpc.sendRequest(method, {
      textDocument: { uri: this.uri(name) },
      ...(position === undefined ? {} : { position }),
      ...extra,
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once("exit", r));
    await this.rpc.sendRequest("shutdown");
    await this.rpc.sendNotification("exit");
    await exited;
    this.rpc.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
