// Every language-server feature over stdio against `qlx lsp`, cursors placed with `<|>`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  CodeAction,
  CodeLens,
  CompletionItem,
  Diagnostic,
  DocumentSymbol,
  FoldingRange,
  Hover,
  Location,
  SignatureHelp,
  TextEdit,
  WorkspaceEdit,
} from "vscode-languageserver";
import { join } from "node:path";
import { checkFile } from "../../compiler/index.ts";
import { LspClient, marked } from "./client.ts";

const PRELUDE = `  model policy { init = "Qwen/Qwen3-4B", context = 64K }
  tasks {
    qa { data = generate(kind = reading), reward = contains }
    mc { data = generate(kind = multiple_choice), reward = choice_accuracy }
  }
  optimizer = adamw(lr = 1e-6)`;

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start();
});
afterAll(async () => {
  await client.stop();
});

const hoverText = (h: Hover | null) => (h === null ? "" : (h.contents as { value: string }).value);
const labels = (items: CompletionItem[]) => items.map((i) => i.label);

/** Applies edits of one document (non-overlapping) to its text. */
function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split("\n");
  const offset = (p: { line: number; character: number }) =>
    lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return [...edits]
    .sort((a, b) => offset(b.range.start) - offset(a.range.start))
    .reduce(
      (t, e) => t.slice(0, offset(e.range.start)) + e.newText + t.slice(offset(e.range.end)),
      text,
    );
}

describe("diagnostics", () => {
  it("publishes the codes and spans of qlx check, help included", async () => {
    const text = `experiment x {\n${PRELUDE}\n  sead = 0\n  control = aepo(low = 0.5, high = 0.3)\n  schedule { stage s1 { input = 8K, output = 4K, steps = 10 } }\n}\n`;
    const published = await client.open("diag.qlx", text);
    const expected = checkFile(join(client.dir, "diag.qlx")).diagnostics;
    expect(
      published.map((d) => [d.code, d.range.start.line + 1, d.range.start.character + 1]),
    ).toEqual(expected.map((d) => [d.code, d.span.line, d.span.column]));
    expect(published.map((d) => d.code)).toContain("QLX5009");
    const withHelp = expected.find((d) => d.help !== undefined)!;
    expect(published.find((d) => d.code === withHelp.code)?.message).toContain(
      `help: ${withHelp.help}`,
    );
  });

  it("re-checks a file when a file it uses changes", async () => {
    await client.open(
      "base.qlx",
      `experiment base {\n${PRELUDE}\n  schedule { stage s1 { input = 8K, output = 4K, steps = 10 } }\n}\n`,
    );
    const clean = await client.open(
      "table.qlx",
      `use "base.qlx"\nablation t of base {\n  rows { "a" { batch = 16 } }\n  seeds = 3\n}\n`,
    );
    expect(clean).toEqual([]);
    const pending = client.nextDiagnostics(client.uri("table.qlx"));
    await client.change(
      "base.qlx",
      `experiment renamed {\n${PRELUDE}\n  schedule { stage s1 { input = 8K, output = 4K, steps = 10 } }\n}\n`,
    );
    const after = await pending;
    expect(after.map((d) => d.code)).toEqual(["QLX2011"]);
  });
});

const RECIPE = marked(`experiment x {
${PRELUDE}
  control = ae<|>po(low = 0.3, high = 0.5)
  batch<|> = 16
  advantage = grpo(st<|>d = task_batch)
  schedule {
    stage s1 { input = 2<|>0K, output = 4K, steps = 10 }
    stage s2 from s<|>1 { input = 8K, output = 4K, steps = 10 }
    merge fused = sce(models = [s1, s2], base = s2)
  }
  profile tiny { schedule { s1.steps = 2 } }
}
`);

