// Profiles and ablation grids, on small in-memory projects.
import { describe, expect, it } from "vitest";
import { compileFile, type SourceHost } from "../../compiler/index.ts";
import type { ExperimentIr, IrDocument } from "../../compiler/ir/schema.ts";

function host(files: Record<string, string>): SourceHost {
  return { readFile: (p) => files[p], exists: (p) => p in files };
}

const BASE = `experiment x {
  model policy { init = "Qwen/Qwen3-4B", context = 64K }
  tasks { qa { data = generate(kind = reading), reward = contains } }
  optimizer = adamw(lr = 1e-6)
  schedule {
    stage s1 { input = 8K, output = 4K, steps = 10 }
    stage s2 { input = 16K, output = 4K, steps = 30 }
  }
  profile quick { steps *= 0.25, rollout { temperature = 0.5 }, schedule { s2.input = 12K } }
}
`;

describe("expansion", () => {
  it("scales every stage's steps, rounding integers and keeping them ≥ 1", () => {
    const r = compileFile("/p/a.qlx", { host: host({ "/p/a.qlx": BASE }), profile: "quick" });
    const ir = r.ir as ExperimentIr;
    expect(ir.schedule.map((s) => s.kind === "stage" && [s.steps, s.input])).toEqual([
      [3, 8192],
      [8, 12288],
    ]);
    expect(ir.profile).toBe("quick");
  });

  it("reports an unknown profile with a suggestion", () => {
    const r = compileFile("/p/a.qlx", { host: host({ "/p/a.qlx": BASE }), profile: "quik" });
    expect(r.ir).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.data.suggestion])).toEqual([["QLX2014", "quick"]]);
  });

  it("expands grids into rows, interpolating the variable into names and values", () => {
    const files = {
      "/p/a.qlx": BASE,
      "/p/t.qlx": `use "a.qlx"
ablation lr of x {
  rows {
    for lr in [1e-6, 2e-6] {
      for g in [4, 8] { "lr {lr} G {g}" { optimizer = adamw(lr = lr), rollout { group = g } } }
    }
  }
}
`,
    };
    const r = compileFile("/p/t.qlx", { host: host(files) });
    const ir = r.ir as Extract<IrDocument, { kind: "ablation" }>;
    expect(ir.rows.map((row) => row.name)).toEqual([
      "lr 1e-6 G 4",
      "lr 1e-6 G 8",
      "lr 2e-6 G 4",
      "lr 2e-6 G 8",
    ]);
    const s1 = ir.rows[3].graph.schedule[0];
    expect(s1.kind === "stage" && s1.nodes.find((n) => n.kind === "optimizer")).toMatchObject({
      lr: 2e-6,
    });
    expect(s1.kind === "stage" && s1.nodes.find((n) => n.kind === "rollout")).toMatchObject({
      group: 8,
    });
  });

  it("confines imports to the project directory", () => {
    const files = { "/p/q/a.qlx": 'use "../../etc/x.qlx"\n' + BASE };
    const r = compileFile("/p/q/a.qlx", { host: host(files) });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["QLX2009"]);
  });
});
