import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cacheKey, JudgeCache } from "../../../runtime/judge/cache.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "qlx-judge-cache-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const parts = { model: "m", prompt: "p", temperature: 0, maxTokens: 64 };

describe("judge cache", () => {
  it("keys by model, prompt and sampling settings", () => {
    const key = cacheKey(parts);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey({ ...parts })).toBe(key);
    for (const change of [
      { model: "n" },
      { prompt: "q" },
      { temperature: 0.7 },
      { maxTokens: 65 },
    ]) {
      expect(cacheKey({ ...parts, ...change })).not.toBe(key);
    }
  });

  it("stores verdicts in sharded files and reads them back", async () => {
    const cache = new JudgeCache(dir);
    const key = cacheKey(parts);
    expect(await cache.get(key)).toBeUndefined();
    await cache.put(key, { model: "m", equivalent: true, reply: "[[YES]]" });
    expect(await cache.get(key)).toEqual({ model: "m", equivalent: true, reply: "[[YES]]" });
    expect(await readdir(join(dir, key.slice(0, 2)))).toEqual([`${key}.json`]);
  });

  it("names a corrupt entry's file", async () => {
    const key = cacheKey(parts);
    await mkdir(join(dir, key.slice(0, 2)));
    await writeFile(join(dir, key.slice(0, 2), `${key}.json`), "{trunc");
    await expect(new JudgeCache(dir).get(key)).rejects.toThrow(`${key}.json is not JSON`);
    await writeFile(join(dir, key.slice(0, 2), `${key}.json`), '{"model":"m"}');
    await expect(new JudgeCache(dir).get(key)).rejects.toThrow(/is not a cached verdict/);
  });
});