describe("hover", () => {
  beforeAll(async () => {
    await client.open("recipe.qlx", RECIPE.text);
  });

  it("shows a built-in's signature, doc and paper equation", async () => {
    const text = hoverText(
      await client.request("textDocument/hover", "recipe.qlx", RECIPE.cursors[0]),
    );
    expect(text).toContain("aepo(low: number (required), high: number (required))");
    expect(text).toContain("Adaptive Entropy-controlled Policy Optimization");
    expect(text).toContain("Eq. 11");
  });

  it("shows a field's type, default and range", async () => {
    const text = hoverText(
      await client.request("textDocument/hover", "recipe.qlx", RECIPE.cursors[1]),
    );
    expect(text).toContain("batch: integer = 128");
    expect(text).toContain("*Range:* ≥ 1");
  });

  it("shows a parameter with its enum values and owner", async () => {
    const text = hoverText(
      await client.request("textDocument/hover", "recipe.qlx", RECIPE.cursors[2]),
    );
    expect(text).toContain("(parameter of grpo) std: group | batch | task_batch | none = group");
  });

  it("shows a token count in tokens", async () => {
    const text = hoverText(
      await client.request("textDocument/hover", "recipe.qlx", RECIPE.cursors[3]),
    );
    expect(text).toBe("`20K` = 20,480 tokens");
  });

  it("shows a standard-library prompt with its text", async () => {
    const { text, cursors } = marked(
      `experiment x {\n  judge { prompt = std.prompts.equiv<|>alence }\n}\n`,
    );
    await client.open("std.qlx", text);
    const shown = hoverText(await client.request("textDocument/hover", "std.qlx", cursors[0]));
    expect(shown).toContain("(prompt) std.prompts.equivalence");
    expect(shown).toContain("the paper's Table 6");
    expect(shown).toContain("[[YES]] or [[NO]]");
  });

  it("shows a reference's definition", async () => {
    const text = hoverText(
      await client.request("textDocument/hover", "recipe.qlx", RECIPE.cursors[4]),
    );
    expect(text).toContain("(stage) stage s1 { input = 20K, output = 4K, steps = 10 }");
  });
});

describe("completion", () => {
  const at = async (source: string): Promise<string[]> => {
    const { text, cursors } = marked(source);
    await client.open("complete.qlx", text);
    return labels(await client.request("textDocument/completion", "complete.qlx", cursors[0]));
  };

  it("offers enum values after `std = ` in a file that does not parse", async () => {
    const got = await at(
      `experiment x {\n${PRELUDE}\n  advantage = grpo(std = <|>\n  batch = \n}\n`,
    );
    expect(got).toEqual(["group", "batch", "task_batch", "none"]);
  });

  it("offers unused parameter names inside a call", async () => {
    const got = await at(`experiment x {\n  advantage = grpo(std = batch, <|>)\n}\n`);
    expect(got).toEqual(["baseline", "eps"]);
  });

  it("offers functions of the field's category with parameter snippets", async () => {
    const { text, cursors } = marked(`experiment x {\n  control = <|>\n}\n`);
    await client.open("complete.qlx", text);
    const items = await client.request<CompletionItem[]>(
      "textDocument/completion",
      "complete.qlx",
      cursors[0],
    );
    expect(labels(items)).toContain("aepo");
    expect(items.find((i) => i.label === "aepo")?.insertText).toBe("aepo(low = ${1}, high = ${2})");
  });

  it("offers the blocks and fields valid in the enclosing block", async () => {
    const top = await at(`<|>`);
    expect(top).toEqual(expect.arrayContaining(["experiment", "ablation", "use"]));
    const inSchedule = await at(`experiment x {\n  schedule {\n    <|>\n  }\n}\n`);
    expect(inSchedule).toEqual(["stage", "merge"]);
    const inStage = await at(`experiment x {\n  schedule {\n    stage s1 {\n      <|>\n`);
    expect(inStage).toEqual(expect.arrayContaining(["input", "output", "steps", "retrospective"]));
    expect(inStage).not.toContain("batch");
  });

  it("offers names of stages and merges in scope for stage references", async () => {
    const got = await at(
      `experiment x {\n  schedule {\n    stage s1 { steps = 1 }\n    merge m = sce(models = [s1], base = <|>)\n  }\n}\n`,
    );
    expect(got).toEqual(["s1", "m"]);
  });

  it("offers task names in a sampler's task list", async () => {
    const got = await at(
      `experiment x {\n${PRELUDE}\n  sampler = task_balanced(over = [<|>])\n}\n`,
    );
    expect(got).toEqual(expect.arrayContaining(["qa", "mc"]));
  });
});

