// A reading position in an endless sequence of shuffled epochs over a fixed list of items.
// Epoch e's order is a Fisher–Yates shuffle drawn from the stream (seed, ...keys, "epoch", e), so
// the state is small — { epoch, position, deferred } — and a resumed cursor recomputes its
// permutation and continues exactly where a never-stopped one would (DESIGN.md, "The runtime graph").
// When one take() crosses into a new epoch, the items it already took from the old epoch are
// moved to the end of the new epoch's order (`deferred`), so a take of at most items.length
// never returns an item twice; each epoch still visits every item once.

import { Rng, type RngKey } from "../../rng.ts";

export interface CursorState {
  readonly epoch: number;
  readonly position: number;
  /** Items moved to the end of this epoch's order because the crossing take already had them. */
  readonly deferred: readonly number[];
}

export class ShuffledCursor {
  private epoch: number;
  private position: number;
  private deferred: number[];
  private order: number[];

  constructor(
    private readonly items: readonly number[],
    private readonly seed: number,
    private readonly keys: readonly RngKey[],
    state: CursorState = { epoch: 0, position: 0, deferred: [] },
  ) {
    const what = `sampler cursor ${keys.join("/")}`;
    if (items.length === 0) throw new Error(`${what}: no items to draw from`);
    const known = new Set(items);
    const valid =
      Number.isInteger(state.epoch) &&
      state.epoch >= 0 &&
      Number.isInteger(state.position) &&
      state.position >= 0 &&
      state.position <= items.length &&
      Array.isArray(state.deferred) &&
      state.deferred.every((i) => known.has(i));
    if (!valid)
      throw new Error(`${what}: invalid state ${JSON.stringify(state)} for ${items.length} items`);
    this.epoch = state.epoch;
    this.position = state.position;
    this.deferred = [...state.deferred];
    this.order = this.permutation();
  }

  /** The next `count` (≤ items.length) distinct items; an exhausted epoch continues into a freshly shuffled one. */
  take(count: number): number[] {
    if (count > this.items.length) {
      throw new Error(
        `sampler cursor ${this.keys.join("/")}: cannot take ${count} distinct items from ${this.items.length}`,
      );
    }
    const out: number[] = [];
    while (out.length < count) {
      if (this.position === this.items.length) {
        this.epoch++;
        this.position = 0;
        this.deferred = [...out];
        this.order = this.permutation();
      }
      const n = Math.min(count - out.length, this.items.length - this.position);
      for (let k = 0; k < n; k++) out.push(this.order[this.position + k]!);
      this.position += n;
    }
    return out;
  }

  state(): CursorState {
    return { epoch: this.epoch, position: this.position, deferred: [...this.deferred] };
  }

  private permutation(): number[] {
    const shuffled = Rng.stream(this.seed, ...this.keys, "epoch", this.epoch).shuffle([
      ...this.items,
    ]);
    if (this.deferred.length === 0) return shuffled;
    const late = new Set(this.deferred);
    return [...shuffled.filter((i) => !late.has(i)), ...shuffled.filter((i) => late.has(i))];
  }
}
