// From the IR's `judge` block (compiler/ir/schema.ts) to JudgeClient options: the endpoint
// may be `env(NAME)` or a literal, the API key `env(NAME)`, a literal or absent; the prompt is
// the resolved template text (std.prompts.equivalence is EQUIVALENCE_PROMPT). What the IR does
// not fix (cache directory, budget, concurrency, jitter seed) is the executor's to give.

import type { ExperimentIr } from "../../compiler/ir/schema.ts";
import type { JudgeClientOptions } from "./client.ts";

export type IrJudge = NonNullable<ExperimentIr["judge"]>;

export type JudgeRunOptions = Pick<
  JudgeClientOptions,
  "cacheDir" | "budget" | "concurrency" | "seed" | "sleep"
>;

export function judgeOptionsFromIr(
  judge: IrJudge,
  env: Readonly<Record<string, string | undefined>>,
  run: JudgeRunOptions = {},
): JudgeClientOptions {
  let endpoint: string;
  if (judge.endpoint.kind === "env") {
    const value = env[judge.endpoint.name];
    if (value === undefined || value === "") {
      throw new Error(
        `judge: environment variable ${judge.endpoint.name} (the judge's endpoint) is not set`,
      );
    }
    endpoint = value;
  } else {
    endpoint = judge.endpoint.value;
  }
  return {
    ...run,
    endpoint,
    model: judge.model,
    env,
    ...(judge.api_key === null
      ? {}
      : judge.api_key.kind === "env"
        ? { apiKeyEnv: judge.api_key.name }
        : { apiKey: judge.api_key.value }),
    prompt: judge.prompt.text,
    timeoutMs: judge.timeout_s * 1000,
    maxRetries: judge.retries,
  };
}