describe("navigation and rename", () => {
  it("goes to the definition of a stage, across files", async () => {
    await client.open(
      "common.qlx",
      `experiment shared {\n${PRELUDE}\n  schedule { stage s1 { input = 8K, output = 4K, steps = 10 } }\n}\n`,
    );
    const { text, cursors } = marked(
      `use "common.qlx"\nablation t of sha<|>red {\n  rows { "a" { } }\n}\n`,
    );
    await client.open("user.qlx", text);
    const defs = await client.request<Location[]>(
      "textDocument/definition",
      "user.qlx",
      cursors[0],
    );
    expect(defs).toEqual([
      {
        uri: client.uri("common.qlx"),
        range: { start: { line: 0, character: 11 }, end: { line: 0, character: 17 } },
      },
    ]);
  });

  it("finds references of a stage and renames them, leaving look-alike enum values alone", async () => {
    const { text, cursors } = marked(`experiment x {
  tasks { reading { data = generate(kind = reading), reward = contains } }
  sampler = task_balanced(over = [rea<|>ding])
  schedule {
    stage s<|>1 { input = 8K, output = 4K, steps = 10 }
    stage s2 from s1 { steps = 1 }
    merge fused = sce(models = [s1, s2], base = s1)
  }
  profile tiny { schedule { s1.steps = 2 } }
}
`);
    await client.open("refs.qlx", text);
    const refs = await client.request<Location[]>(
      "textDocument/references",
      "refs.qlx",
      cursors[1],
      {
        context: { includeDeclaration: true },
      },
    );
    expect(refs.map((r) => r.range.start.line + 1)).toEqual([5, 6, 7, 7, 9]);
    const edit = await client.request<WorkspaceEdit>(
      "textDocument/rename",
      "refs.qlx",
      cursors[1],
      { newName: "warm" },
    );
    const renamed = applyEdits(text, edit.changes![client.uri("refs.qlx")]!);
    expect(renamed).toContain("stage s2 from warm {");
    expect(renamed).toContain("models = [warm, s2], base = warm");
    expect(renamed).toContain("warm.steps = 2");

    const taskEdit = await client.request<WorkspaceEdit>(
      "textDocument/rename",
      "refs.qlx",
      cursors[0],
      { newName: "docs" },
    );
    const tasks = applyEdits(text, taskEdit.changes![client.uri("refs.qlx")]!);
    expect(tasks).toContain("docs { data = generate(kind = reading)");
    expect(tasks).toContain("over = [docs]");
  });

  it("renames a model across a file that uses it", async () => {
    await client.open(
      "m-base.qlx",
      `experiment mb {\n  model policy { init = "Qwen/Qwen3-4B", context = 64K }\n}\n`,
    );
    const { text, cursors } = marked(
      `use "m-base.qlx"\nablation t of m<|>b {\n  rows { "a" { } }\n}\n`,
    );
    await client.open("m-user.qlx", text);
    const edit = await client.request<WorkspaceEdit>(
      "textDocument/rename",
      "m-user.qlx",
      cursors[0],
      { newName: "base2" },
    );
    expect(Object.keys(edit.changes!).sort()).toEqual(
      [client.uri("m-base.qlx"), client.uri("m-user.qlx")].sort(),
    );
  });
});

describe("outline, folding, semantic tokens", () => {
  it("lists experiments, stages and merges as a tree", async () => {
    await client.open("recipe.qlx", RECIPE.text);
    const symbols = await client.request<DocumentSymbol[]>(
      "textDocument/documentSymbol",
      "recipe.qlx",
    );
    const names = (s: DocumentSymbol): unknown =>
      s.children?.length ? [s.name, s.children.map(names)] : s.name;
    expect(symbols.map(names)).toEqual([
      [
        "experiment x",
        [
          "model policy",
          ["tasks", ["qa", "mc"]],
          ["schedule", ["stage s1", "stage s2", "merge fused"]],
          ["profile tiny", ["schedule"]],
        ],
      ],
    ]);
  });

  it("folds multi-line blocks", async () => {
    const folds = await client.request<FoldingRange[]>("textDocument/foldingRange", "recipe.qlx");
    expect(folds).toEqual([
      { startLine: 0, endLine: 16 },
      { startLine: 2, endLine: 5 },
      { startLine: 10, endLine: 14 },
    ]);
  });

  it("classifies built-ins, declarations and references", async () => {
    const { data } = await client.request<{ data: number[] }>(
      "textDocument/semanticTokens/full",
      "recipe.qlx",
    );
    // Decoded with the legend the server advertised, as an editor decodes them.
    const legend = client.initialized.capabilities.semanticTokensProvider!.legend.tokenTypes;
    const lines = RECIPE.text.split("\n");
    const found = new Map<string, string>();
    let line = 0;
    let char = 0;
    for (let i = 0; i < data.length; i += 5) {
      line += data[i]!;
      char = data[i] === 0 ? char + data[i + 1]! : data[i + 1]!;
      found.set(lines[line]!.slice(char, char + data[i + 2]!), legend[data[i + 3]!]!);
    }
    expect(found.get("aepo")).toBe("function");
    expect(found.get("task_batch")).toBe("enumMember");
    expect(found.get("fused")).toBe("class");
    expect(found.get("batch")).toBe("property");
    expect(found.get("20K")).toBe("number");
  });
});

