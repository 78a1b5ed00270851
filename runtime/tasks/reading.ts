// Reading comprehension / retrieval with distractors: the context states one asked fact among
// distractor facts (near misses by the similarity knob, facts.ts) and irrelevant padding; the
// answer is the asked value. Tiny: `~.K:37 ,k:52 -?K=` → `37`.

import { z } from "zod";
import type { ReadingRecord } from "../data/schema.ts";
import { buildDocumentContext, joinQuery } from "./documents.ts";
import { drawFacts, factDocument, factQuery } from "./facts.ts";
import {
  commonParamFields,
  countRangeSchema,
  distractorSimilaritySchema,
  drawCount,
  resolveSimilarity,
} from "./types.ts";
import type { TaskGenerator } from "./types.ts";

export const readingParams = z.strictObject({
  ...commonParamFields,
  /** Facts in the context, the asked one included (default: tiny 1..3, natural 4..12). */
  facts: countRangeSchema.optional(),
  distractorSimilarity: distractorSimilaritySchema,
});
export type ReadingParams = z.infer<typeof readingParams>;

export const readingGenerator: TaskGenerator<ReadingParams> = {
  kind: "reading",
  params: readingParams,
  generate(params, draw, env) {
    const similarity = resolveSimilarity(params.style, params.distractorSimilarity);
    const rng = draw.rng("facts");
    const range =
      params.facts ?? (params.style === "tiny" ? { min: 1, max: 3 } : { min: 4, max: 12 });
    const count = Math.max(1, drawCount(rng, range));
    const facts = drawFacts(rng, params.style, count, similarity);
    const query = factQuery(params.style, facts.target, "Answer with the value only.");
    const { record } = buildDocumentContext({
      kind: "reading",
      style: params.style,
      target: params.inputTokens,
      draw,
      env,
      evidence: [factDocument(params.style, facts.target)],
      distractors: facts.distractors.map((f) => factDocument(params.style, f)),
      evidencePosition: params.evidencePosition,
      query,
      meta: {
        facts: count,
        near_misses: facts.distractors.filter((f) => f.nearMiss).length,
        distractor_similarity: similarity,
      },
      build: (documents, evidence): ReadingRecord => ({
        id: draw.id,
        task: "reading",
        question: joinQuery(query),
        answer: facts.target.value,
        documents,
        evidence,
      }),
    });
    return record;
  },
};
