// Per-token values of a batch of responses of different lengths, stored flat: the tokens of
// response i are values[offsets[i] .. offsets[i+1]). This is how rollouts hand entropies,
// log-probabilities and masks to the RL library (no padding, so no mask/padding mix-ups).

export type NumberArray = ArrayLike<number>;

/** Checks that `offsets` describes `responses` responses over `tokens` values; names `what` in errors. */
export function checkOffsets(
  offsets: NumberArray,
  responses: number,
  tokens: number,
  what: string,
): void {
  if (offsets.length !== responses + 1) {
    throw new Error(
      `${what}: offsets has ${offsets.length} entries, expected responses + 1 = ${responses + 1}`,
    );
  }
  if (offsets[0] !== 0) throw new Error(`${what}: offsets[0] must be 0, got ${offsets[0]}`);
  for (let i = 0; i < responses; i++) {
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    if (!Number.isInteger(b) || b < a) {
      throw new Error(
        `${what}: offsets must be non-decreasing integers (response ${i}: ${a} → ${b})`,
      );
    }
  }
  if (offsets[responses] !== tokens) {
    throw new Error(
      `${what}: offsets end at ${offsets[responses]} but there are ${tokens} token values`,
    );
  }
}

/** Offsets from response lengths. */
export function offsetsFromLengths(lengths: NumberArray): Int32Array {
  const out = new Int32Array(lengths.length + 1);
  for (let i = 0; i < lengths.length; i++) out[i + 1] = out[i]! + lengths[i]!;
  return out;
}

/** Mean of values[offsets[i]..offsets[i+1]) for each response; undefined for an empty response. */
export function responseMeans(values: NumberArray, offsets: NumberArray): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (let i = 0; i + 1 < offsets.length; i++) {
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    if (b === a) {
      out.push(undefined);
      continue;
    }
    let s = 0;
    for (let t = a; t < b; t++) s += values[t]!;
    out.push(s / (b - a));
  }
  return out;
}
