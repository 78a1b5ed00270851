// Checker rules on annotated sources: the carets mark exactly where each diagnostic points.
import { describe, it } from "vitest";
import { expectAnnotated, PRELUDE } from "../helpers/annotated.ts";

const experiment = (...lines: string[]) => `experiment x {\n${PRELUDE}\n${lines.join("\n")}\n}\n`;

describe("checks", () => {
  it("accepts the prelude alone", () => {
    expectAnnotated(experiment());
  });

  it("poisons a wrong value instead of cascading into the rules that read it", () => {
    expectAnnotated(
      experiment(
        "  rollout { group = 1.5 }",
        "  //                ^^^ QLX3008",
        "  advantage = grpo(std = group)",
      ),
    );
  });

  it("allows a single response per prompt when nothing uses the group", () => {
    expectAnnotated(
      experiment("  rollout { group = 1 }", "  advantage = grpo(baseline = none, std = batch)"),
    );
  });

  it("bounds the dual clip above 1 and reports two independent mistakes separately", () => {
    expectAnnotated(
      experiment(
        "  loss = policy_gradient(dual_clip = 1, clip_high = 0.1, clip_low = 0.3)",
        "  //                                 ^ QLX3002",
        "  //                                                ^^^ QLX5006",
      ),
    );
  });

  it("takes the memory agent's footprint, not the document, against the context", () => {
    const withMemoryStage = experiment().replace(
      "stage s1 { input = 8K, output = 4K, steps = 10 }",
      "stage s1 { input = 1M, output = 4K, steps = 10, agent = memory(chunk = 16K, memory = 2K) }",
    );
    expectAnnotated(withMemoryStage);
  });

  it("resolves ablation bases through imports and checks each row", () => {
    const base = `experiment b {\n${PRELUDE}\n}\n`;
    expectAnnotated(
      [
        'use "base.qlx"',
        "ablation t of b {",
        '  rows { "hot" { rollout { temperature = -1 } } }',
        "  //                                     ^^ QLX3002",
        "}",
        "",
      ].join("\n"),
      { "/project/base.qlx": base },
    );
  });
});
