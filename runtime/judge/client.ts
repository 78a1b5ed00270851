// The LLM-as-a-judge client (paper §5.1: an external model judges semantic equivalence of
// the prediction and the gold answer, with the Table 6 prompt). It speaks the OpenAI chat
// completions protocol, which vLLM, SGLang, Ollama and hosted APIs all serve.
//
// Endpoint: `endpoint` is the API base URL (e.g. "https://host/v1"), and requests go to
// `{endpoint}/chat/completions`; an endpoint that already ends in "/chat/completions" is used
// as given. The bearer token is read from the environment variable NAMED by `apiKeyEnv`, so
// a recipe names the variable and never holds the secret (a literal `apiKey` also works).
//
// Per query: the on-disk cache (cache.ts) is consulted first; identical queries in flight at
// the same time share one request; at most `concurrency` requests run at once; each attempt
// is aborted after `timeoutMs` (headers and body); timeouts, network errors, HTTP 408/429/5xx
// and malformed bodies are retried up to `maxRetries` times after an exponential backoff
// with jitter, base·2^attempt capped at `backoffMaxMs` and scaled by a factor in [0.5, 1)
// drawn from Rng.stream(seed, "judge-backoff", key, attempt), so delays are reproducible. A
// reply without a verdict is not retried (at temperature 0 it would say the same again). A
// Retry-After header given in seconds lengthens the wait, never beyond `backoffMaxMs`.
// The budget counts HTTP requests, retries included, over the client's lifetime (one run):
// once spent, queries fail with "budget_exhausted" without a request. Every failure is
// returned as a JudgeFailure, and counted in `stats`.

import { Rng } from "../rng.ts";
import { cacheKey, JudgeCache } from "./cache.ts";
import { EQUIVALENCE_PROMPT, renderPrompt } from "./prompts.ts";
import type {
  EquivalenceJudge,
  EquivalenceQuery,
  JudgeFailure,
  JudgeFailureReason,
  JudgeResult,
} from "./types.ts";
import { parseVerdict } from "./verdict.ts";

export interface JudgeClientOptions {
  /** API base URL, or the full chat-completions URL. */
  readonly endpoint: string;
  readonly model: string;
  /** Name of the environment variable holding the bearer token (the way recipes give it). */
  readonly apiKeyEnv?: string;
  /** The bearer token itself, when the recipe wrote a literal; neither → no Authorization. */
  readonly apiKey?: string;
  /** Environment to read `apiKeyEnv` from; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Prompt template with {question}, {predicted}, {gold}; defaults to EQUIVALENCE_PROMPT. */
  readonly prompt?: string;
  /** Directory of the on-disk verdict cache; none → no cache. */
  readonly cacheDir?: string;
  /** Requests in flight at once; default 4. */
  readonly concurrency?: number;
  /** Per-attempt timeout in ms; default 60 000. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt; default 3. */
  readonly maxRetries?: number;
  /** First backoff delay in ms; default 500. */
  readonly backoffBaseMs?: number;
  /** Backoff cap in ms; default 30 000. */
  readonly backoffMaxMs?: number;
  /** Most HTTP requests this client may send; default unlimited. */
  readonly budget?: number;
  /** Seed of the backoff jitter; default 0. */
  readonly seed?: number;
  /** Sampling temperature sent to the judge; default 0. */
  readonly temperature?: number;
  /** max_tokens sent to the judge; default 1024 (the prompt asks for an explanation). */
  readonly maxTokens?: number;
  /** Waits between attempts; tests pass a recorder. Defaults to a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface JudgeStats {
  /** HTTP requests sent, retries included. */
  requests: number;
  cacheHits: number;
  /** Attempts after a first one. */
  retries: number;
  verdicts: number;
  failures: Record<JudgeFailureReason, number>;
}

/** The URL requests are POSTed to (see the endpoint convention at the top of the file). */
export function chatCompletionsUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, "");
  return trimmed.endsWith("/chat/completions") ? trimmed : `${trimmed}/chat/completions`;
}

type Attempt =
  | { readonly kind: "reply"; readonly text: string }
  | {
      readonly kind: "retryable" | "final";
      readonly reason: JudgeFailureReason;
      readonly detail: string;
      /** The server's Retry-After, in ms, when it sent one in seconds. */
      readonly retryAfterMs?: number;
    };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A counting semaphore: `acquire` resolves when one of `limit` slots is free. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(limit: number) {
    this.free = limit;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.free++;
  }
}

export class JudgeClient implements EquivalenceJudge {
  readonly stats: JudgeStats = {
    requests: 0,
    cacheHits: 0,
    retries: 0,
    verdicts: 0,
    failures: {
      timeout: 0,
      http_error: 0,
      network_error: 0,
      malformed_response: 0,
      no_verdict: 0,
      budget_exhausted: 0,
    },
  };
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly cache: JudgeCache | undefined;
  private readonly slots: Slots;
  private readonly inFlight = new Map<string, Promise<JudgeResult>>();
  private readonly o: Required<
    Pick<
      JudgeClientOptions,
      | "model"
      | "prompt"
      | "timeoutMs"
      | "maxRetries"
      | "backoffBaseMs"
      | "backoffMaxMs"
      | "budget"
      | "seed"
      | "temperature"
      | "maxTokens"
      | "sleep"
    >
  >;

