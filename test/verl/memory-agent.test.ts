// The verl bundle's memory agent (qlx_verl/memory_agent.py, agent_rollout.py, the agent advantage
// step of trainer.py) against the built-in runtime's (runtime/agent): the same tasks, the same
// scripted policy on both sides, then the same number of steps per trajectory, the same prompt
// bytes, the same parsed memories, and the same per-step advantages and keep masks (the trajectory
// as one response, Eq. 3 and Eq. 9/11 on its concatenated tokens, broadcast to every step).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { memoryChunks } from "../../runtime/agent/chunker.ts";
import { runMemoryAgent, type AgentTask, type Generator } from "../../runtime/agent/memory.ts";
import {
  agentDocument,
  agentQuery,
  agentTemplate,
  agentTemplateText,
} from "../../runtime/agent/templates.ts";
import { concatStepValues, trajectoryLayout } from "../../runtime/agent/trajectory.ts";
import type { TaskRecord } from "../../runtime/data/schema.ts";
import type { GeneratedSequence } from "../../runtime/model/generate.ts";
import { computeAdvantages } from "../../runtime/rl/advantages.ts";
import { AepoController } from "../../runtime/rl/aepo.ts";
import { negativeGradientClip } from "../../runtime/rl/clipping.ts";
import { broadcastToTokens } from "../../runtime/rl/policyLoss.ts";
import { byteTokenizer } from "../../runtime/tokenizer/byte.ts";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const pythonRoot = here("../../compiler/emit/verl/python");
const enc = (s: string) => byteTokenizer.encode(s);
const dec = (t: ArrayLike<number>) => byteTokenizer.decode(t);
const EOS = byteTokenizer.special.eos;
const UPPER = /[A-Z]/g;
const DIGITS = /[0-9]/g;

