import { describe, expect, it } from "vitest";
import { judgeOptionsFromIr, type IrJudge } from "../../../runtime/judge/from-ir.ts";
import { EQUIVALENCE_PROMPT } from "../../../runtime/judge/prompts.ts";

const ir: IrJudge = {
  endpoint: { kind: "env", name: "JUDGE_URL" },
  api_key: { kind: "env", name: "JUDGE_KEY" },
  model: "gpt-oss-120b",
  prompt: { source: "std.prompts.equivalence", text: EQUIVALENCE_PROMPT },
  timeout_s: 2.5,
  retries: 4,
};

describe("judge options from the IR", () => {
  it("resolves env secrets and converts units", () => {
    expect(judgeOptionsFromIr(ir, { JUDGE_URL: "http://h/v1" }, { budget: 10 })).toMatchObject({
      endpoint: "http://h/v1",
      apiKeyEnv: "JUDGE_KEY",
      model: "gpt-oss-120b",
      prompt: EQUIVALENCE_PROMPT,
      timeoutMs: 2500,
      maxRetries: 4,
      budget: 10,
    });
  });

  it("passes literals and names a missing endpoint variable", () => {
    const literal = {
      ...ir,
      endpoint: { kind: "literal" as const, value: "http://x" },
      api_key: { kind: "literal" as const, value: "k" },
    };
    expect(judgeOptionsFromIr(literal, {})).toMatchObject({ endpoint: "http://x", apiKey: "k" });
    expect(judgeOptionsFromIr({ ...literal, api_key: null }, {})).not.toHaveProperty("apiKey");
    expect(() => judgeOptionsFromIr(ir, {})).toThrow(/JUDGE_URL/);
  });
});
