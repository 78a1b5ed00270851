// Checker tests written as annotated .qlx text (STYLE.md §5): a line `// ^^^ QLX3002` under a
// source line expects that code exactly under the carets. The annotations are comments, so
// the text stays valid qlx; a file with no annotation expects no diagnostics at all.
import { expect } from "vitest";
import { checkFile, type SourceHost } from "../../compiler/index.ts";

/** A minimal experiment body that checks clean; tests add the lines they are about. */
export const PRELUDE = `  model policy { init = "Qwen/Qwen3-4B", context = 64K }
  tasks { qa { data = generate(kind = reading), reward = contains } }
  optimizer = adamw(lr = 1e-6)
  schedule { stage s1 { input = 8K, output = 4K, steps = 10 } }`;

export function memoryHost(files: Record<string, string>): SourceHost {
  return { readFile: (p) => files[p], exists: (p) => p in files };
}

interface Expected {
  readonly code: string;
  readonly line: number;
  readonly column: number;
  readonly endColumn: number;
}

function annotations(text: string): Expected[] {
  const lines = text.split("\n");
  const out: Expected[] = [];
  let sourceLine = 0;
  lines.forEach((line, i) => {
    const m = /^(\s*)\/\/(\s*)(\^+)\s+(QLX\d{4})\s*$/.exec(line);
    if (m === null) {
      sourceLine = i + 1;
      return;
    }
    // The caret's column in the annotation line is the column in the source line above it.
    const column = line.indexOf("^") + 1;
    out.push({ code: m[4], line: sourceLine, column, endColumn: column + m[3].length });
  });
  return out;
}

/** Checks `text` as the file `/project/main.qlx` and compares with its caret annotations. */
export function expectAnnotated(text: string, extraFiles: Record<string, string> = {}): void {
  const { diagnostics } = checkFile("/project/main.qlx", {
    host: memoryHost({ "/project/main.qlx": text, ...extraFiles }),
  });
  const actual = diagnostics.map((d) => ({
    code: d.code,
    line: d.span.line,
    column: d.span.column,
    endColumn: d.span.endColumn,
  }));
  expect(actual).toEqual(annotations(text));
}
