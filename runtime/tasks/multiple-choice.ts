// Multiple choice over a document (LongBench-v2-shaped): the asked fact's value is one option;
// the wrong options are first the values of other facts in the same context, so recognising a
// number that merely occurs in the document is not enough, then fresh values. The answer is the
// option letter. Tiny: `~K:37 -L:45 ,A45 B37 ?K=` → `B`.

import { z } from "zod";
import { choiceLetter } from "../data/schema.ts";
import type { MultipleChoiceRecord } from "../data/schema.ts";
import { joinQuery } from "./documents.ts";
import { drawFactSet, factRecord } from "./fact-context.ts";
import { drawValue, factQuery } from "./facts.ts";
import { commonParamFields, countRangeSchema, distractorSimilaritySchema } from "./types.ts";
import type { TaskGenerator } from "./types.ts";

export const multipleChoiceParams = z.strictObject({
  ...commonParamFields,
  /** Facts in the context, the asked one included (default: tiny 1..3, natural 4..12). */
  facts: countRangeSchema.optional(),
  distractorSimilarity: distractorSimilaritySchema,
  /** Number of options (default: tiny 2, natural 4). */
  choices: z.int().min(2).max(26).optional(),
});
export type MultipleChoiceParams = z.infer<typeof multipleChoiceParams>;

export const multipleChoiceGenerator: TaskGenerator<MultipleChoiceParams> = {
  kind: "multiple_choice",
  params: multipleChoiceParams,
  generate(params, draw, env) {
    const drawn = drawFactSet(params, draw);
    const { rng, facts } = drawn;
    const tiny = params.style === "tiny";
    const optionCount = params.choices ?? (tiny ? 2 : 4);

    const used = new Set([facts.target.value, ...facts.distractors.map((f) => f.value)]);
    const wrong = rng.shuffle(facts.distractors.map((f) => f.value)).slice(0, optionCount - 1);
    while (wrong.length < optionCount - 1) wrong.push(drawValue(rng, params.style, used));
    const options = rng.shuffle([facts.target.value, ...wrong]);
    const answer = choiceLetter(options.indexOf(facts.target.value));

    const { attribute, key } = facts.target;
    const query = tiny
      ? factQuery(params.style, facts.target, "")
      : {
          core: `According to the documents, what is the ${attribute} of ${key}?`,
          inst: "Answer with the letter of the correct option only.",
        };
    return factRecord({
      kind: "multiple_choice",
      knobs: params,
      drawn,
      draw,
      env,
      query,
      meta: { answer_value: facts.target.value },
      build: (documents, evidence): MultipleChoiceRecord => ({
        id: draw.id,
        task: "multiple_choice",
        question: joinQuery(query),
        answer,
        choices: options,
        documents,
        evidence,
      }),
    });
  },
};
