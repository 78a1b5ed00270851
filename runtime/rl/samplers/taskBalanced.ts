// `task_balanced(over)` sampler (paper §4.2, second bullet; the authors' DomainSampler with equal
// weights): every batch holds an equal share of each value of the `over` field (the task type).
//
// With T tasks and batch size B, each task gets ⌊B/T⌋ items and the remainder r = B mod T goes
// one each to r tasks chosen by rotation: batch b gives the extra item to the tasks at positions
// (b·r + j) mod T, j < r, of the task list (the IR's `over`, in its order; by default every task
// of the dataset, sorted by name) — deterministic, and over T batches every task gets the same
// number of extras. Items of tasks not in the list are not sampled. (DomainSampler gives the remainder always to the same
// tasks, the ones first in weight order.)
// Each task reads its own shuffled epochs (ShuffledCursor), so a task that runs out re-shuffles
// and continues; the batch never shrinks. A batch whose share for a task exceeds that task's
// item count would have to repeat items within the batch: that is an error naming the task
// (DomainSampler silently takes fewer). The batch's items are then shuffled so that order
// within a batch carries no task pattern.

import { Rng } from "../../rng.ts";
import { ShuffledCursor, type CursorState } from "./shuffledCursor.ts";

export interface TaskBalancedOptions {
  readonly batchSize: number;
  /** Name of the field balanced over, for messages (e.g. "task"). */
  readonly over: string;
  /** The values balanced over, in rotation order; default: every value in the data, sorted. */
  readonly tasks?: readonly string[];
}

export interface TaskBalancedState {
  readonly kind: "task_balanced";
  readonly batches: number;
  readonly cursors: Readonly<Record<string, CursorState>>;
}

export class TaskBalancedSampler {
  private readonly tasks: string[];
  private readonly cursors = new Map<string, ShuffledCursor>();
  private batches: number;

  /** `keys[i]` is dataset item i's value of the `over` field. */
  constructor(
    keys: readonly string[],
    readonly opts: TaskBalancedOptions,
    private readonly seed: number,
    state?: TaskBalancedState,
  ) {
    const { batchSize, over } = opts;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(
        `task_balanced(over = ${over}): batch size must be a positive integer, got ${batchSize}`,
      );
    }
    const byTask = new Map<string, number[]>();
    keys.forEach((k, i) => {
      const list = byTask.get(k);
      if (list) list.push(i);
      else byTask.set(k, [i]);
    });
    if (byTask.size === 0) throw new Error(`task_balanced(over = ${over}): the dataset is empty`);
    this.tasks = opts.tasks ? [...opts.tasks] : [...byTask.keys()].sort();
    if (this.tasks.length === 0 || new Set(this.tasks).size !== this.tasks.length) {
      throw new Error(
        `task_balanced(over = ${over}): the list of values must be non-empty and without repeats, got [${this.tasks.join(", ")}]`,
      );
    }
    for (const task of this.tasks) {
      if (!byTask.has(task))
        throw new Error(
          `task_balanced(over = ${over}): ${over} "${task}" has no items in the dataset`,
        );
    }
    const maxShare = Math.ceil(batchSize / this.tasks.length);
    for (const task of this.tasks) {
      const items = byTask.get(task)!;
      if (items.length < maxShare) {
        throw new Error(
          `task_balanced(over = ${over}): ${over} "${task}" has ${items.length} items but a batch of ${batchSize} over ${this.tasks.length} values needs up to ${maxShare} distinct items from it`,
        );
      }
    }
    if (state) {
      const saved = Object.keys(state.cursors).sort();
      if (saved.join("\u0000") !== [...this.tasks].sort().join("\u0000")) {
        throw new Error(
          `task_balanced(over = ${over}): saved state covers [${saved.join(", ")}] but the dataset has [${this.tasks.join(", ")}]`,
        );
      }
    }
    for (const task of this.tasks) {
      this.cursors.set(
        task,
        new ShuffledCursor(
          byTask.get(task)!,
          seed,
          ["sampler", "task_balanced", task],
          state?.cursors[task],
        ),
      );
    }
    this.batches = state?.batches ?? 0;
  }

  /** How many items each task contributes to batch number `batch` (0-based). */
  shares(batch: number): Map<string, number> {
    const t = this.tasks.length;
    const base = Math.floor(this.opts.batchSize / t);
    const rem = this.opts.batchSize % t;
    const out = new Map(this.tasks.map((task) => [task, base]));
    for (let j = 0; j < rem; j++) {
      const task = this.tasks[(batch * rem + j) % t]!;
      out.set(task, out.get(task)! + 1);
    }
    return out;
  }

  nextBatch(): number[] {
    const b = this.batches++;
    const out: number[] = [];
    for (const [task, count] of this.shares(b)) out.push(...this.cursors.get(task)!.take(count));
    return Rng.stream(this.seed, "sampler", "task_balanced", "batch", b).shuffle(out);
  }

  state(): TaskBalancedState {
    const cursors: Record<string, CursorState> = {};
    for (const [task, c] of this.cursors) cursors[task] = c.state();
    return { kind: "task_balanced", batches: this.batches, cursors };
  }
}
