// The checker budgets a memory-agent step with MEMORY_TEMPLATE_TOKENS (QLX4011); the standard
// library's templates must stay within it, or a file the checker accepts could overflow.
import { describe, expect, it } from "vitest";
import { MEMORY_TEMPLATE_TOKENS } from "../../../language/builtins/functions.ts";
import { agentTemplate, EMPTY_STATE } from "../../../runtime/agent/templates.ts";

describe("memory-agent templates", () => {
  it.each(["tiny", "natural"] as const)("fit the checker's %s template budget", (style) => {
    for (const plan of [true, false]) {
      const t = agentTemplate(style, plan);
      const q = { core: "", inst: "" };
      expect(t.stepPrompt(q, EMPTY_STATE, []).length).toBeLessThanOrEqual(
        MEMORY_TEMPLATE_TOKENS[style],
      );
      expect(t.answerPrompt(q, EMPTY_STATE).length).toBeLessThanOrEqual(
        MEMORY_TEMPLATE_TOKENS[style],
      );
    }
  });
});
