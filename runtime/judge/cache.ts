// The judge's on-disk cache. A verdict depends on the model and the exact prompt it was shown
// (and the sampling settings), so the key is sha256 over those; the endpoint URL is left out
// on purpose: the same model behind a moved gateway or another provider's mirror gives the
// same verdict, and a cache that survives a URL change saves a paid re-run. Only verdicts are
// stored, never failures, so a failed sample is asked again on the next run.
// Layout: <dir>/<key[0..2]>/<key>.json, each written atomically.

import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeAtomically } from "../io/atomic.ts";

const CACHE_VERSION = "qlx-judge-cache-v1";

export interface CacheKeyParts {
  readonly model: string;
  readonly prompt: string;
  readonly temperature: number;
  readonly maxTokens: number;
}

export interface CachedVerdict {
  readonly model: string;
  readonly equivalent: boolean;
  /** The judge's whole reply, kept for audits of surprising verdicts. */
  readonly reply: string;
}

export function cacheKey(parts: CacheKeyParts): string {
  return createHash("sha256")
    .update(
      JSON.stringify([
        CACHE_VERSION,
        parts.model,
        parts.prompt,
        parts.temperature,
        parts.maxTokens,
      ]),
    )
    .digest("hex");
}

export class JudgeCache {
  constructor(readonly dir: string) {}

  private pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<CachedVerdict | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathOf(key), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    let entry: Partial<CachedVerdict>;
    try {
      entry = JSON.parse(text) as Partial<CachedVerdict>;
    } catch (error) {
      throw new Error(
        `judge cache: ${this.pathOf(key)} is not JSON (${(error as Error).message})`,
        {
          cause: error,
        },
      );
    }
    if (
      typeof entry.equivalent !== "boolean" ||
      typeof entry.reply !== "string" ||
      typeof entry.model !== "string"
    ) {
      throw new Error(
        `judge cache: ${this.pathOf(key)} is not a cached verdict (field \`equivalent\`, \`reply\` or \`model\`)`,
      );
    }
    return entry as CachedVerdict;
  }

  async put(key: string, verdict: CachedVerdict): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    await writeAtomically(path, (file) => file.write(JSON.stringify(verdict)));
  }
}
