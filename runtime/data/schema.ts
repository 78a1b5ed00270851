// The record schema of every qlx dataset, one zod schema per task kind. Generators
// (runtime/tasks/) write these records, readers validate them, rewards read their fields, and
// `qlx data check FILE` reports the first field that does not fit.
//
// A record is one question over a long context, with a ground truth a program can check
// (paper §3: verifiable questions over documents; §5.1 rewards). Common fields:
//
//   id        unique within a file, non-empty string.
//   task      the task kind, the discriminator: "multiple_choice" | "multihop" | "reading" |
//             "dialogue_memory" | "corpus_numeric". Task-balanced sampling groups by it.
//   question  the question put to the policy, after the context.
//   answer    the ground truth as text (for multiple_choice: the letter "A".."Z").
//   aliases   optional, other answers accepted as equal (rewards take the best match).
//   meta      optional flat map of difficulty knobs and provenance (hops, evidence position,
//             distractor similarity, target tokens, generator seed…): strings, numbers and
//             booleans only, so it survives JSONL, parquet and verl's data preparation alike.
//
// Context: every kind but dialogue_memory has `documents`, the paper's {c_i} (§2.1): a list
// of {title, text}; `evidence` lists the indices of the documents that hold the evidence
// (the others are padding or distractors). dialogue_memory has a `conversation` instead.
//
// Per kind:
//   multiple_choice  choices: 2..26 option texts; answer: the letter of the right one.
//   multihop         hops: number of reasoning hops (≥ 1) over a generated knowledge graph.
//   reading          (common fields only) reading comprehension / retrieval with distractors.
//   dialogue_memory  MRCR-style: conversation (user/assistant turns), prefix: the random
//                    string the answer must start with (MRCR's `random_string_to_prepend`),
//                    needles: how many similar requests the conversation holds, target: which
//                    one (1-based) the question asks for. `answer` is the assistant turn to
//                    reproduce, WITHOUT the prefix (rewards/mrcr.ts documents the grading).
//   corpus_numeric   value: the numeric answer (`answer` is its text rendering); sql: the query
//                    that derived it from the generated tables, kept so a test re-derives it;
//                    unit: optional unit of the value ("%", "USD"...).

import { z } from "zod";

export const TASK_KINDS = [
  "multiple_choice",
  "multihop",
  "reading",
  "dialogue_memory",
  "corpus_numeric",
] as const;

export type TaskKind = (typeof TASK_KINDS)[number];

export const documentSchema = z.strictObject({
  title: z.string(),
  text: z.string(),
});

export const messageSchema = z.strictObject({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});

const metaSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const commonFields = {
  id: z.string().min(1),
  question: z.string(),
  answer: z.string(),
  aliases: z.array(z.string()).optional(),
  meta: metaSchema.optional(),
};

const documentFields = {
  documents: z.array(documentSchema),
  evidence: z.array(z.int().nonnegative()).optional(),
};

const CHOICE_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export const multipleChoiceSchema = z
  .strictObject({
    task: z.literal("multiple_choice"),
    ...commonFields,
    ...documentFields,
    choices: z.array(z.string()).min(2).max(26),
    answer: z.string().regex(/^[A-Z]$/, "answer must be one choice letter A-Z"),
  })
  .refine((r) => CHOICE_LETTERS.indexOf(r.answer) < r.choices.length, {
    message: "answer letter is beyond the number of choices",
    path: ["answer"],
  });

export const multihopSchema = z.strictObject({
  task: z.literal("multihop"),
  ...commonFields,
  ...documentFields,
  hops: z.int().min(1),
});

export const readingSchema = z.strictObject({
  task: z.literal("reading"),
  ...commonFields,
  ...documentFields,
});

export const dialogueMemorySchema = z.strictObject({
  task: z.literal("dialogue_memory"),
  ...commonFields,
  conversation: z.array(messageSchema).min(1),
  prefix: z.string().min(1),
  needles: z.int().min(1),
  target: z.int().min(1),
});

export const corpusNumericSchema = z.strictObject({
  task: z.literal("corpus_numeric"),
  ...commonFields,
  ...documentFields,
  value: z.number().refine(Number.isFinite, "value must be a finite number"),
  sql: z.string().optional(),
  unit: z.string().optional(),
});

/** One schema per task kind, keyed by the `task` field. */
export const recordSchemas = {
  multiple_choice: multipleChoiceSchema,
  multihop: multihopSchema,
  reading: readingSchema,
  dialogue_memory: dialogueMemorySchema,
  corpus_numeric: corpusNumericSchema,
} as const;

/** Any record; dispatches on `task` so an error names the fields of the right kind. */
export const taskRecordSchema = z.discriminatedUnion("task", [
  multipleChoiceSchema,
  multihopSchema,
  readingSchema,
  dialogueMemorySchema,
  corpusNumericSchema,
]);

export type Document = z.infer<typeof documentSchema>;
export type Message = z.infer<typeof messageSchema>;
export type MultipleChoiceRecord = z.infer<typeof multipleChoiceSchema>;
export type MultihopRecord = z.infer<typeof multihopSchema>;
export type ReadingRecord = z.infer<typeof readingSchema>;
export type DialogueMemoryRecord = z.infer<typeof dialogueMemorySchema>;
export type CorpusNumericRecord = z.infer<typeof corpusNumericSchema>;
export type TaskRecord = z.infer<typeof taskRecordSchema>;

/** The letter of choice `index` (0 → "A"). */
export function choiceLetter(index: number): string {
  const letter = CHOICE_LETTERS[index];
  if (letter === undefined) throw new RangeError(`choiceLetter: index ${index} is not in 0..25`);
  return letter;
}

/** The index of a choice letter ("A" → 0), or -1 when it is not a letter A-Z. */
export function choiceIndex(letter: string): number {
  return letter.length === 1 ? CHOICE_LETTERS.indexOf(letter.toUpperCase()) : -1;
}

export interface SchemaIssue {
  /** Dotted path of the offending field, e.g. `documents.3.text`; "" for the record itself. */
  readonly field: string;
  readonly message: string;
}

export type ValidationResult =
  | { readonly ok: true; readonly record: TaskRecord }
  | { readonly ok: false; readonly issues: readonly SchemaIssue[] };

/** Validates one parsed value as a task record; issues name the zod path of each field. */
export function validateRecord(value: unknown): ValidationResult {
  const parsed = taskRecordSchema.safeParse(value);
  if (parsed.success) return { ok: true, record: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.flatMap((issue) => {
      const path = issue.path.map(String);
      // An unknown key is reported at the key itself, so the message names the typo.
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((key) => ({
          field: [...path, key].join("."),
          message: "unknown field (put extra data in `meta`)",
        }));
      }
      return [{ field: path.join("."), message: issue.message }];
    }),
  };
}
