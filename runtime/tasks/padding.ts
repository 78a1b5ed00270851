// Pads a context with irrelevant material to a target prompt length in tokens (paper §3:
// "we further extend the context to our target length by strategically inserting irrelevant
// documents"). The padding is a deterministic stream of filler units (an irrelevant document,
// a chit-chat turn, or one noise character in the tiny style); the evidence and distractor
// pieces sit between them at their requested depths.
//
// Exactness: we take the largest number n of whole filler units whose prompt fits, then add
// unit n cut to the longest prefix that still fits; when not even its overhead fits, we append
// a prefix of unit n's text to unit n-1's text instead. The prompt is measured with the real
// tokenizer on the fully rendered text each time, so the result never exceeds the target. With
// the byte tokenizer and ASCII filler every character is one token, so the target is hit
// exactly (±0) whenever it exceeds the unpadded prompt by at least the fixed overhead of one
// filler unit (its title and separators, ~30 bytes in the natural style, 0 in the tiny style;
// with no room for even one unit the prompt is short by less than that overhead). With a subword
// tokenizer a cut can merge tokens, so the prompt can end a few tokens short; the record's
// `meta.input_tokens` is always the measured length.

import { TaskParamError } from "./types.ts";
import type { TaskKind } from "../data/schema.ts";

export interface PlacedPiece<T> {
  readonly item: T;
  /** Fraction of the padding that comes before this piece, in [0, 1]. */
  readonly depth: number;
  readonly evidence: boolean;
}

export interface PaddingSpec<T> {
  readonly kind: TaskKind;
  readonly pieces: readonly PlacedPiece<T>[];
  /** Filler unit j of a deterministic, unbounded stream. */
  fillerUnit(j: number): T;
  /** Characters of a unit's text that `truncate` can keep. */
  unitChars(unit: T): number;
  /** The unit with its text cut to the first `chars` characters. */
  truncate(unit: T, chars: number): T;
  /** `unit` with the first `chars` characters of `more`'s text appended to its text. */
  extend(unit: T, more: T, chars: number): T;
  /** Turns a run of consecutive filler units into context items (merge, or keep as is). */
  pack(units: T[]): T[];
  /** Tokens of the whole rendered prompt if the context were exactly `items`. */
  measure(items: readonly T[]): number;
  readonly target: number;
}

export interface Padded<T> {
  readonly items: T[];
  /** Indices into `items` of the evidence pieces, in context order. */
  readonly evidence: number[];
  /** Realised depth of each evidence piece (share of filler units before it). */
  readonly depths: number[];
  readonly tokens: number;
}

interface Layout<T> {
  items: T[];
  evidence: number[];
  depths: number[];
}

function layout<T>(spec: PaddingSpec<T>, order: readonly PlacedPiece<T>[], units: T[]): Layout<T> {
  const items: T[] = [];
  const evidence: number[] = [];
  const depths: number[] = [];
  let next = 0;
  const flush = (upTo: number): void => {
    if (upTo > next) items.push(...spec.pack(units.slice(next, upTo)));
    next = Math.max(next, upTo);
  };
  for (const piece of order) {
    flush(Math.round(piece.depth * units.length));
    if (piece.evidence) {
      evidence.push(items.length);
      depths.push(units.length === 0 ? 0 : next / units.length);
    }
    items.push(piece.item);
  }
  flush(units.length);
  return { items, evidence, depths };
}

export function padToTarget<T>(spec: PaddingSpec<T>): Padded<T> {
  // A stable sort keeps the caller's order among pieces at the same depth (e.g. a clustered
  // evidence block keeps its internal order).
  const order = [...spec.pieces].sort((a, b) => a.depth - b.depth);
  const cache: T[] = [];
  const unitsUpTo = (n: number): T[] => {
    for (let j = cache.length; j < n; j++) cache.push(spec.fillerUnit(j));
    return cache.slice(0, n);
  };
  const tokensWith = (units: T[]): number => spec.measure(layout(spec, order, units).items);

  const bare = tokensWith([]);
  if (bare > spec.target) {
    throw new TaskParamError(
      spec.kind,
      `the prompt needs ${bare} tokens before any padding, more than the target ${spec.target}; ` +
        `raise inputTokens or lower the number of facts/turns/choices`,
    );
  }
  // Largest n whole units that fit: grow by doubling, then bisect.
  let lo = 0;
  let hi = 1;
  while (tokensWith(unitsUpTo(hi)) <= spec.target) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (tokensWith(unitsUpTo(mid)) <= spec.target) lo = mid;
    else hi = mid;
  }
  let units = unitsUpTo(lo);
  let tokens = tokensWith(units);
  if (tokens < spec.target) {
    // Fill the remainder with the longest prefix of the next unit that fits.
    const nextUnit = unitsUpTo(lo + 1)[lo]!;
    let keepLo = 0;
    let keepHi = spec.unitChars(nextUnit);
    while (keepHi - keepLo > 0) {
      const mid = (keepLo + keepHi + 1) >>> 1;
      if (tokensWith([...units, spec.truncate(nextUnit, mid)]) <= spec.target) keepLo = mid;
      else keepHi = mid - 1;
    }
    if (keepLo > 0) {
      units = [...units, spec.truncate(nextUnit, keepLo)];
    } else if (units.length > 0) {
      // Less room than a new unit's overhead (its title, separators): lengthen the last
      // whole unit's text instead.
      const head = units.slice(0, -1);
      const last = units[units.length - 1]!;
      let growLo = -1;
      let growHi = spec.unitChars(nextUnit);
      while (growHi - growLo > 0) {
        const mid = (growLo + growHi + 1) >> 1;
        if (tokensWith([...head, spec.extend(last, nextUnit, mid)]) <= spec.target) growLo = mid;
        else growHi = mid - 1;
      }
      if (growLo >= 0) units = [...head, spec.extend(last, nextUnit, growLo)];
    }
    tokens = tokensWith(units);
  }
  const result = layout(spec, order, units);
  return { ...result, tokens };
}

/**
 * Depths for `count` evidence pieces: independent uniform draws, or all at one fixed depth
 * (named positions: start 0, middle 0.5, end 1).
 */
export function evidenceDepths(
  position: "uniform" | "start" | "middle" | "end" | number,
  count: number,
  uniform: () => number,
): number[] {
  const fixed =
    position === "start" ? 0 : position === "middle" ? 0.5 : position === "end" ? 1 : position;
  return Array.from({ length: count }, () => (fixed === "uniform" ? uniform() : fixed));
}
