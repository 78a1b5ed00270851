// Python's `difflib.SequenceMatcher(None, a, b).ratio()`, ported from CPython's
// Lib/difflib.py so that scores equal the Python ones bit for bit. MRCR is scored by this
// ratio (paper §5.1, "For MRCR, we report the SequenceMatcher ratio"), and so is the
// dialogue-memory task; a near-copy would shift every MRCR number we report.
//
// Faithfulness points that change results:
// - Strings are compared by Unicode code points (Python `str` elements), not UTF-16 units:
//   an astral character is one element, so lengths and matches agree with Python.
// - The autojunk heuristic: when the SECOND sequence has n ≥ 200 elements, every element
//   occurring more than n // 100 + 1 times in it is "popular" and removed from the index used
//   to seed matches (`__chain_b`). Popular elements are not junk: the extension step of
//   find_longest_match still grows a match across them.
// - get_matching_blocks recurses on the left and right remainders of the longest match; the
//   ratio is 2·M / (len(a) + len(b)), and 1.0 when both are empty (`_calculate_ratio`).

export interface MatchingBlock {
  /** Start in a. */
  readonly i: number;
  /** Start in b. */
  readonly j: number;
  /** Length of the match. */
  readonly size: number;
}

/** Index of b: element → ascending positions, without popular elements (CPython `b2j`). */
function chainB<T>(b: readonly T[]): Map<T, number[]> {
  const b2j = new Map<T, number[]>();
  for (let j = 0; j < b.length; j++) {
    const elt = b[j]!;
    const indices = b2j.get(elt);
    if (indices === undefined) b2j.set(elt, [j]);
    else indices.push(j);
  }
  const n = b.length;
  if (n >= 200) {
    const ntest = Math.floor(n / 100) + 1;
    for (const [elt, indices] of b2j) if (indices.length > ntest) b2j.delete(elt);
  }
  return b2j;
}

const NO_INDICES: readonly number[] = [];

/** CPython `find_longest_match` with no junk function (`isjunk=None`). */
function findLongestMatch<T>(
  a: readonly T[],
  b: readonly T[],
  b2j: Map<T, number[]>,
  alo: number,
  ahi: number,
  blo: number,
  bhi: number,
): MatchingBlock {
  let besti = alo;
  let bestj = blo;
  let bestsize = 0;
  // j2len[j] = length of the longest match ending with a[i-1] and b[j].
  let j2len = new Map<number, number>();
  for (let i = alo; i < ahi; i++) {
    const newj2len = new Map<number, number>();
    for (const j of b2j.get(a[i]!) ?? NO_INDICES) {
      if (j < blo) continue;
      if (j >= bhi) break;
      const k = (j2len.get(j - 1) ?? 0) + 1;
      newj2len.set(j, k);
      if (k > bestsize) {
        besti = i - k + 1;
        bestj = j - k + 1;
        bestsize = k;
      }
    }
    j2len = newj2len;
  }
  // Extend across elements left out of b2j (the popular ones); with no junk function the
  // junk-only extension loops of CPython never run, so they are omitted.
  while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
    besti--;
    bestj--;
    bestsize++;
  }
  while (
    besti + bestsize < ahi &&
    bestj + bestsize < bhi &&
    a[besti + bestsize] === b[bestj + bestsize]
  ) {
    bestsize++;
  }
  return { i: besti, j: bestj, size: bestsize };
}

/** CPython `get_matching_blocks` without the final sentinel, sorted by position. */
export function matchingBlocks<T>(a: readonly T[], b: readonly T[]): MatchingBlock[] {
  const b2j = chainB(b);
  const queue: [number, number, number, number][] = [[0, a.length, 0, b.length]];
  const blocks: MatchingBlock[] = [];
  while (queue.length > 0) {
    const [alo, ahi, blo, bhi] = queue.pop()!;
    const m = findLongestMatch(a, b, b2j, alo, ahi, blo, bhi);
    if (m.size > 0) {
      blocks.push(m);
      if (alo < m.i && blo < m.j) queue.push([alo, m.i, blo, m.j]);
      if (m.i + m.size < ahi && m.j + m.size < bhi)
        queue.push([m.i + m.size, ahi, m.j + m.size, bhi]);
    }
  }
  return blocks.sort((x, y) => x.i - y.i || x.j - y.j);
}

/** `SequenceMatcher(None, a, b).ratio()` over arbitrary element sequences (e.g. token ids). */
export function sequenceRatioOf<T>(a: readonly T[], b: readonly T[]): number {
  const length = a.length + b.length;
  if (length === 0) return 1.0;
  let matches = 0;
  for (const block of matchingBlocks(a, b)) matches += block.size;
  return (2.0 * matches) / length;
}

/** Unicode code points of a string, the elements of a Python `str`. */
export function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(ch.codePointAt(0)!);
  return out;
}

/** `difflib.SequenceMatcher(None, a, b).ratio()` for two strings, by code point. */
export function sequenceRatio(a: string, b: string): number {
  return sequenceRatioOf(codePoints(a), codePoints(b));
}
