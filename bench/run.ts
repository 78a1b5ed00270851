// `npm run bench -- <name> [args…]`: runs the benchmark in bench/<name>/main.ts. Each benchmark
// module exports `main(args)`, runs its peer baseline in the same invocation, and writes
// bench/results/<name>.json itself; this entry only finds and starts it.

import { existsSync, readdirSync } from "node:fs";

const benchRoot = new URL("./", import.meta.url);

function available(): string[] {
  return readdirSync(benchRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/main.ts`, benchRoot)))
    .map((d) => d.name)
    .sort();
}

const [name, ...args] = process.argv.slice(2);
const names = available();
if (!name || !names.includes(name)) {
  console.error(
    `usage: npm run bench -- <name> [args]\nbenchmarks: ${names.join(", ") || "(none)"}`,
  );
  process.exit(2);
}
const bench = (await import(new URL(`${name}/main.ts`, benchRoot).href)) as {
  main(args: string[]): Promise<void>;
};
await bench.main(args);
