// The built-ins table: every block, field, function and standard-library value of qlx,
// declared once. The checker, lowering (defaults), hover/completion and docs/reference.md read
// it; backends key their implementations by the function names declared here.
export * from "./builtins/types.ts";
export {
  FUNCTIONS,
  BENCHMARKS,
  TASK_GENERATORS,
  lookupFunction,
  functionsOf,
} from "./builtins/functions.ts";
export { ROOT, EXPERIMENT, ABLATION, PROFILE, ROWS, ALL_BLOCKS } from "./builtins/blocks.ts";

export interface StdValue {
  readonly path: string;
  readonly kind: "prompt";
  readonly doc: string;
  readonly text: string;
}

/**
 * The standard library. `std.prompts.equivalence` restates the paper's Table 6 judge prompt in
 * our own words with the same meaning: compare two answers for equivalence without solving the
 * problem, explain, then answer [[YES]] or [[NO]]. `{question}`, `{answer}`, `{gold}` are filled
 * in by the judge reward.
 */
export const STD: readonly StdValue[] = [
  {
    path: "std.prompts.equivalence",
    kind: "prompt",
    doc: "Judge prompt for semantic equivalence of a predicted and a gold answer (the paper's Table 6, reworded).",
    text: [
      "You check whether two answers to the same problem say the same thing.",
      "You are given a problem and two answers, Answer 1 and Answer 2. Decide whether they are equivalent.",
      "Do not try to solve the problem yourself; only compare the two answers.",
      "Treat them as equivalent when they express the same value or meaning, even if they are written in different forms, notations or words.",
      "Reply in this format:",
      "1) Explain briefly why the answers are or are not equivalent.",
      "2) End with your verdict, exactly [[YES]] or [[NO]].",
      "Problem: {question}",
      "Answer 1: {answer}",
      "Answer 2: {gold}",
    ].join("\n"),
  },
];

export function lookupStd(path: string): StdValue | undefined {
  return STD.find((s) => s.path === path);
}
