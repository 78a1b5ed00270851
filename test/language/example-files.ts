// The project's example .qlx files (read at test time, so new examples are fuzzed too).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const examplesDir = fileURLToPath(new URL("../../examples", import.meta.url));

function qlxFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return qlxFiles(full);
    return name.endsWith(".qlx") ? [full] : [];
  });
}

/** The text of every `examples/**\/*.qlx`, sorted by path so runs are reproducible. */
export function exampleSources(): string[] {
  return qlxFiles(examplesDir)
    .sort()
    .map((f) => readFileSync(f, "utf8"));
}
