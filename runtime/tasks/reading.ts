// Reading comprehension / retrieval with distractors: the context states one asked fact among
// distractor facts (near misses by the similarity knob, facts.ts) and irrelevant padding; the
// answer is the asked value. Tiny: `~.K:37 ,k:52 -?K=` → `37`.

import { z } from "zod";
import type { ReadingRecord } from "../data/schema.ts";
import { joinQuery } from "./documents.ts";
import { drawFactSet, factRecord } from "./fact-context.ts";
import { factQuery } from "./facts.ts";
import { commonParamFields, countRangeSchema, distractorSimilaritySchema } from "./types.ts";
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
    const drawn = drawFactSet(params, draw);
    const query = factQuery(params.style, drawn.facts.target, "Answer with the value only.");
    return factRecord({
      kind: "reading",
      knobs: params,
      drawn,
      draw,
      env,
      query,
      build: (documents, evidence): ReadingRecord => ({
        id: draw.id,
        task: "reading",
        question: joinQuery(query),
        answer: drawn.facts.target.value,
        documents,
        evidence,
      }),
    });
  },
};
