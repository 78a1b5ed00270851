// Key-value facts with near-miss distractors, shared by the reading and multiple-choice kinds.
//
// tiny:    `K:37 `  (key = upper-case letter, value = two digits; notes/tiny-scale-rl.md)
// natural: "The badge code of Kelmar is 4821."  (attribute of a syllable-built entity)
//
// Distractor similarity s ∈ [0, 1]: each distractor is, with probability s, a near miss of the
// asked fact — tiny: the same letter in lower case; natural: the same attribute of an entity
// one syllable away, or another attribute of the same entity — and otherwise an unrelated
// fact. No distractor ever has the asked key, and all values are distinct, so the answer is
// unique.

import type { Rng } from "../rng.ts";
import type { Document } from "../data/schema.ts";
import type { TaskStyle } from "./types.ts";
import { ATTRIBUTES, distinctNames, nearMissName, pick, prefixRelated } from "./vocab.ts";
import type { Query } from "./documents.ts";

export interface Fact {
  /** tiny: the key letter; natural: the entity name. */
  readonly key: string;
  /** natural only ("" in tiny). */
  readonly attribute: string;
  readonly value: string;
  readonly nearMiss: boolean;
}

export interface FactSet {
  readonly target: Fact;
  readonly distractors: readonly Fact[];
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** A fresh value, distinct from `used` (tiny: 10..99; natural: 100..9999). */
export function drawValue(rng: Rng, style: TaskStyle, used: Set<string>): string {
  const [lo, span] = style === "tiny" ? [10, 90] : [100, 9900];
  for (;;) {
    const value = String(lo + rng.int(span));
    if (!used.has(value)) {
      used.add(value);
      return value;
    }
  }
}

export function drawFacts(rng: Rng, style: TaskStyle, count: number, similarity: number): FactSet {
  const values = new Set<string>();
  if (style === "tiny") {
    const keys = rng.shuffle([...UPPER]);
    const targetKey = keys[0]!;
    const target = { key: targetKey, attribute: "", value: drawValue(rng, style, values) };
    const distractors = Array.from({ length: count - 1 }, (_, i) => {
      const nearMiss = rng.next() < similarity;
      const key = nearMiss ? targetKey.toLowerCase() : keys[1 + (i % (keys.length - 1))]!;
      return { key, attribute: "", value: drawValue(rng, style, values), nearMiss };
    });
    return { target: { ...target, nearMiss: false }, distractors };
  }
  const [entity] = distinctNames(rng, 1, new Set());
  const attribute = pick(rng, ATTRIBUTES);
  const target = { key: entity!, attribute, value: drawValue(rng, style, values), nearMiss: false };
  const others = distinctNames(rng, count, new Set([entity!]));
  const distractors = others.slice(0, count - 1).map((other) => {
    const nearMiss = rng.next() < similarity;
    if (!nearMiss) {
      return { key: other, attribute: pick(rng, ATTRIBUTES), value: "", nearMiss };
    }
    if (rng.int(2) === 0) {
      const otherAttribute = pick(
        rng,
        ATTRIBUTES.filter((a) => a !== attribute),
      );
      return { key: entity!, attribute: otherAttribute, value: "", nearMiss };
    }
    let near = nearMissName(rng, entity!);
    while (prefixRelated(near, entity!)) near = nearMissName(rng, entity!);
    return { key: near, attribute, value: "", nearMiss };
  });
  return {
    target,
    distractors: distractors.map((d) => ({ ...d, value: drawValue(rng, style, values) })),
  };
}

export function factDocument(style: TaskStyle, fact: Fact): Document {
  if (style === "tiny") return { title: "", text: `${fact.key}:${fact.value} ` };
  return {
    title: "Registry entry",
    text: `The ${fact.attribute} of ${fact.key} is ${fact.value}.`,
  };
}

/** The question asking for `fact`'s value (tiny `?K=`). */
export function factQuery(style: TaskStyle, fact: Fact, inst: string): Query {
  if (style === "tiny") return { core: `?${fact.key}=`, inst: "" };
  return { core: `What is the ${fact.attribute} of ${fact.key}?`, inst };
}
