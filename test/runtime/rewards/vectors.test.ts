// Shared reward test vectors: (reward, response, record) → score from the built-in runtime,
// committed as vectors.json so the verl bundle's Python rewards can be checked against the
// same file (DESIGN.md: "shared test vectors prove runtime and verl agree"). This test fails
// when a rule's behaviour changes; rewrite the file with QLX_UPDATE_GOLDEN=1 and review the
// diff like code.

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { describe, expect, it } from "vitest";
import type { TaskRecord } from "../../../runtime/data/schema.ts";
import { buildReward, type RewardSpec } from "../../../runtime/rewards/registry.ts";

const VECTORS = fileURLToPath(new URL("./vectors.json", import.meta.url));

/** One case; `record` is the id of a record in the file's `records` map. */
interface Vector {
  readonly reward: RewardSpec;
  readonly response: string;
  readonly record: string;
  readonly score: number;
}

interface VectorFile {
  readonly records: Record<string, TaskRecord>;
  readonly vectors: Vector[];
}

const docs = [{ title: "T", text: "context" }];

const RECORDS: TaskRecord[] = [
  {
    task: "reading",
    id: "tower",
    question: "Which landmark?",
    answer: "the Eiffel Tower",
    aliases: ["La Tour Eiffel"],
    documents: docs,
  },
  {
    task: "multihop",
    id: "year",
    question: "Which year?",
    answer: "1889",
    documents: docs,
    hops: 2,
  },
  {
    task: "multiple_choice",
    id: "mc",
    question: "Pick one",
    answer: "C",
    documents: docs,
    choices: ["red", "green", "blue", "black"],
  },
  {
    task: "corpus_numeric",
    id: "sum",
    question: "Total?",
    answer: "1,234.5",
    documents: docs,
    value: 1234.5,
  },
  {
    task: "corpus_numeric",
    id: "pct",
    question: "Share?",
    answer: "12.5%",
    documents: docs,
    value: 12.5,
    unit: "%",
  },
];

const DIALOGUE: TaskRecord = {
  task: "dialogue_memory",
  id: "poem",
  question: "Prepend k7Qz to the 2nd poem about owls.",
  answer: "Owls at dusk, soft wings over barley; the moon keeps their counsel.",
  conversation: [{ role: "user", content: "write a poem about owls" }],
  prefix: "k7Qz",
  needles: 3,
  target: 2,
};

const RESPONSES = [
  "Answer: the Eiffel Tower",
  "<think>It could be the Louvre.</think>\n\nAnswer: **Eiffel Tower**.",
  "I believe it is la tour eiffel, built in 1889.",
  "Final answer:\n\n  Tower",
  "\\boxed{1889}",
  "Therefore, the answer is 18890.",
  "The correct answer is (C)",
  "Answer: blue",
  "Answer: c",
  "Answer: B) green",
  "Total: \\boxed{1,234.50}",
  "Answer: 1234.6",
  "Answer: 0.125",
  "Answer: 12.5 percent",
  "Answer: −12.5%",
  "<think>Answer: 1889, surely",
  "",
  "Ünïcødé 😀 answer: ＥＩＦＦＥＬ TOWER",
];

const DIALOGUE_RESPONSES = [
  "k7QzOwls at dusk, soft wings over barley; the moon keeps their counsel.",
  "k7Qz Owls at dusk, soft wings over barley.",
  "<think>the second one</think>\nk7QzOwls at dusk, wings over barley; the moon keeps counsel 🦉.",
  "Owls at dusk, soft wings over barley; the moon keeps their counsel.",
  "k7Qzk7QzOwls at dusk",
];

const TEXT_RULES: RewardSpec[] = [
  { name: "contains" },
  { name: "cem" },
  { name: "em" },
  { name: "f1" },
  { name: "sequence_ratio" },
];
const NUMERIC_RULES: RewardSpec[] = [
  { name: "numeric_match" },
  { name: "numeric_match", relTol: 1e-4 },
  { name: "numeric_match", absTol: 0.2 },
];

type Case = { readonly reward: RewardSpec; readonly response: string; readonly record: TaskRecord };

function cases(): Case[] {
  const out: Case[] = [];
  for (const record of RECORDS) {
    const rules = [
      ...TEXT_RULES,
      ...(record.task === "multiple_choice" ? [{ name: "choice_accuracy" } as const] : []),
      ...(record.task === "corpus_numeric" || record.id === "year" ? NUMERIC_RULES : []),
    ];
    for (const reward of rules)
      for (const response of RESPONSES) out.push({ reward, response, record });
  }
  for (const reward of [{ name: "sequence_ratio" }, { name: "mrcr_grade" }] as const) {
    for (const response of DIALOGUE_RESPONSES) out.push({ reward, response, record: DIALOGUE });
  }
  return out;
}

async function computeVectors(): Promise<VectorFile> {
  const vectors: Vector[] = [];
  for (const c of cases()) {
    const outcome = await buildReward(c.reward).score(c.response, c.record);
    if (!outcome.ok) throw new Error("a rule reward cannot fail");
    vectors.push({
      reward: c.reward,
      response: c.response,
      record: c.record.id,
      score: outcome.score,
    });
  }
  return { records: Object.fromEntries([...RECORDS, DIALOGUE].map((r) => [r.id, r])), vectors };
}

describe("shared reward vectors", () => {
  it("match the committed vectors.json", async () => {
    const computed = await computeVectors();
    if (process.env.QLX_UPDATE_GOLDEN === "1") {
      const options = (await resolveConfig(VECTORS)) ?? {};
      writeFileSync(
        VECTORS,
        await format(JSON.stringify(computed), { ...options, parser: "json" }),
      );
    }
    const committed = JSON.parse(readFileSync(VECTORS, "utf8")) as VectorFile;
    expect(computed).toEqual(committed);
    const vectors = computed.vectors;
    // The vectors must discriminate: both outcomes of every binary rule occur.
    for (const name of [
      "contains",
      "cem",
      "em",
      "choice_accuracy",
      "numeric_match",
      "mrcr_grade",
    ]) {
      const scores = new Set(vectors.filter((v) => v.reward.name === name).map((v) => v.score));
      expect([name, scores.has(0) && scores.has(1)]).toEqual([name, true]);
    }
  });
});