  constructor(options: JudgeClientOptions) {
    this.url = chatCompletionsUrl(options.endpoint);
    this.headers = { "content-type": "application/json" };
    if (options.apiKeyEnv !== undefined) {
      const key = (options.env ?? process.env)[options.apiKeyEnv];
      if (key === undefined || key === "") {
        throw new Error(
          `judge: environment variable ${options.apiKeyEnv} (the judge's apiKeyEnv) is not set`,
        );
      }
      this.headers.authorization = `Bearer ${key}`;
    } else if (options.apiKey !== undefined) {
      this.headers.authorization = `Bearer ${options.apiKey}`;
    }
    const concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`judge: concurrency must be an integer ≥ 1, got ${concurrency}`);
    }
    this.slots = new Slots(concurrency);
    this.cache = options.cacheDir === undefined ? undefined : new JudgeCache(options.cacheDir);
    this.o = {
      model: options.model,
      prompt: options.prompt ?? EQUIVALENCE_PROMPT,
      timeoutMs: options.timeoutMs ?? 60_000,
      maxRetries: options.maxRetries ?? 3,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      backoffMaxMs: options.backoffMaxMs ?? 30_000,
      budget: options.budget ?? Infinity,
      seed: options.seed ?? 0,
      temperature: options.temperature ?? 0,
      maxTokens: options.maxTokens ?? 1024,
      sleep: options.sleep ?? defaultSleep,
    };
  }

  /** Requests left in the budget. */
  get budgetLeft(): number {
    return Math.max(0, this.o.budget - this.stats.requests);
  }

  judge(query: EquivalenceQuery): Promise<JudgeResult> {
    const prompt = renderPrompt(this.o.prompt, query);
    const key = cacheKey({
      model: this.o.model,
      prompt,
      temperature: this.o.temperature,
      maxTokens: this.o.maxTokens,
    });
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    const result = this.judgeUncached(key, prompt).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, result);
    return result;
  }

  /** The backoff before retry number `attempt + 1` of the query `key`, in ms. */
  backoffMs(key: string, attempt: number): number {
    const ceiling = Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** attempt);
    return ceiling * (0.5 + 0.5 * Rng.stream(this.o.seed, "judge-backoff", key, attempt).next());
  }

  private async judgeUncached(key: string, prompt: string): Promise<JudgeResult> {
    const cached = await this.cache?.get(key);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      return { ok: true, equivalent: cached.equivalent, cached: true, attempts: 0 };
    }
    await this.slots.acquire();
    try {
      return await this.ask(key, prompt);
    } finally {
      this.slots.release();
    }
  }

  private fail(reason: JudgeFailureReason, detail: string, attempts: number): JudgeResult {
    this.stats.failures[reason]++;
    const failure: JudgeFailure = { reason, detail, attempts };
    return { ok: false, failure };
  }

  private async ask(key: string, prompt: string): Promise<JudgeResult> {
    let attempts = 0;
    for (;;) {
      if (this.stats.requests >= this.o.budget) {
        return this.fail(
          "budget_exhausted",
          `budget of ${this.o.budget} judge requests spent`,
          attempts,
        );
      }
      if (attempts > 0) this.stats.retries++;
      this.stats.requests++;
      attempts++;
      const outcome = await this.attempt(prompt);
      if (outcome.kind === "reply") {
        const equivalent = parseVerdict(outcome.text);
        if (equivalent === undefined) {
          return this.fail(
            "no_verdict",
            `no [[YES]]/[[NO]] verdict in reply: ${head(outcome.text)}`,
            attempts,
          );
        }
        this.stats.verdicts++;
        await this.cache?.put(key, { model: this.o.model, equivalent, reply: outcome.text });
        return { ok: true, equivalent, cached: false, attempts };
      }
      if (outcome.kind === "final" || attempts > this.o.maxRetries) {
        return this.fail(outcome.reason, outcome.detail, attempts);
      }
      // A rate-limited server's Retry-After is honoured, up to the backoff cap.
      const backoff = this.backoffMs(key, attempts - 1);
      const asked = Math.min(outcome.retryAfterMs ?? 0, this.o.backoffMaxMs);
      await this.o.sleep(Math.max(backoff, asked));
    }
  }

  /** One HTTP request, classified; never throws. */
  private async attempt(prompt: string): Promise<Attempt> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.o.timeoutMs);
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: this.headers,
        signal: controller.signal,
        body: JSON.stringify({
          model: this.o.model,
          messages: [{ role: "user", content: prompt }],
          temperature: this.o.temperature,
          max_tokens: this.o.maxTokens,
        }),
      });
      const body = await response.text();
      if (!response.ok) {
        const retryable =
          response.status === 408 || response.status === 429 || response.status >= 500;
        const retryAfter = Number(response.headers.get("retry-after") ?? NaN);
        return {
          kind: retryable ? "retryable" : "final",
          reason: "http_error",
          detail: `POST ${this.url}: HTTP ${response.status} ${head(body)}`,
          ...(retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
        };
      }
      const text = replyText(body);
      return text === undefined
        ? {
            kind: "retryable",
            reason: "malformed_response",
            detail: `no choices[0].message.content in ${head(body)}`,
          }
        : { kind: "reply", text };
    } catch (error) {
      if (controller.signal.aborted) {
        return {
          kind: "retryable",
          reason: "timeout",
          detail: `POST ${this.url}: no reply within ${this.o.timeoutMs} ms`,
        };
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return {
        kind: "retryable",
        reason: "network_error",
        detail: `POST ${this.url}: ${cause?.code ?? cause?.message ?? String(error)}`,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `choices[0].message.content` of a chat-completions body, or undefined. */
function replyText(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const content = (parsed as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]
    ?.message?.content;
  return typeof content === "string" ? content : undefined;
}

function head(text: string): string {
  return text.length <= 200 ? text : `${text.slice(0, 200)}…`;
}
