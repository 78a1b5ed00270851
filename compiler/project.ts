// Loads an entry file and its `use` imports, confined to the project directory: the entry
// file's directory, or the nearest directory above it holding a `qlx.project` marker (so that
// examples in sibling folders can share a base), or an explicit directory.
import * as nodePath from "node:path";
import type { Block, File } from "../language/ast.ts";
import { diag, type Diagnostic } from "../language/diagnostics.ts";
import { parse, type ParseResult } from "../language/index.ts";
import { nameOf } from "./check.ts";

export interface SourceHost {
  readFile(path: string): string | undefined;
  exists(path: string): boolean;
}

export interface LoadedFile {
  readonly path: string;
  readonly text: string;
  readonly ast: File;
}

export interface Project {
  readonly root: string;
  readonly entry: LoadedFile;
  /** Every loaded file by absolute path, entry first, then imports in load order. */
  readonly files: ReadonlyMap<string, LoadedFile>;
  readonly diagnostics: readonly Diagnostic[];
}

export const PROJECT_MARKER = "qlx.project";

export function findProjectDir(entry: string, host: SourceHost): string {
  let dir = nodePath.dirname(nodePath.resolve(entry));
  for (;;) {
    if (host.exists(nodePath.join(dir, PROJECT_MARKER))) return dir;
    const up = nodePath.dirname(dir);
    if (up === dir) return nodePath.dirname(nodePath.resolve(entry));
    dir = up;
  }
}

/** The absolute path `rel` names from `fromFile`, or undefined when it leaves `root`. */
export function confine(root: string, fromFile: string, rel: string): string | undefined {
  const abs = nodePath.resolve(nodePath.dirname(fromFile), rel);
  const inside = nodePath.relative(root, abs);
  return inside.startsWith("..") || nodePath.isAbsolute(inside) ? undefined : abs;
}

/** Text → AST + syntax diagnostics; `parse` unless a caller keeps parses (the editor does). */
export type ParseSource = (text: string, path: string) => ParseResult;

export function loadProject(
  entry: string,
  host: SourceHost,
  projectDir?: string,
  parseSource: ParseSource = parse,
): Project | undefined {
  const entryPath = nodePath.resolve(entry);
  const root =
    projectDir === undefined ? findProjectDir(entryPath, host) : nodePath.resolve(projectDir);
  const files = new Map<string, LoadedFile>();
  const diagnostics: Diagnostic[] = [];
  const load = (path: string): LoadedFile | undefined => {
    const text = host.readFile(path);
    if (text === undefined) return undefined;
    const { ast, diagnostics: syntax } = parseSource(text, path);
    const file = { path, text, ast };
    files.set(path, file);
    diagnostics.push(...syntax);
    return file;
  };
  const visit = (file: LoadedFile, stack: readonly string[]) => {
    for (const item of file.ast.items) {
      if (item.kind !== "Use") continue;
      const target = confine(root, file.path, item.path.value);
      if (target === undefined) {
        diagnostics.push(diag("QLX2009", item.path.span, { path: item.path.value }));
        continue;
      }
      if (stack.includes(target)) {
        diagnostics.push(diag("QLX2010", item.path.span, { path: item.path.value }));
        continue;
      }
      if (files.has(target)) continue;
      const loaded = load(target);
      if (loaded === undefined)
        diagnostics.push(diag("QLX2008", item.path.span, { path: item.path.value }));
      else visit(loaded, [...stack, target]);
    }
  };
  const first = load(entryPath);
  if (first === undefined) return undefined;
  visit(first, [entryPath]);
  return { root, entry: first, files, diagnostics };
}

export interface Declared {
  readonly block: Block;
  readonly file: LoadedFile;
}

/** Top-level experiments and ablations of every loaded file; duplicates reported. */
export function declarations(
  project: Project,
  report: (d: Diagnostic) => void,
): Map<string, Declared> {
  const out = new Map<string, Declared>();
  for (const file of project.files.values()) {
    for (const item of file.ast.items) {
      if (item.kind !== "Block") continue;
      const name = nameOf(item);
      if (name === undefined) continue;
      const seen = out.get(name);
      if (seen !== undefined) {
        report(
          diag("QLX2007", item.headSpan, { name, what: item.keyword.name }, [
            { span: seen.block.headSpan, message: "first declared here" },
          ]),
        );
        continue;
      }
      out.set(name, { block: item, file });
    }
  }
  return out;
}
