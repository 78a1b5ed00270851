// Random edits for the incremental re-parsing and checking tests: the examples, a generated
// multi-block file (stages on one line with text after them, rows, a grid), and character and
// whole-line edits at uniform positions.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import type { TextChange } from "../../language/incremental.ts";
import { EXAMPLE } from "./example-source.ts";

const EXAMPLES_DIR = fileURLToPath(new URL("../../examples", import.meta.url));
export const EXAMPLE_PATHS = readdirSync(EXAMPLES_DIR, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".qlx"))
  .sort()
  .map((f) => join(EXAMPLES_DIR, f));

/** Several top-level blocks; stages on one line with comments after them; rows and a grid. */
function multiBlock(stages: number): string {
  const stageLines = Array.from({ length: stages }, (_, i) =>
    i % 3 === 0
      ? `    stage s${i}${i > 0 ? ` from s${i - 1}` : ""} { input = ${8 + i}K, output = 4K, steps = 10 } // s${i}`
      : `    stage s${i} from s${i - 1} {\n      input = ${8 + i}K\n      output = 4K\n      steps = ${10 + i}\n    }`,
  );
  return `// generated
experiment a {
  model policy { init = "Qwen/Qwen3-4B", context = 64K }
  tasks {
    qa { data = generate(kind = reading), reward = contains }
    mc { data = generate(kind = multiple_choice), reward = choice_accuracy }
  }
  batch = 16
  control = aepo(low = 0.3, high = 0.5) /* Eq. 11 */ optimizer = adamw(lr = 1e-6)
  schedule {
${stageLines.join("\n")}
    merge fused = sce(models = [s1, s2], base = s0)
  }
  profile tiny { schedule { s1.steps = 2 } }
}

experiment b { model policy { init = "Qwen/Qwen3-4B", context = 64K } tasks { qa { data = generate(kind = reading), reward = contains } } schedule { stage only { input = 8K, output = 4K, steps = 5 } } }

ablation t of a {
  rows {
    "base" { }
    for lr in [1e-6, 2e-6] { "lr {lr}" { optimizer = adamw(lr = lr) } }
  }
  seeds = 3
}
`;
}

export const MULTI = multiBlock(12);
export const SOURCES = [MULTI, EXAMPLE, ...EXAMPLE_PATHS.map((p) => readFileSync(p, "utf8"))];

const FRAGMENTS = [
  ...["{", "}", "{ }", '"', '"x"', "(", ")", "[", "]", ",", "=", ".", "-", "<"],
  ...["\n", "\n\n", " ", "\t", "x", "7", "0.5", "20K", "1.5K", "s1", "stage", "from", "for"],
  ...["/*", "*/", "// note\n", "$", "steps = 12\n", "  stage s9 { steps = 3 }\n", "sce("],
];

type Edit =
  | { kind: "chars"; at: number; remove: number; insert: string }
  | { kind: "line"; at: number; duplicate: boolean };

/** A uniform position in [0, 1) (fast-check's doubles crowd around 0). */
const position = fc.noBias(fc.nat({ max: 999_999 })).map((n) => n / 1_000_000);
const edit: fc.Arbitrary<Edit> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("chars" as const),
      at: position,
      remove: fc.nat({ max: 12 }),
      insert: fc
        .array(fc.constantFrom(...FRAGMENTS), { maxLength: 3 })
        .map((parts) => parts.join("")),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("line" as const),
      at: position,
      duplicate: fc.boolean(),
    }),
    weight: 1,
  },
);

/** The edit as a change of `text`: a character edit, or a whole line deleted or duplicated. */
export function changeOf(text: string, e: Edit): TextChange {
  if (e.kind === "chars") {
    const start = Math.floor(e.at * (text.length + 1));
    return { start, end: Math.min(text.length, start + e.remove), newText: e.insert };
  }
  const lineStart = text.lastIndexOf("\n", Math.floor(e.at * text.length) - 1) + 1;
  const next = text.indexOf("\n", lineStart);
  const lineEnd = next < 0 ? text.length : next + 1;
  return e.duplicate
    ? { start: lineStart, end: lineStart, newText: text.slice(lineStart, lineEnd) }
    : { start: lineStart, end: lineEnd, newText: "" };
}

export function apply(text: string, c: TextChange): string {
  return text.slice(0, c.start) + c.newText + text.slice(c.end);
}

/**
 * One to four edits, each maybe undone right after, as editors do: the undo often repairs the
 * syntax error the edit made, inside the block it re-parses.
 */
export const EDITS = fc.array(fc.tuple(edit, fc.boolean()), { minLength: 1, maxLength: 4 });

/** Lines a user types into a recipe, one keystroke after another (each keystroke an edit). */
const TYPED = [
  "\n      model = poli(a = 1, b = [2, 3])",
  "\n    stage s9 from s1 { input = 8K, steps = 3 }",
  "\n      retrospective = hard(pass_rate < 0.5) // note",
  "\n      s1.steps = 2",
  ' "x {y}" { lr = 2e-6 }',
  "0.5",
];

/** Where to type (a uniform position) and what. */
export const TYPING = fc.tuple(position, fc.constantFrom(...TYPED));

/** The keystrokes that type `typed` at `at` (a position in [0, 1)) into `text`. */
export function keystrokes(text: string, at: number, typed: string): TextChange[] {
  const start = Math.floor(at * (text.length + 1));
  return Array.from(typed, (ch, i) => ({ start: start + i, end: start + i, newText: ch }));
}
