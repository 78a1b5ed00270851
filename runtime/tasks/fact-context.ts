// The part the fact-based kinds (reading, multiple_choice) share: drawing the asked fact and
// its distractors from the generator's knobs, and placing them as documents in the padded
// context. A kind adds only its question, options and record shape.

import type { Document, TaskKind, TaskRecord } from "../data/schema.ts";
import type { Rng } from "../rng.ts";
import { buildDocumentContext, type Meta, type Query } from "./documents.ts";
import { drawFacts, factDocument, type FactSet } from "./facts.ts";
import { drawCount, resolveSimilarity } from "./types.ts";
import type { CountRange, EvidencePosition, GeneratorEnv, SampleDraw, TaskStyle } from "./types.ts";

export interface FactKnobs {
  readonly style: TaskStyle;
  readonly inputTokens: number;
  readonly evidencePosition: EvidencePosition;
  /** Facts in the context, the asked one included (default: tiny 1..3, natural 4..12). */
  readonly facts?: CountRange | undefined;
  readonly distractorSimilarity?: number | undefined;
}

export interface DrawnFacts {
  /** The "facts" stream, positioned after the facts: a kind may keep drawing from it. */
  readonly rng: Rng;
  readonly facts: FactSet;
  readonly count: number;
  readonly similarity: number;
}

export function drawFactSet(knobs: FactKnobs, draw: SampleDraw): DrawnFacts {
  const similarity = resolveSimilarity(knobs.style, knobs.distractorSimilarity);
  const rng = draw.rng("facts");
  const range = knobs.facts ?? (knobs.style === "tiny" ? { min: 1, max: 3 } : { min: 4, max: 12 });
  const count = Math.max(1, drawCount(rng, range));
  return { rng, facts: drawFacts(rng, knobs.style, count, similarity), count, similarity };
}

/** The record with the asked fact as evidence and the distractors placed in the padding. */
export function factRecord<R extends TaskRecord>(spec: {
  readonly kind: TaskKind;
  readonly knobs: FactKnobs;
  readonly drawn: DrawnFacts;
  readonly draw: SampleDraw;
  readonly env: GeneratorEnv;
  readonly query: Query;
  /** Kind-specific meta beside the fact counts. */
  readonly meta?: Meta;
  readonly build: (documents: Document[], evidence: number[]) => R;
}): TaskRecord {
  const { knobs, drawn } = spec;
  return buildDocumentContext({
    kind: spec.kind,
    style: knobs.style,
    target: knobs.inputTokens,
    draw: spec.draw,
    env: spec.env,
    evidence: [factDocument(knobs.style, drawn.facts.target)],
    distractors: drawn.facts.distractors.map((f) => factDocument(knobs.style, f)),
    evidencePosition: knobs.evidencePosition,
    query: spec.query,
    meta: {
      facts: drawn.count,
      near_misses: drawn.facts.distractors.filter((f) => f.nearMiss).length,
      distractor_similarity: drawn.similarity,
      ...spec.meta,
    },
    build: spec.build,
  }).record;
}
