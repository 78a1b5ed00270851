// The server's document store. Each open URI climbs Langium's ordered states (STYLE.md §2):
// Parsed (AST + syntax diagnostics + identifier index, enough for hover, completion and
// navigation) → Checked (the compiler's diagnostics for the file and its `use` imports). An
// edit drops a document back to Parsed, and so does an edit to any file it imports, so no
// feature ever reads check results older than the text it sees. Parses go through one
// `ParseCache`, so the check and the features share a parse and an edit re-parses only the
// edited block or assignment; one `BlockCache` lets a check reuse the checks of the blocks an
// edit did not touch.
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  BlockCache,
  checkFile,
  nodeHost,
  type ParseSource,
  type SourceHost,
} from "../../compiler/index.ts";
import type { File } from "../ast.ts";
import type { Diagnostic } from "../diagnostics.ts";
import { LineIndex } from "../index.ts";
import { indexFile, type FileIndex } from "./file-index.ts";
import { ParseCache } from "./parse-cache.ts";

export type DocumentState = "parsed" | "checked";

export interface ParsedDocument {
  readonly uri: string;
  /** Absolute file path; spans of the front end carry it. */
  readonly path: string;
  readonly version: number;
  readonly text: string;
  readonly lines: LineIndex;
  /** Offset of each 0-based line's first character, for LSP positions → offsets. */
  readonly lineStarts: readonly number[];
  readonly ast: File;
  readonly index: FileIndex;
}

interface Entry {
  readonly uri: string;
  readonly path: string;
  readonly version: number;
  readonly text: string;
  /** Parsed when the check or the first feature that needs the AST asks for it. */
  readonly document: LazyDocument;
  state: DocumentState;
  /** Diagnostics of this file from checking it as the entry; valid in state `checked`. */
  diagnostics: readonly Diagnostic[];
  /** Paths of every file the last check loaded (the entry and its imports). */
  dependencies: ReadonlySet<string>;
}

export function uriToPath(uri: string): string {
  return uri.startsWith("file:") ? fileURLToPath(uri) : uri;
}

export function pathToUri(path: string): string {
  return pathToFileURL(path).href;
}

/**
 * A document whose AST is built on first use (from the parse cache, where the check put it):
 * completion reads only the text around the cursor, so it never waits for a parse.
 */
class LazyDocument implements ParsedDocument {
  private lineIndex: LineIndex | undefined;
  private starts: number[] | undefined;
  private parsed: { ast: File; index: FileIndex } | undefined;

  constructor(
    readonly uri: string,
    readonly path: string,
    readonly version: number,
    readonly text: string,
    private readonly parseSource: ParseSource,
  ) {}

  // Line tables too are built on first use: a check needs none (spans carry lines and
  // columns), only requests that carry a position do.
  get lines(): LineIndex {
    this.lineIndex ??= new LineIndex(this.text);
    return this.lineIndex;
  }

  get lineStarts(): readonly number[] {
    if (this.starts === undefined) {
      const text = this.text;
      const starts = [0];
      for (let i = 0; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (ch === 10 || (ch === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
      }
      this.starts = starts;
    }
    return this.starts;
  }

  private get tree(): { ast: File; index: FileIndex } {
    if (this.parsed === undefined) {
      const { ast } = this.parseSource(this.text, this.path);
      this.parsed = { ast, index: indexFile(ast) };
    }
    return this.parsed;
  }

  get ast(): File {
    return this.tree.ast;
  }

  get index(): FileIndex {
    return this.tree.index;
  }
}

export class DocumentStore {
  private readonly entries = new Map<string, Entry>();
  private readonly parses = new ParseCache();
  /** Checks of the blocks an edit did not touch, reused by the next check. */
  private readonly blocks = new BlockCache();

  /** Open documents shadow the disk, so unsaved text is what gets checked. */
  readonly host: SourceHost = {
    readFile: (p) => this.byPath(p)?.text ?? nodeHost.readFile(p),
    exists: (p) => this.byPath(p) !== undefined || nodeHost.exists(p),
  };

  /** Opens or replaces a document; returns the URIs whose check results are now stale. */
  set(uri: string, text: string, version: number): string[] {
    const path = uriToPath(uri);
    this.entries.set(uri, {
      uri,
      path,
      version,
      text,
      document: new LazyDocument(uri, path, version, text, this.parses.parse),
      state: "parsed",
      diagnostics: [],
      dependencies: new Set([path]),
    });
    return this.invalidateDependents(path);
  }

  close(uri: string): string[] {
    const entry = this.entries.get(uri);
    this.entries.delete(uri);
    return entry === undefined ? [] : this.invalidateDependents(entry.path);
  }

  get(uri: string): ParsedDocument | undefined {
    return this.entries.get(uri)?.document;
  }

  version(uri: string): number | undefined {
    return this.entries.get(uri)?.version;
  }

  state(uri: string): DocumentState | undefined {
    return this.entries.get(uri)?.state;
  }

  /**
   * Runs the compiler's checks with this document as the entry (as `qlx check FILE` would) and
   * moves it to `checked`. Returns the diagnostics located in the document itself.
   */
  check(uri: string): readonly Diagnostic[] {
    const entry = this.entries.get(uri);
    if (entry === undefined) return [];
    if (entry.state === "checked") return entry.diagnostics;
    const result = checkFile(entry.path, {
      host: this.host,
      parse: this.parses.parse,
      blocks: this.blocks,
    });
    entry.diagnostics = result.diagnostics.filter((d) => d.span.file === entry.path);
    entry.dependencies = new Set(result.project?.files.keys() ?? [entry.path]);
    entry.state = "checked";
    return entry.diagnostics;
  }

  /**
   * Parsed views of every file the document's project loaded (its imports, read through the
   * store so unsaved text wins), plus open documents that import it: the world that
   * cross-file navigation and rename search.
   */
  related(uri: string): ParsedDocument[] {
    const entry = this.entries.get(uri);
    if (entry === undefined) return [];
    this.check(uri);
    const paths = new Set(entry.dependencies);
    for (const other of this.entries.values()) {
      this.check(other.uri);
      if (other.dependencies.has(entry.path)) paths.add(other.path);
    }
    const out: ParsedDocument[] = [];
    for (const path of paths) {
      const open = this.byPath(path);
      const doc = open === undefined ? this.readClosed(path) : this.get(open.uri);
      if (doc !== undefined) out.push(doc);
    }
    return out;
  }

  private readClosed(path: string): ParsedDocument | undefined {
    const text = nodeHost.readFile(path);
    if (text === undefined) return undefined;
    return new LazyDocument(pathToUri(path), path, 0, text, this.parses.parse);
  }

  private byPath(path: string): Entry | undefined {
    for (const e of this.entries.values()) if (e.path === path) return e;
    return undefined;
  }

  private invalidateDependents(path: string): string[] {
    const stale: string[] = [];
    for (const e of this.entries.values()) {
      if (e.dependencies.has(path)) {
        e.state = "parsed";
        stale.push(e.uri);
      }
    }
    return stale;
  }
}
