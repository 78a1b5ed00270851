// The generated Python package: every file compiles, every module imports with verl, ray,
// hydra, transformers, pandas and even torch absent (they are imported where used), its unit
// tests pass, and its rule rewards score like the runtime's.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { TaskRecord } from "../../runtime/data/schema.ts";
import { RULE_REWARDS } from "../../runtime/rewards/registry.ts";
import { NUMERIC_DEFAULTS, numericMatch } from "../../runtime/rewards/rules.ts";
import vectorFile from "../runtime/rewards/vectors.json" with { type: "json" };
import { TaskBalancedSampler } from "../../runtime/rl/samplers/taskBalanced.ts";
import { renderPrompt } from "../../runtime/tasks/prompt.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const packageDir = here("../../compiler/emit/verl/python/qlx_verl");
const pythonRoot = here("../../compiler/emit/verl/python");
const modules = readdirSync(packageDir)
  .filter((f) => f.endsWith(".py"))
  .map((f) => f.slice(0, -3));

function python(args: string[], input?: string) {
  const r = spawnSync("/usr/bin/python3", args, {
    encoding: "utf8",
    input,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe("qlx_verl package", () => {
  it("has the modules the bundle needs", () => {
    for (const m of [
      "advantage",
      "aepo",
      "loss",
      "masks",
      "sampler",
      "trainer",
      "worker_patch",
      "reward_fn",
      "judge",
      "rewards",
      "retrospective",
      "prepare_data",
      "main",
      "settings",
      "memory_agent",
      "agent_rollout",
    ]) {
      expect(modules, m).toContain(m);
    }
  });

  it("compiles (py_compile) every file", () => {
    const files = modules.map((m) => `${packageDir}/${m}.py`);
    const script = [
      "import os, py_compile, sys, tempfile",
      "out = tempfile.mkdtemp()",
      "for f in sys.argv[1:]:",
      "    py_compile.compile(f, doraise=True, cfile=os.path.join(out, os.path.basename(f) + 'c'))",
    ].join("\n");
    const r = python(["-c", script, ...files]);
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
  });

  it("imports every module without verl, ray, hydra, transformers, pandas or torch", () => {
    const blocked = [
      "verl",
      "ray",
      "hydra",
      "omegaconf",
      "transformers",
      "pandas",
      "torch",
      "tensordict",
    ];
    const script = [
      "import importlib, importlib.abc, sys",
      `BLOCKED = ${JSON.stringify(blocked)}`,
      "class Block(importlib.abc.MetaPathFinder):",
      "    def find_spec(self, name, path, target=None):",
      "        if name.split('.')[0] in BLOCKED: raise ImportError(f'{name} is blocked in this test')",
      "sys.meta_path.insert(0, Block())",
      `sys.path.insert(0, ${JSON.stringify(pythonRoot)})`,
      `for m in ${JSON.stringify(modules)}: importlib.import_module('qlx_verl.' + m if m != '__init__' else 'qlx_verl')`,
      "print('ok')",
    ].join("\n");
    const r = python(["-c", script]);
    expect(r.err).toBe("");
    expect(r.out.trim()).toBe("ok");
  });

  it("passes its unit tests (sampler, keep channel, advantage step, trainer hooks, judge, rewards)", () => {
    const r = python([here("./test_qlx_verl.py")]);
    expect(r.err).toMatch(/\nOK\s*$/);
    expect(r.status).toBe(0);
  });

  it("passes its memory-agent unit tests (rollout rows, AgentBatch, trainer hooks, worker hooks)", () => {
    const r = python([here("./test_memory_agent.py")]);
    expect(r.err).toMatch(/\nOK\s*$/);
    expect(r.status).toBe(0);
  });
});

describe("qlx_verl rewards = runtime/rewards", () => {
  const long = "x".repeat(150) + "ábc ✓ " + "y".repeat(120);
  const cases: { rule: string; response: string; record: Record<string, unknown> }[] = [
    {
      rule: "contains",
      response: "<think>hmm</think>\nTherefore, the answer is the Eiffel Tower.",
      record: { task: "reading", answer: "Eiffel tower" },
    },
    { rule: "contains", response: "Answer: 100 meters", record: { task: "reading", answer: "10" } },
    {
      rule: "contains",
      response: "Answer: **Marie Curie**",
      record: { task: "reading", answer: "Curie", aliases: ["M. Curie"] },
    },
    {
      rule: "contains",
      response: "<think>the answer is Paris, I think",
      record: { task: "reading", answer: "Paris" },
    },
    {
      rule: "em",
      response: "Answer: café a la carte",
      record: { task: "reading", answer: "cafe a la carte" },
    },
    {
      rule: "em",
      response: "Answer: théa",
      record: { task: "reading", answer: "thé" },
    },
    {
      rule: "cem",
      response: "\\boxed{The answer: Paris, France}",
      record: { task: "reading", answer: "paris" },
    },
    {
      rule: "em",
      response: "Final answer: The Beatles!",
      record: { task: "reading", answer: "beatles" },
    },
    {
      rule: "f1",
      response: "the answer is red green blue",
      record: { task: "reading", answer: "green red yellow" },
    },
    {
      rule: "choice_accuracy",
      response: "Therefore, the answer is (c)",
      record: { task: "multiple_choice", answer: "C", choices: ["a", "b", "c"] },
    },
    {
      rule: "choice_accuracy",
      response: "Answer: second option text",
      record: { task: "multiple_choice", answer: "B", choices: ["first", "Second option  text"] },
    },
    {
      rule: "numeric_match",
      response: "Therefore, the answer is 1,234.5",
      record: { task: "reading", answer: "1234.52" },
    },
    {
      rule: "numeric_match",
      response: "Answer: −12.5%",
      record: { task: "corpus_numeric", answer: "-0.125", value: -0.125 },
    },
    {
      rule: "sequence_ratio",
      response: long,
      record: { task: "reading", answer: long.slice(3) + "zz" },
    },
    {
      rule: "sequence_ratio",
      response: "a poem about 🐱 cats",
      record: { task: "reading", answer: "a poem on 🐱 dogs" },
    },
    {
      rule: "mrcr_grade",
      response: "<think>x</think>\nAbC12 the second poem",
      record: { task: "dialogue_memory", answer: "the 2nd poem", prefix: "AbC12" },
    },
    {
      rule: "mrcr_grade",
      response: "the second poem",
      record: { task: "dialogue_memory", answer: "the 2nd poem", prefix: "AbC12" },
    },
  ];

  it("scores every case the same", () => {
    const ts = cases.map(({ rule, response, record }) => {
      const full = { id: "r", question: "q", documents: [], ...record } as unknown as TaskRecord;
      const fn =
        rule === "numeric_match"
          ? numericMatch({ relTol: 1e-4, absTol: 0 })
          : RULE_REWARDS[rule as keyof typeof RULE_REWARDS];
      return fn(response, full);
    });
    const input = cases.map(({ rule, response, record }) => {
      const { answer, ...extra } = record;
      return { rule, response, answer, extra };
    });
    const r = python([here("./reward_parity.py")], JSON.stringify(input));
    expect(r.err).toBe("");
    const py = JSON.parse(r.out) as number[];
    cases.forEach((c, i) =>
      expect(py[i], `${c.rule}: ${c.response.slice(0, 40)}`).toBeCloseTo(ts[i]!, 12),
    );
    // The cases are not all trivial: some score 0, some 1, some in between.
    expect(ts).toContain(0);
    expect(ts).toContain(1);
    expect(ts.some((s) => s > 0 && s < 1)).toBe(true);
  });

  it("scores the runtime's shared reward vectors the same, records prepared as verl rows", () => {
    const { records, vectors } = vectorFile as unknown as {
      records: Record<string, TaskRecord>;
      vectors: {
        reward: { name: string; relTol?: number; absTol?: number };
        response: string;
        record: string;
        score: number;
      }[];
    };
    const input = vectors.map((v) => ({
      rule: v.reward.name,
      response: v.response,
      record: records[v.record],
      ...(v.reward.name === "numeric_match"
        ? {
            rel_tol: v.reward.relTol ?? NUMERIC_DEFAULTS.relTol,
            abs_tol: v.reward.absTol ?? NUMERIC_DEFAULTS.absTol,
          }
        : {}),
    }));
    const r = python([here("./reward_parity.py")], JSON.stringify(input));
    expect(r.err).toBe("");
    const py = JSON.parse(r.out) as number[];
    expect(py).toHaveLength(vectors.length);
    vectors.forEach((v, i) =>
      expect(py[i], `${v.reward.name} on ${v.record}: ${v.response.slice(0, 40)}`).toBeCloseTo(
        v.score,
        12,
      ),
    );
  });
});

describe("qlx_verl data preparation", () => {
  const records = [
    {
      task: "multiple_choice",
      id: "mc-1",
      question: "Which city is the capital?",
      answer: "B",
      choices: ["Lyon", "Paris", "Nice"],
      documents: [
        { title: "France", text: "Paris is the capital." },
        { title: "", text: "Untitled filler." },
      ],
    },
    {
      task: "dialogue_memory",
      id: "dm-1",
      question: "Repeat the 2nd poem about cats.",
      answer: "Soft paws",
      conversation: [
        { role: "user", content: "Write a poem about cats" },
        { role: "assistant", content: "Soft paws" },
      ],
      prefix: "AbC12",
      needles: 2,
      target: 2,
    },
    {
      task: "corpus_numeric",
      id: "cn-1",
      question: "Total revenue?",
      answer: "12.5",
      value: 12.5,
      unit: "%",
      aliases: ["12.50"],
      documents: [{ title: "Table", text: "a | b" }],
    },
  ];

  it("renders prompts exactly as the runtime does and fills verl's row layout", () => {
    const r = python([here("./prompt_parity.py")], JSON.stringify(records));
    expect(r.err).toBe("");
    const py = JSON.parse(r.out) as { prompt: string; row: Record<string, any> }[];
    records.forEach((rec, i) => {
      const want = renderPrompt(rec as unknown as TaskRecord);
      expect(py[i]!.prompt, rec.id).toBe(want);
      const row = py[i]!.row;
      expect(row["data_source"]).toBe(`task_${rec.task}`);
      expect(row["prompt"]).toEqual([{ role: "user", content: want }]);
      expect(row["reward_model"]).toEqual({ style: "rule", ground_truth: rec.answer });
      expect(row["extra_info"]).toMatchObject({
        id: rec.id,
        question: rec.question,
        input_tokens: want.length,
        output_tokens: rec.answer.length,
      });
      expect(Number.isSafeInteger(row["extra_info"].index)).toBe(true);
    });
    expect(py[2]!.row["extra_info"]).toMatchObject({ value: 12.5, unit: "%", aliases: ["12.50"] });
    expect(py[1]!.row["extra_info"]).toMatchObject({ prefix: "AbC12" });
  });
});

describe("qlx_verl task-balanced sampler = runtime/rl/samplers/taskBalanced", () => {
  it("gives every task the same share per batch, remainder rotating in the IR's task order", () => {
    const tasks = ["reading", "mc", "numeric", "dialogue", "multihop"];
    const keys = tasks.flatMap((t) => Array<string>(40).fill(t));
    const batch = 13;
    const ts = new TaskBalancedSampler(keys, { batchSize: batch, over: "task", tasks }, 7);
    const want = Array.from({ length: 7 }, (_, b) => Object.fromEntries(ts.shares(b)));
    const script = [
      "import json, sys",
      `sys.path.insert(0, ${JSON.stringify(pythonRoot)})`,
      "from qlx_verl.sampler import TaskBalancedSampler",
      `tasks = ${JSON.stringify(tasks)}`,
      `s = TaskBalancedSampler([t for t in tasks for _ in range(40)], tasks, ${Math.floor(batch / tasks.length)}, ${batch % tasks.length}, 7)`,
      "print(json.dumps([s.shares(b) for b in range(7)]))",
    ].join("\n");
    const r = python(["-c", script]);
    expect(r.err).toBe("");
    expect(JSON.parse(r.out)).toEqual(want);
  });
});
