// Word material for the natural rendering of the task generators. Entity names are built
// from syllables, so the name space is large, names carry no world knowledge a model could
// answer from (the paper's "knowledge grounding check", §3), and a name one syllable away
// from another is a controllable near-miss distractor. Filler words are lower-case, digit-free
// English, so irrelevant text can never state a fact in the form the questions ask about.

import type { Rng } from "../rng.ts";

const SYLLABLES = [
  "ba", "dor", "fen", "gal", "hir", "jo", "kel", "lum", "mar", "nev",
  "ost", "pra", "quil", "ros", "sel", "tam", "ur", "vin", "wex", "yar",
  "zo", "cal", "dri", "esk", "fal", "gri", "hol", "ith", "kor", "lan",
]; // prettier-ignore

/** A capitalised name of `parts` syllables, e.g. "Kelmarost". */
export function makeName(rng: Rng, parts: number): string {
  let name = "";
  for (let i = 0; i < parts; i++) name += SYLLABLES[rng.int(SYLLABLES.length)];
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** `name` with one syllable-sized piece replaced: a near-miss that differs in a few letters. */
export function nearMissName(rng: Rng, name: string): string {
  const lower = name.toLowerCase();
  for (let attempt = 0; attempt < 16; attempt++) {
    const syllable = SYLLABLES[rng.int(SYLLABLES.length)]!;
    const at = lower.lastIndexOf(syllable);
    if (at < 0) continue;
    const replacement = SYLLABLES[rng.int(SYLLABLES.length)]!;
    if (replacement === syllable) continue;
    const mutated = lower.slice(0, at) + replacement + lower.slice(at + syllable.length);
    return mutated.charAt(0).toUpperCase() + mutated.slice(1);
  }
  // No syllable could be swapped in place (impossible for names from makeName, kept total).
  return name + SYLLABLES[rng.int(SYLLABLES.length)];
}

const MAX_NAMES = 500;

/**
 * Whether one name starts with the other ("Kelmar", "Kelmarost"): such pairs would let a
 * contains/CEM reward accept the wrong entity, so one sample never holds both.
 */
export function prefixRelated(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/** Draws `count` names, none equal to or prefix-related with another or with `avoid`. */
export function distinctNames(rng: Rng, count: number, avoid: ReadonlySet<string>): string[] {
  // The syllable space holds ~28k names, but prefix exclusion thins it fast: stay well inside.
  if (count + avoid.size > MAX_NAMES) {
    throw new RangeError(`distinctNames: at most ${MAX_NAMES} names per sample, asked ${count}`);
  }
  const names: string[] = [];
  const taken = [...avoid];
  while (names.length < count) {
    const name = makeName(rng, 2 + rng.int(2));
    if (taken.some((t) => prefixRelated(t, name))) continue;
    names.push(name);
    taken.push(name);
  }
  return names;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

/** Attributes a registry fact can state ("the locker number of Kelmar is 4821"). */
export const ATTRIBUTES = [
  "locker number", "badge code", "room number", "budget code", "parcel id",
  "license number", "ticket number", "account suffix", "shelf mark", "permit code",
]; // prettier-ignore

/** Relations of the knowledge graph, each a partial function person → person. */
export const RELATIONS = [
  { phrase: "the mentor of", fact: (a: string, b: string) => `${a} was mentored by ${b}.` },
  { phrase: "the manager of", fact: (a: string, b: string) => `${a} reports to ${b}.` },
  { phrase: "the neighbour of", fact: (a: string, b: string) => `${a} lives next door to ${b}.` },
  { phrase: "the rival of", fact: (a: string, b: string) => `${a} has a long rivalry with ${b}.` },
  { phrase: "the tutor of", fact: (a: string, b: string) => `${a} was tutored by ${b}.` },
  { phrase: "the business partner of", fact: (a: string, b: string) => `${a} runs a business with ${b}.` },
] as const; // prettier-ignore

/** Topics and forms of the MRCR-style conversations. */
export const TOPICS = [
  "penguins", "lighthouses", "tax forms", "volcanoes", "trains", "bees", "glaciers",
  "chess", "bakeries", "comets", "rivers", "libraries", "owls", "harbors", "deserts",
]; // prettier-ignore
export const FORMS = ["poem", "riddle", "short story", "limerick", "haiku", "song"];

/** Measured quantities of the corpus tables, with their unit. */
export const METRICS = [
  { name: "revenue", unit: "thousand dollars" },
  { name: "shipments", unit: "crates" },
  { name: "energy use", unit: "megawatt hours" },
  { name: "headcount", unit: "employees" },
] as const;

const NOUNS = [
  "committee", "harbor", "orchard", "archive", "bridge", "garden", "council", "workshop",
  "market", "station", "valley", "festival", "museum", "factory", "village", "river",
  "meadow", "tower", "schedule", "survey", "lantern", "quarry", "canal", "pasture",
]; // prettier-ignore
const ADJECTIVES = [
  "quiet", "northern", "annual", "old", "careful", "busy", "narrow", "broad", "early",
  "late", "wooden", "coastal", "patient", "formal", "gentle", "distant", "rainy", "local",
]; // prettier-ignore
const VERBS = [
  "reviewed", "discussed", "repaired", "described", "visited", "painted", "measured",
  "postponed", "praised", "cleaned", "planned", "recorded", "mapped", "restored",
]; // prettier-ignore

/** One digit-free filler sentence, e.g. "The quiet committee reviewed the old harbor." */
export function fillerSentence(rng: Rng): string {
  const subject = `${pick(rng, ADJECTIVES)} ${pick(rng, NOUNS)}`;
  const object = `${pick(rng, ADJECTIVES)} ${pick(rng, NOUNS)}`;
  const tail = rng.int(2) === 0 ? "" : ` near the ${pick(rng, NOUNS)}`;
  return `The ${subject} ${pick(rng, VERBS)} the ${object}${tail}.`;
}

export function fillerNoun(rng: Rng): string {
  return pick(rng, NOUNS);
}

/** A title for an irrelevant document. */
export function fillerTitle(rng: Rng): string {
  const noun = pick(rng, NOUNS);
  return `Notes on the ${pick(rng, ADJECTIVES)} ${noun}`;
}

/** A line of verse for the MRCR-style responses: lower-case words, no digits. */
export function verseLine(rng: Rng, topic: string): string {
  const words = [pick(rng, ADJECTIVES), pick(rng, NOUNS), pick(rng, VERBS), "the"];
  words.push(rng.int(3) === 0 ? topic : pick(rng, NOUNS));
  return words.join(" ");
}
