// The memory agent's loop (paper §2.3, Eq. 5-6) with a scripted generator: lockstep steps,
// early finish, malformed steps keeping the previous memory, max_chunks, and the templates'
// query split and tag parsing.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { memoryChunks } from "../../../runtime/agent/chunker.ts";
import {
  agentMetrics,
  runMemoryAgent,
  type AgentTask,
  type Generator,
} from "../../../runtime/agent/memory.ts";
import { agentQuery, agentTemplate } from "../../../runtime/agent/templates.ts";
import type { GeneratedSequence, GenerateOptions } from "../../../runtime/model/generate.ts";
import { generateDataset } from "../../../runtime/tasks/registry.ts";
import { byteTokenizer } from "../../../runtime/tokenizer/byte.ts";

const tiny = agentTemplate("tiny", true);
const enc = (s: string) => byteTokenizer.encode(s);
const dec = (t: readonly number[]) => byteTokenizer.decode(t);

function seq(text: string): GeneratedSequence {
  const tokens = Int32Array.from([...enc(text), byteTokenizer.special.eos]);
  return {
    tokens,
    logp: new Float32Array(tokens.length),
    entropy: new Float32Array(tokens.length).fill(0.5),
    finish: "stop",
  };
}

/**
 * Reads the tiny step prompt `{m}[p]|chunk|?K=`: the new memory appends the chunk's upper-case
 * letters, the plan counts steps; a chunk holding "!" makes a malformed output. The answer
 * step echoes its memory. Records every call.
 */
function scripted(): Generator & { calls: { prompts: string[]; opts: GenerateOptions }[] } {
  const calls: { prompts: string[]; opts: GenerateOptions }[] = [];
  return {
    calls,
    generate(prompts, opts) {
      const texts = prompts.map((p) => dec(p));
      calls.push({ prompts: texts, opts });
      return Promise.resolve(
        texts.map((t) => {
          const answer = /^\{(.*)\}\?/.exec(t);
          if (answer) return seq(`ans:${answer[1]}`);
          const m = /^\{(.*)\}\[(.*)\]\|(.*)\|/.exec(t)!;
          if (m[3]!.includes("!")) return seq("no tags here");
          const letters = m[3]!.replace(/[^A-Z]/g, "");
          return seq(`{${m[1]}${letters}}[${m[2]}+]`);
        }),
      );
    },
  };
}

const task = (doc: string, chunk: number): AgentTask => ({
  query: { core: "?K=", inst: "" },
  source: memoryChunks(enc(doc), chunk),
  template: tiny,
});

const decode = { sampling: { temperature: 1, topP: 1, greedy: false }, seed: 1, streamKeys: ["t"] };

describe("runMemoryAgent", () => {
  it("advances all trajectories in lockstep and lets short documents finish early", async () => {
    const gen = scripted();
    const trajectories = await runMemoryAgent(gen, [task("AB..CD..EF", 4), task("xyGH", 4)], {
      group: 2,
      settings: { chunk: 4, memory: 16, maxChunks: 0, maxOutput: 8 },
      decode,
      keepSteps: true,
    });
    // Step 1: 4 trajectories; steps 2-3: only the first document's 2; then one answer call.
    expect(gen.calls.map((c) => c.prompts.length)).toEqual([4, 2, 2, 4]);
    expect(gen.calls.map((c) => c.opts.maxNewTokens)).toEqual([16, 16, 16, 8]);
    expect(gen.calls.map((c) => c.opts.streamKeys)).toEqual([
      ["t", "read", 1],
      ["t", "read", 2],
      ["t", "read", 3],
      ["t", "answer"],
    ]);
    expect(gen.calls[1]!.prompts[0]).toBe(`{AB}[+]|CD..|?K=`);
    expect(trajectories.map((t) => t.answer)).toEqual([
      "ans:ABCDEF",
      "ans:ABCDEF",
      "ans:GH",
      "ans:GH",
    ]);
    expect(trajectories.map((t) => t.steps.length)).toEqual([4, 4, 2, 2]);
    expect(trajectories[0]!.steps.map((s) => s.kind)).toEqual(["read", "read", "read", "answer"]);
    expect(agentMetrics(trajectories)).toEqual({
      "agent/steps_mean": 3,
      "agent/malformed_frac": 0,
      // Reading outputs `{AB}[+]`+EOS = 8, `{ABCD}[++]` = 11, `{ABCDEF}[+++]` = 14, `{GH}[+]` = 8.
      "agent/memory_tokens_mean": (2 * (8 + 11 + 14) + 2 * 8) / 8,
    });
  });

  it("keeps the previous memory and plan after a malformed step, and counts it", async () => {
    const gen = scripted();
    const [t] = await runMemoryAgent(gen, [task("AB!.CD", 2)], {
      group: 1,
      settings: { chunk: 2, memory: 16, maxChunks: 0, maxOutput: 8 },
      decode,
      keepSteps: true,
    });
    // Chunks "AB", "!.", "CD": the second output has no tags.
    expect(t!.steps.map((s) => s.malformed)).toEqual([false, true, false, false]);
    expect(gen.calls[2]!.prompts[0]).toBe(`{AB}[+]|CD|?K=`);
    expect(t!.malformedSteps).toBe(1);
    expect(t!.finalMemory).toBe("ABCD");
    expect(agentMetrics([t!])["agent/malformed_frac"]).toBeCloseTo(1 / 3, 12);
  });

  it("stops reading after max_chunks and keeps no steps when asked not to", async () => {
    const gen = scripted();
    const [t] = await runMemoryAgent(gen, [task("ABCDEFGH", 2)], {
      group: 1,
      settings: { chunk: 2, memory: 16, maxChunks: 2, maxOutput: 8 },
      decode,
      keepSteps: false,
    });
    expect(gen.calls).toHaveLength(3);
    expect(t!.answer).toBe("ans:ABCD");
    expect(t!.readSteps).toBe(2);
    expect(t!.steps).toEqual([]);
  });

  it("answers from an empty memory when the document is empty", async () => {
    const gen = scripted();
    const [t] = await runMemoryAgent(gen, [task("", 4)], {
      group: 1,
      settings: { chunk: 4, memory: 16, maxChunks: 0, maxOutput: 8 },
      decode,
      keepSteps: true,
    });
    expect(gen.calls).toHaveLength(1);
    expect(t!.answer).toBe("ans:");
    expect(agentMetrics([t!])).toMatchObject({ "agent/steps_mean": 1, "agent/malformed_frac": 0 });
  });
});

