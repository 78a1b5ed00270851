// Independent re-derivation of every generator's ground truth from the rendered prompt alone:
// the tests parse the facts back out of the text the policy reads and compute the answer in
// plain TypeScript, so a generator whose rendering and answer disagree fails.

import type { TaskRecord } from "../../../runtime/data/schema.ts";
import { renderPrompt } from "../../../runtime/tasks/prompt.ts";
import { RELATIONS } from "../../../runtime/tasks/vocab.ts";

function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0]!;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The value the question asks for, read from the prompt (reading and multiple choice). */
export function askedValue(record: TaskRecord): string {
  const prompt = renderPrompt(record);
  const tiny = record.meta?.["style"] === "tiny";
  if (tiny) {
    const key = /\?([A-Z])=$/.exec(prompt)![1]!;
    return only(
      [...prompt.matchAll(new RegExp(`${key}:(\\d+) `, "g"))].map((m) => m[1]!),
      `fact ${key}`,
    );
  }
  const q = /what is the (.+?) of (\w+)\?/i.exec(record.question)!;
  const re = new RegExp(`The ${escape(q[1]!)} of ${q[2]} is (\\d+)\\.`, "g");
  return only(
    [...prompt.matchAll(re)].map((m) => m[1]!),
    `fact "${q[1]} of ${q[2]}"`,
  );
}

/** The end (natural) or the whole path (tiny) of the asked chain, from the prompt's edges. */
export function multihopAnswer(record: TaskRecord): string {
  const prompt = renderPrompt(record);
  if (record.meta?.["style"] === "tiny") {
    const next = new Map<string, string>();
    for (const m of prompt.matchAll(/([a-z])>([a-z]) /g)) {
      if (next.has(m[1]!)) throw new Error(`node ${m[1]} has two outgoing edges`);
      next.set(m[1]!, m[2]!);
    }
    let node = /\?([a-z])=$/.exec(prompt)![1]!;
    let path = "";
    while (next.has(node)) {
      node = next.get(node)!;
      path += node;
    }
    return path;
  }
  const q = /^Who is (.+) (\w+)\?/.exec(record.question)!;
  let node = q[2]!;
  const phrases = RELATIONS.map((r) => r.phrase);
  const chain: number[] = [];
  let rest = `${q[1]!} `;
  while (rest.length > 0) {
    const r = phrases.findIndex((p) => rest.startsWith(`${p} `));
    chain.unshift(r);
    rest = rest.slice(phrases[r]!.length + 1);
  }
  for (const r of chain) {
    const template = RELATIONS[r]!.fact("\u0000", "\u0001");
    const pattern = escape(template).replace("\u0000", escape(node)).replace("\u0001", "(\\w+)");
    node = only(
      [...prompt.matchAll(new RegExp(`(?<!\\w)${pattern}`, "g"))].map((m) => m[1]!),
      `edge from ${node}`,
    );
  }
  return node;
}

/** The k-th reply to the asked request, found by reading the conversation in order. */
export function dialogueAnswer(record: TaskRecord): { prefix: string; reply: string } {
  if (record.task !== "dialogue_memory") throw new Error("not a dialogue_memory record");
  const tiny = record.meta?.["style"] === "tiny";
  const turns = record.conversation;
  if (tiny) {
    const q = /^\?([A-Z])(\d+):(\d+)=$/.exec(record.question)!;
    const replies = turns.flatMap((m, i) =>
      m.role === "user" && m.content === q[1] ? [turns[i + 1]!.content] : [],
    );
    return { prefix: q[3]!, reply: replies[Number(q[2]) - 1]! };
  }
  const q =
    /^Reproduce the (\d+)\w\w (.+) about (.+) from the conversation above\. Begin your answer with (\S+) /.exec(
      record.question,
    )!;
  const request = `Write a ${q[2]} about ${q[3]}.`;
  const replies = turns.flatMap((m, i) =>
    m.role === "user" && m.content === request ? [turns[i + 1]!.content] : [],
  );
  return { prefix: q[4]!, reply: replies[Number(q[1]) - 1]! };
}

interface Row {
  entity: string;
  year: number;
  value: number;
}

/** The numeric answer computed in TS from the rows rendered in the prompt. */
export function numericAnswer(record: TaskRecord): number {
  const prompt = renderPrompt(record);
  const tiny = record.meta?.["style"] === "tiny";
  const rows: Row[] = tiny
    ? [...prompt.matchAll(/([A-Z])(\d);/g)].map((m) => ({
        entity: m[1]!,
        year: 0,
        value: Number(m[2]),
      }))
    : [...prompt.matchAll(/In (\d{4}), (\w+) reported [a-z ]+ of (\d+) /g)].map((m) => ({
        entity: m[2]!,
        year: Number(m[1]),
        value: Number(m[3]),
      }));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  if (tiny) {
    const q = /\?([A-Z])([=><#])$/.exec(prompt)!;
    const values = rows.filter((r) => r.entity === q[1]).map((r) => r.value);
    return {
      "=": sum(values),
      ">": Math.max(...values),
      "<": Math.min(...values),
      "#": values.length,
    }[q[2]!]!;
  }
  const question = record.question;
  const entityOf = (re: RegExp) =>
    rows.filter((r) => r.entity === re.exec(question)![1]).map((r) => r.value);
  let m: RegExpExecArray | null;
  if ((m = /total .+ reported by all companies for (\d{4})/.exec(question))) {
    return sum(rows.filter((r) => r.year === Number(m![1])).map((r) => r.value));
  }
  if (/What is the total/.test(question)) return sum(entityOf(/that (\w+) reported/));
  if (/average/.test(question)) {
    const v = entityOf(/that (\w+) reported/);
    return Math.round((sum(v) / v.length) * 100) / 100;
  }
  if (/highest/.test(question)) return Math.max(...entityOf(/that (\w+) reported/));
  if (/lowest/.test(question)) return Math.min(...entityOf(/that (\w+) reported/));
  if ((m = /In how many years did (\w+) report .+ above (\d+) /.exec(question))) {
    const threshold = Number(m[2]);
    return entityOf(/did (\w+) report/).filter((v) => v > threshold).length;
  }
  if ((m = /of (\w+) change from (\d{4}) to (\d{4})/.exec(question))) {
    const at = (year: number) =>
      only(
        rows.filter((r) => r.entity === m![1] && r.year === year),
        `row ${year}`,
      ).value;
    return at(Number(m[3])) - at(Number(m[2]));
  }
  throw new Error(`unrecognised question: ${question}`);
}

/** The answer of any record, re-derived from its prompt. */
export function rederive(record: TaskRecord): string {
  switch (record.task) {
    case "reading":
      return askedValue(record);
    case "multiple_choice": {
      const value = askedValue(record);
      return (
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[record.choices.indexOf(value)] ??
        `(value ${value} not among choices)`
      );
    }
    case "multihop":
      return multihopAnswer(record);
    case "dialogue_memory":
      return dialogueAnswer(record).reply;
    case "corpus_numeric":
      return String(numericAnswer(record));
  }
}
