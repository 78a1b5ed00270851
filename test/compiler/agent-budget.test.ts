import { describe, expect, it } from "vitest";
import { agentBudget } from "../../compiler/agent-budget.ts";
import { MEMORY_TEMPLATE_TOKENS } from "../../language/builtins/functions.ts";

describe("the memory agent's token budget (§2.3)", () => {
  const T = MEMORY_TEMPLATE_TOKENS.natural;

  it("counts K reading steps of template + chunk + 2 × memory and one answer step", () => {
    const b = agentBudget({
      input: 100,
      output: 7,
      chunk: 30,
      memory: 5,
      maxChunks: 0,
      tinyModel: false,
    });
    expect(b.readingSteps).toBe(4); // ⌈100 / 30⌉
    expect(b.readingStep).toBe(T + 30 + 10);
    expect(b.answerStep).toBe(T + 5 + 7);
    expect(b.trajectoryTokens).toBe(4 * (T + 40) + T + 12);
    expect(b.trajectoryResponseTokens).toBe(4 * 5 + 7);
  });

  it("stops reading at max_chunks and uses the tiny template for tiny models", () => {
    const b = agentBudget({
      input: 100,
      output: 7,
      chunk: 30,
      memory: 5,
      maxChunks: 2,
      tinyModel: true,
    });
    expect(b.readingSteps).toBe(2);
    expect(b.template).toBe(MEMORY_TEMPLATE_TOKENS.tiny);
    expect(b.trajectoryResponseTokens).toBe(2 * 5 + 7);
  });
});