describe("code lenses", () => {
  it("offers check, compile and tiny runs above experiments and stages", async () => {
    await client.open("recipe.qlx", RECIPE.text);
    const lenses = await client.request<CodeLens[]>("textDocument/codeLens", "recipe.qlx");
    expect(
      lenses.map((l) => [
        l.range.start.line,
        l.command?.command,
        ...(l.command?.arguments ?? []).slice(1),
      ]),
    ).toEqual([
      [0, "qlx.check"],
      [0, "qlx.compile", "x"],
      [0, "qlx.compileVerl", "x"],
      [0, "qlx.runTiny", "x"],
      [11, "qlx.runTiny", "x", "s1"],
      [12, "qlx.runTiny", "x", "s2"],
    ]);
  });
});

describe("formatting, signature help, code actions", () => {
  it("formats the whole document and a range like qlx fmt", async () => {
    const text = `experiment x {\nseed=7\n    batch =   16\n}\n`;
    await client.open("fmt.qlx", text);
    const edits = await client.request<TextEdit[]>(
      "textDocument/formatting",
      "fmt.qlx",
      undefined,
      { options: { tabSize: 2, insertSpaces: true } },
    );
    expect(applyEdits(text, edits)).toBe("experiment x {\n  seed = 7\n  batch = 16\n}\n");
    const range = { start: { line: 2, character: 0 }, end: { line: 2, character: 5 } };
    const ranged = await client.request<TextEdit[]>(
      "textDocument/rangeFormatting",
      "fmt.qlx",
      undefined,
      { range, options: { tabSize: 2, insertSpaces: true } },
    );
    expect(applyEdits(text, ranged)).toBe("experiment x {\n  seed = 7\n  batch = 16\n}\n");
  });

  it("refuses to format a file with syntax errors", async () => {
    await client.open("fmt.qlx", `experiment x {\n seed = \n`);
    expect(
      await client.request("textDocument/formatting", "fmt.qlx", undefined, {
        options: { tabSize: 2, insertSpaces: true },
      }),
    ).toEqual([]);
  });

  it("shows the signature with the active parameter", async () => {
    const { text, cursors } = marked(
      `experiment x {\n  advantage = grpo(baseline = none, <|>)\n  control = aepo(low = 0.3, high = <|>\n}\n`,
    );
    await client.open("sig.qlx", text);
    const first = await client.request<SignatureHelp>(
      "textDocument/signatureHelp",
      "sig.qlx",
      cursors[0],
    );
    expect(first.signatures[0]!.label).toMatch(/^grpo\(baseline: /);
    expect(first.activeParameter).toBe(1);
    const second = await client.request<SignatureHelp>(
      "textDocument/signatureHelp",
      "sig.qlx",
      cursors[1],
    );
    expect(second.signatures[0]!.label).toBe(
      "aepo(low: number (required), high: number (required))",
    );
    expect(second.activeParameter).toBe(1);
  });

  const fixed = async (name: string, text: string, code: string): Promise<string> => {
    const diagnostics = await client.open(name, text);
    const d = diagnostics.filter((x) => x.code === code);
    expect(d).toHaveLength(1);
    const actions = await client.request<CodeAction[]>("textDocument/codeAction", name, undefined, {
      range: d[0]!.range,
      context: { diagnostics: d as Diagnostic[] },
    });
    expect(actions).toHaveLength(1);
    return applyEdits(text, actions[0]!.edit!.changes![client.uri(name)]!);
  };

  it("swaps reversed aepo bounds (QLX5009)", async () => {
    const text = `experiment x {\n${PRELUDE}\n  control = aepo(low = 0.5, high = 0.3)\n  schedule { stage s1 { input = 8K, output = 4K, steps = 10 } }\n}\n`;
    expect(await fixed("fix1.qlx", text, "QLX5009")).toContain("aepo(low = 0.3, high = 0.5)");
  });

  it("rounds a batch to a multiple of the task count (QLX5012)", async () => {
    const text = `experiment x {\n${PRELUDE}\n  sampler = task_balanced(over = tasks)\n  batch = 17\n  schedule { stage s1 { input = 8K, output = 4K, steps = 10 } }\n}\n`;
    expect(await fixed("fix2.qlx", text, "QLX5012")).toContain("batch = 16\n");
  });

  it("rounds a batch so that batch × group divides across workers (QLX5001)", async () => {
    const text = `experiment x {\n${PRELUDE}\n  rollout { group = 2 }\n  batch = 7\n  data_parallel = 4\n  schedule { stage s1 { input = 8K, output = 4K, steps = 10 } }\n}\n`;
    expect(await fixed("fix3.qlx", text, "QLX5001")).toContain("batch = 6\n");
  });

  it("applies the did-you-mean of a misspelled name", async () => {
    const text = `experiment x {\n${PRELUDE}\n  sead = 7\n  schedule { stage s1 { input = 8K, output = 4K, steps = 10 } }\n}\n`;
    expect(await fixed("fix4.qlx", text, "QLX2002")).toContain("  seed = 7\n");
  });
});