function python(args: string[], input: string) {
  const r = spawnSync("/usr/bin/python3", args, {
    encoding: "utf8",
    input,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

function between(text: string, a: string, b: string): string {
  const i = text.indexOf(a);
  return text.slice(i + a.length, text.indexOf(b, i + a.length));
}

/** The twin of agent_parity.py's `scripted` (see there). */
function scripted(): Generator & { calls: { n: number; maxNewTokens: number }[] } {
  const calls: { n: number; maxNewTokens: number }[] = [];
  return {
    calls,
    generate(prompts, opts) {
      const call = calls.length;
      calls.push({ n: prompts.length, maxNewTokens: opts.maxNewTokens });
      return Promise.resolve(
        prompts.map((p, i): GeneratedSequence => {
          const text = dec(p);
          let reply: string;
          if (text.startsWith("Answer the question")) {
            reply = "ans:" + between(text, "<memory>\n", "\n</memory>");
          } else {
            const section = between(text, "<section>\n", "\n</section>");
            if (section.includes("!")) reply = "no tags here";
            else {
              const memory = between(text, "<memory>", "</memory>");
              const plan = text.split("<section>")[0]!.includes("<plan>")
                ? between(text, "<plan>", "</plan>")
                : "";
              let extra = (section.match(UPPER) ?? []).join("");
              if (i % 2 === 1) extra += (section.match(DIGITS) ?? []).join("");
              reply = `<memory>${memory}${extra}</memory><plan>${plan}+</plan>`;
            }
          }
          const tokens = Int32Array.from([...enc(reply), EOS].slice(0, opts.maxNewTokens));
          const entropy = Float32Array.from(tokens, (_, k) => (1 + 2 * ((i + call + k) % 4)) / 8);
          return { tokens, entropy, logp: new Float32Array(tokens.length), finish: "stop" };
        }),
      );
    },
  };
}

const TASKS = [
  {
    core: "Which code opens the vault?\nA) 12\nB) 34",
    inst: "Answer with the letter only.",
    context:
      "Alpha BRAVO 12 café ☕ CHARLIE 7 delta ECHO 99 foxtrot GOLF 3 hotel INDIA 41 juliett KILO 5",
  },
  { core: "Who wrote the LETTER?", inst: "", context: "XY 5 z" },
  {
    core: "Sum the numbers.",
    inst: "Give a number.",
    context: "AB 1 cd EF 2 gh !! IJ 3 kl MN 4 op QR 5 st UV 6 wx YZ 7",
  },
];

const STAGE = {
  name: "agent",
  nodes: [
    { kind: "advantage", op: "grpo", std: "group", eps: 1e-6 },
    { kind: "mask", op: "negative_gradient", level: "sequence", entropy: { op: ">", value: 0.45 } },
    { kind: "control", op: "aepo", low: 0.3, high: 0.45 },
  ],
};

const CASES = [
  { name: "with a plan, every chunk", plan: true, maxChunks: 0, chunk: 24 },
  { name: "without a plan, at most 2 chunks", plan: false, maxChunks: 2, chunk: 16 },
];

describe.each(CASES)("memory agent on verl = runtime ($name)", ({ plan, maxChunks, chunk }) => {
  const group = 3;
  const settings = { chunk, memory: 64, maxChunks, maxOutput: 40 };

  it("gives the same steps, prompts, memories and per-step advantages", async () => {
    const template = agentTemplate("natural", plan);
    const tasks: AgentTask[] = TASKS.map((t) => ({
      query: { core: t.core, inst: t.inst },
      source: memoryChunks(enc(t.context), chunk),
      template,
    }));
    const gen = scripted();
    const trajectories = await runMemoryAgent(gen, tasks, {
      group,
      settings,
      decode: { sampling: { temperature: 1, topP: 1, greedy: false }, seed: 1, streamKeys: [] },
      keepSteps: true,
    });
    const rewards = trajectories.map((t) => (t.answer.length % 3) / 2);
    // The inputs exercise what they should: early finish, malformed steps, mixed rewards.
    expect(new Set(trajectories.map((t) => t.readSteps)).size).toBeGreaterThan(1);
    expect(trajectories.some((t) => t.malformedSteps > 0)).toBe(true);
    expect(new Set(rewards).size).toBeGreaterThan(1);

    // The runtime's RL bookkeeping: one response per trajectory (runtime/executor/rl-step.ts).
    const steps = trajectories.map((t) =>
      t.steps.map((s) => ({ prompt: s.prompt, tokens: s.output.tokens })),
    );
    const layout = trajectoryLayout(steps);
    const entropies = concatStepValues(
      trajectories.map((t) => t.steps.map((s) => ({ values: s.output.entropy }))),
      layout,
    );
    const adv = computeAdvantages(
      rewards,
      trajectories.map((_, i) => ({ groupIndex: Math.floor(i / group), task: "t" })),
      { kind: "grpo", std: "group", eps: 1e-6 },
      layout.lengths,
    );
    const clip = negativeGradientClip(adv.advantages, entropies, layout.offsets, {
      level: "sequence",
      when: "above",
      threshold: 0.45,
    });
    const aepo = new AepoController({ low: 0.3, high: 0.45 }).step(
      adv.advantages,
      entropies,
      layout.offsets,
    );
    const keep = clip.keep.map((k, i) => k & aepo.keep[i]!);
    const tokenAdv = broadcastToTokens(adv.advantages, layout.offsets);
    expect(adv.advantages.some((a) => a < 0) && adv.advantages.some((a) => a > 0)).toBe(true);
    // Clipping or AEPO masks some tokens, not all.
    expect(keep.includes(0) && keep.includes(1)).toBe(true);

    const input = {
      template: agentTemplateText("natural", plan),
      tasks: TASKS,
      group,
      settings: {
        chunk,
        memory: settings.memory,
        max_chunks: maxChunks,
        max_output: settings.maxOutput,
      },
      rewards,
      stage: STAGE,
      world_size: 4,
    };
    const r = python([here("./agent_parity.py")], JSON.stringify(input));
    expect(r.err).toBe("");
    const py = JSON.parse(r.out) as {
      calls: { n: number; max_new_tokens: number }[];
      trajectories: {
        steps: { kind: string; prompt: number[]; output: string; malformed: boolean }[];
        answer: string;
        finalMemory: string;
        readSteps: number;
        malformedSteps: number;
        memoryTokens: number;
      }[];
      rows: { traj: number; step: number; pad: boolean; adv: number[]; keep: number[] }[];
    };

    // K + 1 generate calls, the same sizes and budgets.
    expect(py.calls.map((c) => [c.n, c.max_new_tokens])).toEqual(
      gen.calls.map((c) => [c.n, c.maxNewTokens]),
    );
    expect(py.trajectories).toHaveLength(trajectories.length);
    trajectories.forEach((t, i) => {
      const p = py.trajectories[i]!;
      expect(p.steps.length, `trajectory ${i}: steps`).toBe(t.steps.length);
      t.steps.forEach((s, j) => {
        expect(p.steps[j]!.prompt, `trajectory ${i} step ${j}: prompt bytes`).toEqual(s.prompt);
        expect(p.steps[j]!.kind).toBe(s.kind);
        expect(p.steps[j]!.output).toBe(dec(s.output.tokens));
        expect(p.steps[j]!.malformed).toBe(s.malformed);
      });
      expect(p.answer).toBe(t.answer);
      expect(p.finalMemory).toBe(t.finalMemory);
      expect([p.readSteps, p.malformedSteps, p.memoryTokens]).toEqual([
        t.readSteps,
        t.malformedSteps,
        t.memoryTokens,
      ]);
    });

    // Every step row: its slice of the trajectory's token advantages and keep mask.
    const real = py.rows.filter((row) => !row.pad);
    expect(real).toHaveLength(steps.flat().length);
    expect(py.rows.length % 4).toBe(0);
    for (const row of real) {
      const start = layout.stepStarts[row.traj]![row.step]!;
      const n = trajectories[row.traj]!.steps[row.step]!.output.tokens.length;
      const wantAdv = Array.from(tokenAdv.subarray(start, start + n));
      const wantKeep = Array.from(keep.subarray(start, start + n));
      expect(row.keep, `trajectory ${row.traj} step ${row.step}: keep`).toEqual(wantKeep);
      row.adv.forEach((a, k) => {
        // float32 in verl's batch; masked tokens carry -0.0 (the keep channel).
        if (wantKeep[k]) expect(a).toBeCloseTo(wantAdv[k]!, 6);
        else expect(a).toBe(-0);
      });
    }
    for (const row of py.rows.filter((x) => x.pad))
      expect(row.keep.every((k) => k === 0)).toBe(true);
  });
});

describe("memory agent data preparation = runtime/agent/templates", () => {
  const records = [
    {
      task: "multiple_choice",
      id: "mc-1",
      question: "Which city is the capital? Answer with the letter.",
      answer: "B",
      choices: ["Lyon", "Paris"],
      documents: [{ title: "France", text: "Paris is the capital." }],
      meta: { q_core: "Which city is the capital?", q_inst: "Answer with the letter." },
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
      task: "reading",
      id: "rd-1",
      question: "Who built the tower? Reply in one word.",
      answer: "Eiffel",
      documents: [{ title: "", text: "Gustave Eiffel built it." }],
      meta: { q_core: "Who built the tower?", q_inst: "" },
    },
  ];

  it("splits the query and renders the document the same", () => {
    const want = records.map((rec) => ({
      query: agentQuery(rec as unknown as TaskRecord),
      document: agentDocument(rec as unknown as TaskRecord),
    }));
    const script = [
      "import json, sys",
      `sys.path.insert(0, ${JSON.stringify(pythonRoot)})`,
      "from qlx_verl.prepare_data import agent_query, agent_row, render_context, to_row",
      "out = []",
      "for rec in json.load(sys.stdin):",
      "    core, inst = agent_query(rec)",
      "    row = agent_row(to_row(rec['task'], rec, None), rec, '/nonexistent', 10**6)",
      "    out.append({'core': core, 'inst': inst, 'document': render_context(rec), 'extra': row['extra_info'], 'prompt': row['prompt']})",
      "print(json.dumps(out))",
    ].join("\n");
    const r = python(["-c", script], JSON.stringify(records));
    expect(r.err).toBe("");
    const py = JSON.parse(r.out) as {
      core: string;
      inst: string;
      document: string;
      extra: Record<string, unknown>;
      prompt: { content: string }[];
    }[];
    records.forEach((rec, i) => {
      expect({ core: py[i]!.core, inst: py[i]!.inst }, rec.id).toEqual(want[i]!.query);
      expect(py[i]!.document).toBe(want[i]!.document);
      expect(py[i]!.extra).toMatchObject({
        agent_core: want[i]!.query.core,
        agent_inst: want[i]!.query.inst,
        agent_context: want[i]!.document,
        agent_context_path: null,
      });
    });
    // The record with a recorded split moves its instruction out of the core.
    expect(want[0]!.query.inst).toBe("Answer with the letter.");
    expect(py[0]!.prompt[0]!.content).not.toContain("Paris is the capital");
  });
});
