// The large parser-fuzzing campaign (CI runs a small seeded one in test/language/fuzz.test.ts):
//   npx tsx scripts/fuzz-parser.ts --runs 100000 --seed 1
// Half the inputs are random token soups, half random edits of the examples. Each must parse
// without throwing and keep the invariants of `checkParse`; the run prints counts and timings.
import { parseArgs } from "node:util";
import fc from "fast-check";
import { exampleSources } from "../test/language/example-files.ts";
import { EXAMPLE } from "../test/language/example-source.ts";
import { checkParse, mutationsOf, tokenSoup } from "../test/language/fuzz-inputs.ts";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "100000" }, seed: { type: "string", default: "1" } },
});
const runs = Number(values.runs);
const seed = Number(values.seed);
if (!Number.isInteger(runs) || runs <= 0 || !Number.isInteger(seed)) {
  console.error("usage: tsx scripts/fuzz-parser.ts [--runs N] [--seed S]");
  process.exit(2);
}

const sources = [EXAMPLE, ...exampleSources()];
const input = fc.oneof(
  tokenSoup.map((text) => ({ kind: "soup" as const, text })),
  mutationsOf(sources).map((text) => ({ kind: "mutation" as const, text })),
);

const counts = { soup: 0, mutation: 0, clean: 0, withDiagnostics: 0, chars: 0 };
let maxMs = 0;
let slowestLength = 0;
const started = performance.now();
const result = fc.check(
  fc.property(input, ({ kind, text }) => {
    counts[kind]++;
    counts.chars += text.length;
    const t0 = performance.now();
    const { violation, clean } = checkParse(text);
    const ms = performance.now() - t0;
    if (ms > maxMs) {
      maxMs = ms;
      slowestLength = text.length;
    }
    if (violation !== undefined) throw new Error(violation);
    if (clean) counts.clean++;
    else counts.withDiagnostics++;
  }),
  { numRuns: runs, seed, endOnFailure: true },
);
const seconds = (performance.now() - started) / 1000;

console.log(`parser fuzzing: ${runs} inputs, seed ${seed}, ${sources.length} example sources`);
console.log(`  token soups ${counts.soup}, example edits ${counts.mutation}`);
console.log(
  `  parsed clean ${counts.clean} (formatted idempotently), with diagnostics ${counts.withDiagnostics}`,
);
console.log(
  `  total ${seconds.toFixed(1)} s, mean ${((seconds * 1000) / Math.max(1, counts.soup + counts.mutation)).toFixed(2)} ms/input`,
);
console.log(
  `  slowest input ${maxMs.toFixed(1)} ms (${slowestLength} chars; parse + checks, includes GC pauses)`,
);
if (result.failed) {
  console.log(`  FAILED: ${fc.defaultReportMessage(result)}`);
  process.exit(1);
}
console.log("  no failures");
