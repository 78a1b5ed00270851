// `npm run bench -- <name> [args…]`: runs the benchmark bench/<name>/main.ts or bench/<name>.ts.
// Each benchmark module exports `main(args)`, runs its peer baseline in the same invocation,
// and writes bench/results/<name>.json itself; this entry only finds and starts it.

import { existsSync, readdirSync } from "node:fs";

const benchRoot = new URL("./", import.meta.url);

/** Benchmark name → module URL. */
function available(): Map<string, URL> {
  const found = new Map<string, URL>();
  for (const d of readdirSync(benchRoot, { withFileTypes: true })) {
    if (d.isDirectory() && existsSync(new URL(`${d.name}/main.ts`, benchRoot))) {
      found.set(d.name, new URL(`${d.name}/main.ts`, benchRoot));
    } else if (d.isFile() && d.name.endsWith(".ts") && d.name !== "run.ts") {
      found.set(d.name.slice(0, -3), new URL(d.name, benchRoot));
    }
  }
  return found;
}

const [name, ...args] = process.argv.slice(2);
const benches = available();
const module = name ? benches.get(name) : undefined;
if (!module) {
  const names = [...benches.keys()].sort().join(", ") || "(none)";
  console.error(`usage: npm run bench -- <name> [args]\nbenchmarks: ${names}`);
  process.exit(2);
}
const bench = (await import(module.href)) as { main(args: string[]): Promise<void> };
await bench.main(args);
