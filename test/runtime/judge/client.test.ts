import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type TaskRecord } from "../../../runtime/data/schema.ts";
import {
  chatCompletionsUrl,
  JudgeClient,
  type JudgeClientOptions,
} from "../../../runtime/judge/client.ts";
import { EQUIVALENCE_PROMPT, renderPrompt } from "../../../runtime/judge/prompts.ts";
import { summarize } from "../../../runtime/rewards/metrics.ts";
import { buildReward, HYBRID_REWARD } from "../../../runtime/rewards/registry.ts";

// A fake chat-completions server on 127.0.0.1. Each test scripts its replies: `script` is
// consumed one handler per request, and once empty every request gets `fallback`.
type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

const reply =
  (content: string): Handler =>
  (_req, _body, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ choices: [{ message: { role: "assistant", content } }] }));
  };
const status =
  (code: number): Handler =>
  (_req, _body, res) => {
    res.writeHead(code);
    res.end(`error ${code}`);
  };
const malformed: Handler = (_req, _body, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end('{"choices": [ {"message": ');
};
const slow =
  (ms: number, then: Handler): Handler =>
  (req, body, res) => {
    setTimeout(() => then(req, body, res), ms);
  };
const yes = reply("Both name the same city.\n[[YES]]");

let server: Server;
let base: string;
let script: Handler[] = [];
let fallback: Handler = yes;
let seen: {
  url: string;
  auth: string | undefined;
  body: { model: string; messages: { content: string }[] };
}[] = [];
let active = 0;
let maxActive = 0;
let cacheDir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      seen.push({ url: req.url ?? "", auth: req.headers.authorization, body: JSON.parse(body) });
      active++;
      maxActive = Math.max(maxActive, active);
      res.on("close", () => active--);
      (script.shift() ?? fallback)(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  script = [];
  fallback = yes;
  seen = [];
  active = 0;
  maxActive = 0;
  cacheDir = await mkdtemp(join(tmpdir(), "qlx-judge-"));
});

afterEach(async () => {
  server.closeAllConnections();
  await rm(cacheDir, { recursive: true, force: true });
});

const query = { question: "Capital of France?", predicted: "Paris, France", gold: "Paris" };

