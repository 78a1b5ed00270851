// Ultra-long evaluation sets (Table 9 in miniature): documents of exactly the drawn length,
// the record's context units kept in order inside filler, regenerated identically, and read
// back through the streaming chunker.
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  contextUnits,
  ULTRA_LONG_SETS,
  ultraLongTask,
  writeStretchedDocument,
  writeUltraLongSet,
} from "../../../runtime/agent/ultra-long.ts";
import { Rng } from "../../../runtime/rng.ts";

const dir = mkdtempSync(join(tmpdir(), "qlx-ultra-long-"));

/** Each unit found in `text` after the previous one; returns their start positions. */
function positions(text: string, units: readonly string[]): number[] {
  const out: number[] = [];
  let from = 0;
  for (const u of units) {
    const at = text.indexOf(u, from);
    expect(at, `unit ${JSON.stringify(u)} after ${from}`).toBeGreaterThanOrEqual(0);
    out.push(at);
    from = at + u.length;
  }
  return out;
}

describe("writeStretchedDocument", () => {
  it("writes exactly the asked tokens with the units in order, spread through the file", () => {
    const units = ["Alpha unit.\n\n", "Beta unit.\n\n", "Gamma unit.\n\n"];
    const path = join(dir, "stretched.txt");
    const written = writeStretchedDocument(path, units, 300_000, "natural", Rng.stream(4, "t"));
    expect(written).toBe(300_000);
    expect(statSync(path).size).toBe(300_000);
    const at = positions(readFileSync(path, "utf8"), units);
    // Spread, not clustered: the units are not all within the first or the last tenth.
    expect(Math.max(...at) - Math.min(...at)).toBeGreaterThan(30_000);
  });
});

describe("writeUltraLongSet", () => {
  it("stretches benchmark records to the set's lengths, deterministically", async () => {
    const spec = ULTRA_LONG_SETS.mrcr_128k_512k;
    const items = await writeUltraLongSet("mrcr_128k_512k", dir, {
      style: "tiny",
      count: 2,
      seed: 9,
    });
    expect(items).toHaveLength(2);
    for (const item of items) {
      expect(item.tokens).toBeGreaterThanOrEqual(spec.tokens.min);
      expect(item.tokens).toBeLessThanOrEqual(spec.tokens.max);
      expect(statSync(item.documentPath).size).toBe(item.tokens);
      expect(item.record.task).toBe("dialogue_memory");
      positions(readFileSync(item.documentPath, "utf8"), contextUnits(item.record));
    }
    const before = readFileSync(items[0]!.documentPath);
    const again = await writeUltraLongSet("mrcr_128k_512k", join(dir, "again"), {
      style: "tiny",
      count: 2,
      seed: 9,
    });
    expect(again.map((i) => i.tokens)).toEqual(items.map((i) => i.tokens));
    expect(readFileSync(again[0]!.documentPath).equals(before)).toBe(true);
  });

  it("streams an item's document into the agent's chunks", async () => {
    const [item] = await writeUltraLongSet("mrcr_128k_512k", dir, {
      style: "tiny",
      count: 1,
      seed: 9,
    });
    const task = ultraLongTask(item!, { chunk: 50_000, plan: true });
    const sizes: number[] = [];
    for await (const c of task.source.chunks()) sizes.push(c.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(item!.tokens);
    expect(sizes.slice(0, -1).every((n) => n === 50_000)).toBe(true);
    expect(task.template.style).toBe("tiny");
    expect(task.query.core).toBe(item!.record.question);
  });
});
