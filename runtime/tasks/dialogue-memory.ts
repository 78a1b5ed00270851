// Dialogue memory in the style of MRCR (paper §5.1, Vodrahalli et al. 2024): a long
// conversation holds several similar requests ("write a poem about owls") among other
// requests; the question asks to reproduce the k-th response to one of them, starting with a
// random prefix the sample requires. Graded by mrcr_grade: 0 without the prefix, otherwise the
// sequence ratio of the rest against `answer` (which excludes the prefix, per the schema).
//
// natural: "User: Write a haiku about owls.\n\nAssistant: <verse>" turns, chit-chat padding.
// tiny:    a turn is the topic letter then the response letters (`Pabc`), noise characters
//          between turns; question `?P2:7=` → `7` + the 2nd response about P (`7abc`).
//
// Similar turns: each distractor request shares, with probability `distractorSimilarity`, the
// form or the topic of the asked requests (natural), and otherwise neither.

import { z } from "zod";
import type { DialogueMemoryRecord, Message } from "../data/schema.ts";
import type { Rng } from "../rng.ts";
import { padToTarget, evidenceDepths } from "./padding.ts";
import type { PlacedPiece } from "./padding.ts";
import { commonMeta, joinQuery } from "./documents.ts";
import type { Query } from "./documents.ts";
import { renderPrompt } from "./prompt.ts";
import { commonParamFields, countRangeSchema, drawCount } from "./types.ts";
import type { TaskGenerator, TaskStyle } from "./types.ts";
import { fillerNoun, fillerSentence, FORMS, pick, TOPICS, verseLine } from "./vocab.ts";

export const dialogueMemoryParams = z.strictObject({
  ...commonParamFields,
  /** Requests of the asked kind in the conversation (default: tiny 1..2, natural 2..4). */
  needles: countRangeSchema.optional(),
  /** Other requests in the conversation (default: tiny 0..2, natural 2..6). */
  distractors: countRangeSchema.optional(),
  distractorSimilarity: z.number().min(0).max(1).default(0.5),
});
export type DialogueMemoryParams = z.infer<typeof dialogueMemoryParams>;

/** One exchange: a user request and the assistant's reply (tiny filler: one message). */
type Turn = Message[];

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const TINY_FILLER = "~.,-_+*";

