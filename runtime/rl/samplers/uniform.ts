// `uniform` sampler: batches read in order from shuffled epochs of the whole dataset. A batch
// that reaches the end of an epoch is completed from the next (re-shuffled) epoch, so every
// batch has exactly batchSize items.

import { ShuffledCursor, type CursorState } from "./shuffledCursor.ts";

export interface UniformSamplerState {
  readonly kind: "uniform";
  readonly batches: number;
  readonly cursor: CursorState;
}

export class UniformSampler {
  private readonly cursor: ShuffledCursor;
  private batches: number;

  /** `datasetSize` items, indices 0..datasetSize-1. */
  constructor(
    datasetSize: number,
    readonly batchSize: number,
    seed: number,
    state?: UniformSamplerState,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`uniform sampler: batch size must be a positive integer, got ${batchSize}`);
    if (batchSize > datasetSize) {
      throw new Error(
        `uniform sampler: batch size ${batchSize} exceeds the dataset's ${datasetSize} items`,
      );
    }
    this.cursor = new ShuffledCursor(
      Array.from({ length: datasetSize }, (_, i) => i),
      seed,
      ["sampler", "uniform"],
      state?.cursor,
    );
    this.batches = state?.batches ?? 0;
  }

  nextBatch(): number[] {
    this.batches++;
    return this.cursor.take(this.batchSize);
  }

  state(): UniformSamplerState {
    return { kind: "uniform", batches: this.batches, cursor: this.cursor.state() };
  }
}
