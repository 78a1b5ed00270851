// IR snapshots of the examples, byte-identical recompiles, and the derived numbers of the
// recipe checked by hand against the paper's settings.
import * as nodePath from "node:path";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../compiler/index.ts";
import { emitIrJson } from "../../compiler/emit/ir-json.ts";
import { IrDocument, type ExperimentIr } from "../../compiler/ir/schema.ts";
import { expectGolden, REPO_ROOT } from "../helpers/golden.ts";

const example = (p: string) => nodePath.join(REPO_ROOT, "examples", p);

const SNAPSHOTS: readonly { file: string; profile?: string; golden: string }[] = [
  { file: "qwenlong-l1.5/recipe.qlx", golden: "recipe" },
  { file: "qwenlong-l1.5/recipe.qlx", profile: "tiny", golden: "recipe.tiny" },
  { file: "ablations/table2.qlx", profile: "tiny", golden: "table2.tiny" },
  { file: "ablations/table4.qlx", profile: "tiny", golden: "table4.tiny" },
  { file: "ablations/table5.qlx", profile: "tiny", golden: "table5.tiny" },
  { file: "ablations/table10.qlx", golden: "table10" },
];

function compileJson(file: string, profile?: string): string {
  const result = compileFile(example(file), profile === undefined ? {} : { profile });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return emitIrJson(result.ir as IrDocument);
}

describe("IR", () => {
  it.each(SNAPSHOTS)("snapshot $golden", ({ file, profile, golden }) => {
    const json = compileJson(file, profile);
    expect(() => IrDocument.parse(JSON.parse(json))).not.toThrow();
    expectGolden(nodePath.join(REPO_ROOT, "test/fixtures/ir", `${golden}.ir.json`), json);
  });

  it("is byte-identical when compiled twice", () => {
    expect(compileJson("ablations/table4.qlx", "tiny")).toBe(
      compileJson("ablations/table4.qlx", "tiny"),
    );
  });

  it("resolves the recipe's defaults and derived numbers", () => {
    const ir = JSON.parse(compileJson("qwenlong-l1.5/recipe.qlx")) as ExperimentIr;
    const s1 = ir.schedule[0];
    if (s1.kind !== "stage") throw new Error("first node is not a stage");
    expect([s1.input, s1.output]).toEqual([20 * 1024, 12 * 1024]);
    expect(s1.derived.responses_per_step).toBe(128 * 8);
    expect(s1.derived.max_tokens_per_step).toBe(128 * 8 * 32 * 1024);
    const node = <K extends string>(kind: K) =>
      s1.nodes.find((n) => n.kind === kind) as Extract<(typeof s1.nodes)[number], { kind: K }>;
    expect(node("advantage")).toMatchObject({ op: "grpo", std: "task_batch", eps: 1e-6 });
    expect(node("sampler")).toMatchObject({ op: "task_balanced", share: 25, remainder: 3 });
    expect(node("loss")).toMatchObject({
      aggregate: "token_mean",
      kl_coef: 0,
      updates_per_batch: 1,
      clip_low: 0.2,
    });
    expect(node("control")).toMatchObject({ op: "aepo", low: 0.3, high: 0.5 });
    const s2 = ir.schedule[1];
    expect(s2.kind === "stage" && s2.nodes[0]).toMatchObject({
      retrospective: { from_stage: "s1", pass_rate: { op: "<", value: 0.5 } },
    });
    expect(ir.schedule.map((n) => `${n.kind}:${n.name}`)).toEqual([
      "stage:s1",
      "stage:s2",
      "stage:s3",
      "stage:memory_expert",
      "merge:fused",
      "stage:s4",
    ]);
    expect(ir.schedule[5]).toMatchObject({ from: "fused", model: "policy" });
    expect(ir.judge?.prompt.source).toBe("std.prompts.equivalence");
  });

  it("applies the tiny profile's overrides", () => {
    const ir = JSON.parse(compileJson("qwenlong-l1.5/recipe.qlx", "tiny")) as ExperimentIr;
    expect(ir.models[0].init).toEqual({
      kind: "tiny",
      layers: 2,
      dim: 128,
      heads: 4,
      vocab: 260,
      seed: 0,
    });
    expect(
      ir.schedule.filter((n) => n.kind === "stage").map((n) => n.kind === "stage" && n.steps),
    ).toEqual([150, 150, 150, 50, 50]);
    expect(ir.tasks[1].data).toMatchObject({ kind: "generate", generator: "multihop", hops: 2 });
    expect(ir.judge).toBeNull(); // the tiny profile's rewards are rule-based: no endpoint needed
  });

  it("expands an ablation into one graph per row, rows overriding the base", () => {
    const ir = JSON.parse(compileJson("ablations/table2.qlx", "tiny")) as Extract<
      IrDocument,
      { kind: "ablation" }
    >;
    expect(ir.rows.map((r) => r.name)).toEqual([
      "Qwen3-4B-Thinking-2507",
      "+ GRPO",
      "+ Task-balanced sampling",
      "+ Task-balanced sampling + Batch-std",
      "+ Task-balanced sampling + Task-batch-std",
    ]);
    expect(ir.rows[0].graph.train).toBe(false);
    expect(ir.rows[0].graph.schedule).toEqual([]);
    const std = ir.rows.slice(1).map((r) => {
      const stage = r.graph.schedule[0];
      return stage.kind === "stage" ? stage.nodes.find((n) => n.kind === "advantage") : undefined;
    });
    expect(std.map((a) => a !== undefined && "std" in a && a.std)).toEqual([
      "group",
      "group",
      "batch",
      "task_batch",
    ]);
    expect(ir.rows[1].seeds).toEqual([11, 12, 13]);
    expect(ir.columns).toEqual(["docmath", "lbv2", "frames", "mrcr", "corpusqa", "lbv1_qa", "avg"]);
  });
});
