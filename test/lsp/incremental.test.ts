// Diagnostics while typing: the server re-parses only the edited block and reuses the checks
// of the others (language/incremental.ts, compiler/block-cache.ts), and must still publish
// exactly what `qlx check` reports for each version's text, never an older version's result
// after a newer one's.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkFile, nodeHost } from "../../compiler/index.ts";
import { toLspDiagnostic } from "../../language/server/convert.ts";
import { LspClient, type Published } from "./client.ts";

const STAGES = Array.from(
  { length: 6 },
  (_, i) =>
    `    stage s${i}${i > 0 ? ` from s${i - 1}` : ""} {\n      input = ${8 + i}K\n      output = 4K\n      steps = 10\n    }`,
).join("\n");

const SOURCE = `experiment x {
  model policy { init = "Qwen/Qwen3-4B", context = 64K }
  tasks {
    qa { data = "qa.jsonl", reward = contains }
    mc { data = generate(kind = multiple_choice), reward = choice_accuracy }
  }
  batch = 16
  schedule {
${STAGES}
  }
}
`;

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start();
});
afterAll(async () => {
  await client.stop();
});

/** What the server must publish for `text`: `qlx check` of it, as LSP diagnostics. */
function expected(name: string, text: string) {
  const path = join(client.dir, name);
  const host = {
    readFile: (p: string) => (p === path ? text : nodeHost.readFile(p)),
    exists: (p: string) => p === path || nodeHost.exists(p),
  };
  return checkFile(path, { host })
    .diagnostics.filter((d) => d.span.file === path)
    .map(toLspDiagnostic);
}

/** Each prefix of `typed` inserted at `at`, one keystroke after another. */
function keystrokes(text: string, at: number, typed: string): string[] {
  return Array.from(
    { length: typed.length },
    (_, i) => text.slice(0, at) + typed.slice(0, i + 1) + text.slice(at),
  );
}

describe("diagnostics while typing", () => {
  it("publishes what qlx check reports after every keystroke, broken states included", async () => {
    const name = "typing.qlx";
    expect((await client.open(name, SOURCE)).map((d) => d.code)).toEqual(
      expected(name, SOURCE).map((d) => d.code),
    );
    const stepsAt = SOURCE.indexOf("steps = 10", SOURCE.indexOf("stage s2")) + "steps = ".length;
    const texts = [
      // A value retyped digit by digit: `steps = ` alone does not parse.
      SOURCE.slice(0, stepsAt) + SOURCE.slice(stepsAt + 2),
      ...keystrokes(SOURCE.slice(0, stepsAt) + SOURCE.slice(stepsAt + 2), stepsAt, "250"),
      // A new field typed on a new line, moving every later stage.
      ...keystrokes(SOURCE, stepsAt + 2, "\n      model = poli"),
      // A stage's `}` deleted and put back: the parse cannot stay inside one block.
      SOURCE.replace("    }\n    stage s4", "\n    stage s4"),
      SOURCE,
      // An undeclared name, then fixed.
      SOURCE.replace("from s3", "from s9"),
      SOURCE,
    ];
    for (const text of texts) {
      const version = await client.change(name, text);
      const published = await client.nextPublished(client.uri(name));
      expect(published.version).toBe(version);
      expect(published.diagnostics).toEqual(expected(name, text));
    }
  });

  it("moves the diagnostics of later stages while typing changes an earlier line's length", async () => {
    const name = "moving.qlx";
    const broken = SOURCE.replace("from s4", "from s9").replace(
      "steps = 10\n    }\n  }",
      "steps = 0\n    }\n  }",
    );
    expect(expected(name, broken).length).toBeGreaterThan(0);
    await client.open(name, broken);
    const at = broken.indexOf("steps = 10", broken.indexOf("stage s1")) + "steps = 1".length;
    const typed = keystrokes(broken, at, "0000");
    // Typed, then deleted again one character at a time.
    for (const text of [...typed, ...typed.slice(0, -1).reverse(), broken]) {
      const version = await client.change(name, text);
      const published = await client.nextPublished(client.uri(name));
      expect(published.version).toBe(version);
      expect(published.diagnostics).toEqual(expected(name, text));
    }
  });

  it("ends a burst of edits with the last version's diagnostics, never an older one after it", async () => {
    const name = "burst.qlx";
    await client.open(name, SOURCE);
    const at = SOURCE.indexOf("batch = 16") + "batch = ".length;
    const texts = keystrokes(SOURCE, at, "0123");
    let last = 0;
    for (const text of texts) last = await client.change(name, text);
    const seen: Published[] = [];
    while (seen.at(-1)?.version !== last) seen.push(await client.nextPublished(client.uri(name)));
    const versions = seen.map((p) => p.version ?? 0);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(seen.at(-1)!.diagnostics).toEqual(expected(name, texts.at(-1)!));
  });
});
