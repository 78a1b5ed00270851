import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeAtomic, writeFileAtomic } from "../../../runtime/io/atomic.ts";

describe("atomic writes", () => {
  it("replaces the target and leaves no temp file", () => {
    const dir = mkdtempSync(join(tmpdir(), "qlx-atomic-"));
    const target = join(dir, "a.json");
    writeAtomic(target, "one");
    writeAtomic(target, "two");
    expect(readFileSync(target, "utf8")).toBe("two");
    expect(readdirSync(dir)).toEqual(["a.json"]);
  });
  it("keeps the old file when the writer fails midway", () => {
    const dir = mkdtempSync(join(tmpdir(), "qlx-atomic-"));
    const target = join(dir, "data.jsonl");
    writeFileSync(target, "old\n");
    expect(() =>
      writeFileAtomic(target, (emit) => {
        emit("new row 1\n");
        throw new Error("bad row 2");
      }),
    ).toThrow("bad row 2");
    expect(readFileSync(target, "utf8")).toBe("old\n");
    expect(readdirSync(dir)).toEqual(["data.jsonl"]);
  });
});
