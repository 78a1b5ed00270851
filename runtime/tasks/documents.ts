// Builds the padded document list shared by the document-based kinds (multiple_choice,
// multihop, reading, corpus_numeric): evidence and distractor documents placed at their
// depths between irrelevant filler documents, padded to the target prompt length.
//
// Filler per style: natural — irrelevant documents of digit-free sentences (vocab.ts), so no
// filler can be mistaken for a fact; tiny — single noise characters from the notes' filler set
// `~.,-_+*` (notes/tiny-scale-rl.md), merged into one untitled document per gap.

import type { Document, TaskKind, TaskRecord } from "../data/schema.ts";
import type { Rng } from "../rng.ts";
import { padToTarget, evidenceDepths } from "./padding.ts";
import type { Padded, PlacedPiece } from "./padding.ts";
import { renderPrompt } from "./prompt.ts";
import type { EvidencePosition, GeneratorEnv, SampleDraw, TaskStyle } from "./types.ts";
import { fillerSentence, fillerTitle } from "./vocab.ts";

const TINY_FILLER = "~.,-_+*";

export function fillerDocument(style: TaskStyle, rng: Rng): Document {
  if (style === "tiny") return { title: "", text: TINY_FILLER[rng.int(TINY_FILLER.length)]! };
  const sentences = Array.from({ length: 3 + rng.int(4) }, () => fillerSentence(rng));
  return { title: fillerTitle(rng), text: sentences.join(" ") };
}

export interface DocumentContextSpec {
  readonly kind: TaskKind;
  readonly style: TaskStyle;
  readonly target: number;
  readonly draw: SampleDraw;
  readonly env: GeneratorEnv;
  /** Documents holding evidence, in the order they should appear when clustered. */
  readonly evidence: readonly Document[];
  /** Documents that look relevant but are not (placed uniformly). */
  readonly distractors: readonly Document[];
  readonly evidencePosition: EvidencePosition;
  readonly query: Query;
  /** Kind-specific meta (difficulty knobs, provenance) merged into the common fields. */
  readonly meta: Meta;
  /** The record for a given document list (everything but documents and meta is fixed). */
  readonly build: (documents: Document[], evidence: number[]) => TaskRecord;
}

export type Meta = Record<string, string | number | boolean>;

/** The core question and its format instruction, kept apart for the memory agent (§2.3). */
export interface Query {
  readonly core: string;
  readonly inst: string;
}

export interface DocumentContext {
  readonly record: TaskRecord;
  readonly padded: Padded<Document>;
}

export function buildDocumentContext(spec: DocumentContextSpec): DocumentContext {
  const placement = spec.draw.rng("placement");
  const depths = evidenceDepths(spec.evidencePosition, spec.evidence.length, () =>
    placement.next(),
  );
  const pieces: PlacedPiece<Document>[] = [
    ...spec.evidence.map((item, i) => ({ item, depth: depths[i]!, evidence: true })),
    ...spec.distractors.map((item) => ({ item, depth: placement.next(), evidence: false })),
  ];
  const padded = padToTarget<Document>({
    kind: spec.kind,
    pieces,
    target: spec.target,
    fillerUnit: (j) => fillerDocument(spec.style, spec.draw.rng("filler", j)),
    unitChars: (doc) => doc.text.length,
    truncate: (doc, chars) => ({ title: doc.title, text: doc.text.slice(0, chars) }),
    extend: (doc, more, chars) => ({
      title: doc.title,
      text: `${doc.text} ${more.text.slice(0, chars)}`,
    }),
    pack: (units) =>
      spec.style === "tiny" ? [{ title: "", text: units.map((u) => u.text).join("") }] : units,
    measure: (items) =>
      spec.env.tokenizer.count(
        renderPrompt({ ...spec.build([...items], []), meta: { style: spec.style } }),
      ),
  });
  const record = spec.build(padded.items, padded.evidence);
  const meta = {
    ...spec.meta,
    ...commonMeta(spec.style, spec.target, padded, spec.env, spec.query),
  };
  return { record: { ...record, meta }, padded };
}

/** The meta fields every generator records (flat, JSONL/parquet-safe). */
export function commonMeta(
  style: TaskStyle,
  target: number,
  padded: Padded<unknown>,
  env: GeneratorEnv,
  query: Query,
): Meta {
  return {
    style,
    target_tokens: target,
    input_tokens: padded.tokens,
    tokenizer: env.tokenizer.id,
    evidence_depths: padded.depths.map((d) => d.toFixed(3)).join(","),
    q_core: query.core,
    q_inst: query.inst,
  };
}

/** The question text: the core question, then the format instruction (paper §2.3). */
export function joinQuery(query: Query): string {
  return query.inst === "" ? query.core : `${query.core} ${query.inst}`;
}