function client(options: Partial<JudgeClientOptions> = {}, sleeps: number[] = []): JudgeClient {
  return new JudgeClient({
    endpoint: base,
    model: "judge-model",
    timeoutMs: 5000,
    maxRetries: 2,
    backoffBaseMs: 4,
    backoffMaxMs: 10,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
}

describe("judge client", () => {
  it("posts the rendered prompt with the model and the bearer token from the named env var", async () => {
    const judge = client({
      apiKeyEnv: "QLX_TEST_JUDGE_KEY",
      env: { QLX_TEST_JUDGE_KEY: "sk-test" },
    });
    expect(await judge.judge(query)).toEqual({
      ok: true,
      equivalent: true,
      cached: false,
      attempts: 1,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe("/v1/chat/completions");
    expect(seen[0]!.auth).toBe("Bearer sk-test");
    expect(seen[0]!.body.model).toBe("judge-model");
    expect(seen[0]!.body.messages[0]!.content).toBe(renderPrompt(EQUIVALENCE_PROMPT, query));
    expect(() => client({ apiKeyEnv: "QLX_UNSET_KEY", env: {} })).toThrow(/QLX_UNSET_KEY/);
    await client({ apiKey: "literal-key" }).judge({ ...query, predicted: "P" });
    expect(seen[1]!.auth).toBe("Bearer literal-key");
    expect(chatCompletionsUrl("https://h/v1/chat/completions/")).toBe(
      "https://h/v1/chat/completions",
    );
  });

  it("retries 500s with seeded exponential backoff and jitter", async () => {
    script = [status(500), status(503)];
    const sleeps: number[] = [];
    const judge = client({ seed: 7 }, sleeps);
    const result = await judge.judge(query);
    expect(result).toEqual({ ok: true, equivalent: true, cached: false, attempts: 3 });
    expect(judge.stats).toMatchObject({ requests: 3, retries: 2, verdicts: 1 });
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2);
    expect(sleeps[0]).toBeLessThan(4);
    expect(sleeps[1]).toBeGreaterThanOrEqual(4);
    expect(sleeps[1]).toBeLessThan(8);
    // Same seed, same delays; another seed, other delays.
    const again = client({ seed: 7 });
    const other = client({ seed: 8 });
    const key = "k";
    expect([0, 1, 5].map((a) => again.backoffMs(key, a))).toEqual(
      [0, 1, 5].map((a) => judge.backoffMs(key, a)),
    );
    expect(other.backoffMs(key, 0)).not.toBe(judge.backoffMs(key, 0));
    expect(judge.backoffMs(key, 5)).toBeLessThanOrEqual(10);
  });

  it("honours Retry-After up to the backoff cap", async () => {
    script = [
      (_req, _body, res) => {
        res.writeHead(429, { "retry-after": "1" });
        res.end("slow down");
      },
    ];
    const sleeps: number[] = [];
    expect(await client({}, sleeps).judge(query)).toMatchObject({ ok: true, attempts: 2 });
    expect(sleeps).toEqual([10]);
  });

  it("gives up after the retries and records the failure", async () => {
    fallback = status(500);
    const judge = client();
    const result = await judge.judge(query);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.failure).toMatchObject({ reason: "http_error", attempts: 3 });
    expect(!result.ok && result.failure.detail).toMatch(/HTTP 500/);
    expect(judge.stats.failures.http_error).toBe(1);
  });

  it("does not retry a client error", async () => {
    script = [status(400)];
    const judge = client();
    const result = await judge.judge(query);
    expect(!result.ok && result.failure).toMatchObject({ reason: "http_error", attempts: 1 });
    expect(seen).toHaveLength(1);
  });

  it("times out slow replies per attempt, and accepts slow ones within the timeout", async () => {
    fallback = slow(150, yes);
    const impatient = client({ timeoutMs: 30, maxRetries: 1 });
    const result = await impatient.judge(query);
    expect(!result.ok && result.failure).toMatchObject({ reason: "timeout", attempts: 2 });
    const patient = client();
    expect(await patient.judge({ ...query, predicted: "Paris" })).toMatchObject({
      ok: true,
      attempts: 1,
    });
  });

  it("retries malformed JSON, and fails when it persists", async () => {
    script = [malformed];
    expect(await client().judge(query)).toMatchObject({ ok: true, attempts: 2 });
    fallback = malformed;
    const result = await client().judge({ ...query, predicted: "Lutetia" });
    expect(!result.ok && result.failure).toMatchObject({
      reason: "malformed_response",
      attempts: 3,
    });
  });

  it("fails a reply with no verdict without retrying or caching it", async () => {
    script = [reply("I cannot decide.")];
    const judge = client({ cacheDir });
    const result = await judge.judge(query);
    expect(!result.ok && result.failure).toMatchObject({ reason: "no_verdict", attempts: 1 });
    expect(await judge.judge(query)).toMatchObject({ ok: true, cached: false });
  });

  it("reports a refused connection as a network error", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await client({ endpoint: `http://127.0.0.1:${port}/v1`, maxRetries: 1 }).judge(
      query,
    );
    expect(!result.ok && result.failure).toMatchObject({ reason: "network_error", attempts: 2 });
  });

  it("answers a second run from the on-disk cache without any request", async () => {
    script = [reply("[[NO]]")];
    const first = client({ cacheDir });
    const other = { ...query, predicted: "Lyon" };
    expect(await first.judge(query)).toMatchObject({ ok: true, equivalent: false, cached: false });
    expect(await first.judge(other)).toMatchObject({ ok: true, equivalent: true, cached: false });
    expect(seen).toHaveLength(2);
    const second = client({ cacheDir });
    expect(await second.judge(query)).toEqual({
      ok: true,
      equivalent: false,
      cached: true,
      attempts: 0,
    });
    expect(await second.judge(other)).toMatchObject({ ok: true, equivalent: true, cached: true });
    expect(seen).toHaveLength(2);
    expect(second.stats).toMatchObject({ requests: 0, cacheHits: 2 });
    // Another model is another key.
    expect(await client({ cacheDir, model: "other" }).judge(query)).toMatchObject({
      cached: false,
    });
  });

  it("stops at the request budget, retries included", async () => {
    script = [status(500)];
    const judge = client({ budget: 3 });
    expect(await judge.judge({ ...query, predicted: "a" })).toMatchObject({
      ok: true,
      attempts: 2,
    });
    expect(await judge.judge({ ...query, predicted: "b" })).toMatchObject({
      ok: true,
      attempts: 1,
    });
    const spent = await judge.judge({ ...query, predicted: "c" });
    expect(!spent.ok && spent.failure).toMatchObject({ reason: "budget_exhausted", attempts: 0 });
    expect(judge.budgetLeft).toBe(0);
    expect(seen).toHaveLength(3);
  });

  it("bounds concurrency and shares identical queries in flight", async () => {
    fallback = slow(50, yes);
    const judge = client({ concurrency: 2 });
    const queries = Array.from({ length: 6 }, (_, k) => ({ ...query, predicted: `answer ${k}` }));
    const results = await Promise.all([...queries, queries[0]!].map((q) => judge.judge(q)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(seen).toHaveLength(6);
    expect(maxActive).toBe(2);
  });

  it("makes a failed judging a failed sample in the hybrid reward and the metrics", async () => {
    fallback = status(502);
    const reward = buildReward(HYBRID_REWARD, { judge: client({ maxRetries: 1 }) });
    const record: TaskRecord = {
      task: "reading",
      id: "r",
      question: "Capital?",
      answer: "Paris",
      documents: [],
    };
    const outcomes = [
      await reward.score("Answer: Paris", record),
      await reward.score("Answer: Lutetia", record),
    ];
    expect(outcomes[1]).toMatchObject({
      ok: false,
      failure: { reason: "http_error", attempts: 2 },
    });
    expect(summarize(outcomes)).toMatchObject({ n: 2, scored: 1, failed: 1, mean: 1 });
  });
});