function randomString(rng: Rng, alphabet: string, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

export function ordinal(k: number): string {
  const tens = k % 100;
  if (tens >= 11 && tens <= 13) return `${k}th`;
  return `${k}${["th", "st", "nd", "rd"][k % 10] ?? "th"}`;
}

interface Request {
  readonly form: string;
  readonly topic: string;
}

function requestTurn(style: TaskStyle, rng: Rng, request: Request): Turn {
  if (style === "tiny") {
    const response = randomString(rng, LOWER, 2 + rng.int(2));
    return [
      { role: "user", content: request.topic },
      { role: "assistant", content: response },
    ];
  }
  const lines = Array.from({ length: 2 + rng.int(3) }, () => verseLine(rng, request.topic));
  return [
    { role: "user", content: `Write a ${request.form} about ${request.topic}.` },
    { role: "assistant", content: lines.join("\n") },
  ];
}

function fillerTurn(style: TaskStyle, rng: Rng): Turn {
  if (style === "tiny") {
    return [{ role: "assistant", content: TINY_FILLER[rng.int(TINY_FILLER.length)]! }];
  }
  const reply = Array.from({ length: 2 + rng.int(3) }, () => fillerSentence(rng)).join(" ");
  return [
    { role: "user", content: `Tell me something about the ${fillerNoun(rng)}.` },
    { role: "assistant", content: reply },
  ];
}

function distractorRequest(
  rng: Rng,
  style: TaskStyle,
  asked: Request,
  similarity: number,
): Request {
  if (style === "tiny") {
    return {
      form: "",
      topic: pick(
        rng,
        [...UPPER].filter((t) => t !== asked.topic),
      ),
    };
  }
  const otherForm = pick(
    rng,
    FORMS.filter((f) => f !== asked.form),
  );
  const otherTopic = pick(
    rng,
    TOPICS.filter((t) => t !== asked.topic),
  );
  if (rng.next() >= similarity) return { form: otherForm, topic: otherTopic };
  return rng.int(2) === 0
    ? { form: asked.form, topic: otherTopic }
    : { form: otherForm, topic: asked.topic };
}

function requestQuery(style: TaskStyle, asked: Request, k: number, prefix: string): Query {
  if (style === "tiny") return { core: `?${asked.topic}${k}:${prefix}=`, inst: "" };
  return {
    core: `Reproduce the ${ordinal(k)} ${asked.form} about ${asked.topic} from the conversation above.`,
    inst: `Begin your answer with ${prefix} and then the ${asked.form} exactly, with nothing else.`,
  };
}

export const dialogueMemoryGenerator: TaskGenerator<DialogueMemoryParams> = {
  kind: "dialogue_memory",
  params: dialogueMemoryParams,
  generate(params, draw, env) {
    const rng = draw.rng("requests");
    const tiny = params.style === "tiny";
    const needles = Math.max(
      1,
      drawCount(rng, params.needles ?? (tiny ? { min: 1, max: 2 } : { min: 2, max: 4 })),
    );
    const others = drawCount(
      rng,
      params.distractors ?? (tiny ? { min: 0, max: 2 } : { min: 2, max: 6 }),
    );
    const asked: Request = {
      form: tiny ? "" : pick(rng, FORMS),
      topic: tiny ? pick(rng, [...UPPER]) : pick(rng, TOPICS),
    };
    const target = 1 + rng.int(needles);
    const prefix = tiny ? randomString(rng, "0123456789", 1) : randomString(rng, ALNUM, 10);
    const query = requestQuery(params.style, asked, target, prefix);

    const placement = draw.rng("placement");
    const depths = evidenceDepths(params.evidencePosition, needles, () => placement.next());
    const pieces: PlacedPiece<Turn>[] = [
      ...depths.map((depth) => ({
        item: requestTurn(params.style, rng, asked),
        depth,
        evidence: true,
      })),
      ...Array.from({ length: others }, () => ({
        item: requestTurn(
          params.style,
          rng,
          distractorRequest(rng, params.style, asked, params.distractorSimilarity),
        ),
        depth: placement.next(),
        evidence: false,
      })),
    ];
    const build = (turns: readonly Turn[], answer: string): DialogueMemoryRecord => ({
      id: draw.id,
      task: "dialogue_memory",
      question: joinQuery(query),
      answer,
      conversation: turns.flat(),
      prefix,
      needles,
      target,
    });
    const padded = padToTarget<Turn>({
      kind: "dialogue_memory",
      pieces,
      target: params.inputTokens,
      fillerUnit: (j) => fillerTurn(params.style, draw.rng("filler", j)),
      unitChars: (turn) => turn[turn.length - 1]!.content.length,
      truncate: (turn, chars) => [
        ...turn.slice(0, -1),
        { ...turn[turn.length - 1]!, content: turn[turn.length - 1]!.content.slice(0, chars) },
      ],
      extend: (turn, more, chars) => [
        ...turn.slice(0, -1),
        {
          ...turn[turn.length - 1]!,
          content: `${turn[turn.length - 1]!.content} ${more[more.length - 1]!.content.slice(0, chars)}`,
        },
      ],
      pack: (units) =>
        tiny ? [[{ role: "assistant", content: units.map((u) => u[0]!.content).join("") }]] : units,
      measure: (items) =>
        env.tokenizer.count(renderPrompt({ ...build(items, ""), meta: { style: params.style } })),
    });
    // The k-th request in conversation order is the asked one, wherever the depths put them.
    const askedTurn = padded.items[padded.evidence[target - 1]!]!;
    const record = build(padded.items, askedTurn[1]!.content);
    return {
      ...record,
      meta: {
        ...commonMeta(params.style, params.inputTokens, padded, env, query),
        distractors: others,
        distractor_similarity: params.distractorSimilarity,
        topic: asked.topic,
        ...(tiny ? {} : { form: asked.form }),
      },
    };
  },
};