describe("templates", () => {
  it("parses what they render, in both styles, with and without a plan", () => {
    const text = fc.string({ unit: "grapheme-ascii" }).filter((s) => !/[{}[\]<]/.test(s));
    fc.assert(
      fc.property(text, text, fc.boolean(), fc.boolean(), (memory, plan, natural, withPlan) => {
        const t = agentTemplate(natural ? "natural" : "tiny", withPlan);
        const state = { memory, plan: withPlan ? plan : "" };
        expect(t.parseStep(`${t.renderStep(state)}\u0000trailing`)).toEqual(state);
      }),
    );
  });

  it("calls an output malformed when a tag is missing or unclosed", () => {
    expect(tiny.parseStep("{K:37 }")).toBeNull(); // plan required
    expect(tiny.parseStep("{K:37 [x]")).toBeNull();
    expect(tiny.parseStep("[x]{K:37 }")).toBeNull(); // plan must follow the memory
    expect(agentTemplate("tiny", false).parseStep("..{K:37 }..")).toEqual({
      memory: "K:37 ",
      plan: "",
    });
    const natural = agentTemplate("natural", true);
    expect(natural.parseStep("<memory>a</memory>")).toBeNull();
    expect(natural.parseStep("<memory>a</memory> then <plan>b</plan>")).toEqual({
      memory: "a",
      plan: "b",
    });
  });

  it("puts q_core in every reading step and q_inst only in the answer step", async () => {
    const [record] = await generateDataset("reading", { style: "natural", inputTokens: 400 }, 1, 3);
    const q = agentQuery(record!);
    expect(q.inst).toBe(record!.meta!["q_inst"]);
    expect(q.inst).not.toBe("");
    expect(q.core).toBe(record!.meta!["q_core"]);
    const t = agentTemplate("natural", true);
    const step = dec(t.stepPrompt(q, { memory: "M1", plan: "P1" }, enc("SECTION")));
    expect(step).toContain(q.core);
    expect(step).not.toContain(q.inst);
    expect(step).toContain("<memory>M1</memory><plan>P1</plan>");
    expect(step).toContain("<section>\nSECTION\n</section>");
    const answer = dec(t.answerPrompt(q, { memory: "M9", plan: "P9" }));
    expect(answer).toContain(q.core);
    expect(answer).toContain(q.inst);
    expect(answer).toContain("M9");
    expect(answer).not.toContain("P9");
  });

  it("keeps a multiple-choice record's options with its question", async () => {
    const [mc] = await generateDataset("multiple_choice", { style: "tiny", inputTokens: 32 }, 1, 3);
    const q = agentQuery(mc!);
    expect(q.core.endsWith(mc!.question)).toBe(true);
    expect(q.core).toMatch(/^A\S+ B\S+ /);
    expect(q.inst).toBe("");
    // The tiny answer prompt is a tiny full prompt whose context is the memory.
    expect(dec(tiny.answerPrompt(q, { memory: "K:37 ", plan: "" }))).toBe(`{K:37 }${q.core}`);
  });
});
