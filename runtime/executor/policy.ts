// The policy as the executor sees it: one set of resident weights (TrainState) that the
// generator samples from and the training step updates. Sequences are packed right-padded
// into [B, T] (causal attention never looks right, so no key mask is needed), T rounded up
// to a bucket so a stage reuses a handful of compiled graphs.
import { byteTokenizer } from "../tokenizer/byte.ts";
import type { ModelConfig } from "../model/config.ts";
import { loadCheckpoint, saveCheckpoint } from "../model/checkpoint.ts";
import {
  PolicyGenerator,
  type GeneratedSequence,
  type GenerateOptions,
} from "../model/generate.ts";
import {
  buildLogProbs,
  compileTrainStep,
  lossScalars,
  weightShapes,
  type LossHyper,
} from "../model/transformer.ts";
import type { KlEstimator } from "../tensor/nn.ts";
import { GraphCache, type Device } from "../tensor/session.ts";
import { TrainState, type AdamWHyper, type StepResult } from "../tensor/train.ts";

/** Sequence lengths in a training batch are rounded up to a multiple of this. */
const SEQ_BUCKET = 8;

/** One sequence to train on: `tokens` = prompt ‖ response, loss on response tokens only. */
export interface TrainSequence {
  readonly tokens: readonly number[];
  /** Index in `tokens` of the first response token. */
  readonly responseStart: number;
  /** Per response token: loss weight (aggregation and masks folded in) and advantage. */
  readonly weights: ArrayLike<number>;
  readonly advantages: ArrayLike<number>;
  /** Off-policy updates and KL: the behaviour and reference policies' log-probs per token. */
  readonly oldLogp?: ArrayLike<number>;
  readonly refLogp?: ArrayLike<number>;
}

export interface PackedBatch {
  readonly batch: number;
  readonly seq: number;
  readonly feeds: {
    tokens: BigInt64Array;
    positions: BigInt64Array;
    targets: BigInt64Array;
    weights: Float32Array;
    advantages: Float32Array;
    oldLogp?: Float32Array;
    refLogp?: Float32Array;
  };
  /** Number of response tokens with a non-zero weight. */
  readonly lossTokens: number;
}

/** Packs sequences right-padded; position p's target is token p+1, its weight that token's. */
export function packBatch(seqs: readonly TrainSequence[], pad: number): PackedBatch {
  const b = seqs.length;
  const longest = Math.max(2, ...seqs.map((s) => s.tokens.length));
  const t = Math.ceil((longest - 1) / SEQ_BUCKET) * SEQ_BUCKET;
  const tokens = new BigInt64Array(b * t).fill(BigInt(pad));
  const targets = new BigInt64Array(b * t).fill(BigInt(pad));
  const positions = new BigInt64Array(b * t);
  const weights = new Float32Array(b * t);
  const advantages = new Float32Array(b * t);
  const oldLogp = seqs.some((s) => s.oldLogp) ? new Float32Array(b * t) : undefined;
  const refLogp = seqs.some((s) => s.refLogp) ? new Float32Array(b * t) : undefined;
  let lossTokens = 0;
  seqs.forEach((s, i) => {
    const n = s.tokens.length;
    const responseLength = n - s.responseStart;
    if (s.responseStart < 1 || responseLength < 0) {
      throw new RangeError(
        `packBatch: sequence ${i} needs a non-empty prompt (responseStart ${s.responseStart})`,
      );
    }
    if (s.weights.length !== responseLength || s.advantages.length !== responseLength) {
      throw new RangeError(
        `packBatch: sequence ${i} has ${responseLength} response tokens but ${s.weights.length} weights and ${s.advantages.length} advantages`,
      );
    }
    for (let p = 0; p < t; p++) positions[i * t + p] = BigInt(p);
    for (let p = 0; p < n - 1; p++) {
      tokens[i * t + p] = BigInt(s.tokens[p]!);
      targets[i * t + p] = BigInt(s.tokens[p + 1]!);
    }
    for (let j = 0; j < responseLength; j++) {
      const at = i * t + s.responseStart - 1 + j;
      weights[at] = s.weights[j]!;
      advantages[at] = s.advantages[j]!;
      if (oldLogp) oldLogp[at] = s.oldLogp?.[j] ?? 0;
      if (refLogp) refLogp[at] = s.refLogp?.[j] ?? 0;
      if (s.weights[j] !== 0) lossTokens++;
    }
  });
  return {
    batch: b,
    seq: t,
    feeds: {
      tokens,
      positions,
      targets,
      weights,
      advantages,
      ...(oldLogp ? { oldLogp } : {}),
      ...(refLogp ? { refLogp } : {}),
    },
    lossTokens,
  };
}

/**
 * The inverse of packBatch for one per-position output (e.g. logp): the values at the
 * positions predicting each sequence's response tokens, sequence after sequence.
 */
export function responseValues(
  batch: PackedBatch,
  values: Float32Array,
  seqs: readonly TrainSequence[],
): Float64Array {
  const out = new Float64Array(seqs.reduce((a, q) => a + q.tokens.length - q.responseStart, 0));
  let k = 0;
  seqs.forEach((q, i) => {
    for (let j = 0; j < q.tokens.length - q.responseStart; j++) {
      out[k++] = values[i * batch.seq + q.responseStart - 1 + j]!;
    }
  });
  return out;
}

export interface PolicyOptions {
  readonly device: Device;
  readonly threads?: number;
}

export class Policy {
  private readonly graphs = new GraphCache();
  private generator: PolicyGenerator | undefined;
  private reference: Record<string, Float32Array> | undefined;

  private constructor(
    readonly config: ModelConfig,
    private readonly state: TrainState,
    private readonly options: PolicyOptions,
  ) {}

  static fromWeights(
    config: ModelConfig,
    weights: ReadonlyMap<string, Float32Array>,
    options: PolicyOptions,
  ): Policy {
    return new Policy(config, new TrainState(weights), options);
  }

  /** Weights and (when `withOptimizer`) AdamW moments and step from a checkpoint file. */
  static load(file: string, options: PolicyOptions, withOptimizer: boolean): Policy {
    const ckpt = loadCheckpoint(file);
    const state = new TrainState(ckpt.weights);
    if (withOptimizer && ckpt.optimizer) state.restore(ckpt.optimizer.step, ckpt.optimizer);
    return new Policy(ckpt.config, state, options);
  }

  /** Host arrays of the current weights (CPU: the resident arrays themselves; WebGPU: a download). */
  private async hostWeights(): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    for (const [name] of weightShapes(this.config)) out[name] = await this.state.read(name);
    return out;
  }

  async generate(
    prompts: readonly (readonly number[])[],
    opts: GenerateOptions,
  ): Promise<GeneratedSequence[]> {
    const weights = await this.hostWeights();
    if (this.generator) this.generator.setWeights(weights);
    else {
      this.generator = new PolicyGenerator(this.config, weights, {
        device: this.options.device,
        threads: this.options.threads,
      });
    }
    return this.generator.generate(prompts, opts);
  }

  /** The reference policy of KL penalties: the weights stored in `file` (a stage's start). */
  setReference(file: string): void {
    this.reference = Object.fromEntries(loadCheckpoint(file).weights);
  }

  /**
   * Per packed position, the log-probability of its target under softmax(logits / T), with
   * the current weights or the frozen reference (what PPO's oldLogp and KL's refLogp need).
   */
  async logProbs(
    batch: PackedBatch,
    temperature: number,
    which: "current" | "reference",
  ): Promise<Float32Array> {
    const weights = which === "current" ? await this.hostWeights() : this.reference;
    if (!weights)
      throw new Error("Policy.logProbs: no reference policy (call freezeReference first)");
    const graph = await this.graphs.get(
      `logp|${JSON.stringify(this.config)}|${batch.batch}|${batch.seq}`,
      () => buildLogProbs(this.config, { batch: batch.batch, seq: batch.seq }),
      { device: this.options.device, threads: this.options.threads },
    );
    const { tokens, positions, targets } = batch.feeds;
    const out = await graph.run({ ...weights, tokens, positions, targets, temperature });
    return out["logp"]!.data as Float32Array;
  }

  /**
   * One optimizer step on `batch`. `oldLogp` "self" is the on-policy case (one update per
   * batch: ratio 1, the PPO clip inactive), and the supervised warm-up.
   */
  async trainStep(
    batch: PackedBatch,
    loss: LossHyper,
    optimizer: AdamWHyper,
    mode: { oldLogp: "self" | "input"; klEstimator?: KlEstimator } = { oldLogp: "self" },
  ): Promise<StepResult> {
    const graph = await compileTrainStep(
      this.config,
      { batch: batch.batch, seq: batch.seq, ...mode },
      { device: this.options.device, threads: this.options.threads },
      this.graphs,
    );
    return this.state.step(graph, { ...batch.feeds, ...lossScalars(loss) }, optimizer);
  }

  get optimizerSteps(): number {
    return this.state.steps;
  }

  /** Writes weights (+ optimizer state when `withOptimizer`) atomically. */
  async save(
    file: string,
    withOptimizer: boolean,
    metadata: Record<string, string> = {},
  ): Promise<void> {
    const weights = new Map<string, Float32Array>();
    const m = new Map<string, Float32Array>();
    const v = new Map<string, Float32Array>();
    for (const [name] of weightShapes(this.config)) {
      weights.set(name, await this.state.read(name));
      if (withOptimizer) {
        m.set(name, await this.state.read(`m.${name}`));
        v.set(name, await this.state.read(`v.${name}`));
      }
    }
    saveCheckpoint(file, {
      config: this.config,
      tokenizer: byteTokenizer.id,
      weights,
      ...(withOptimizer ? { optimizer: { step: this.state.steps, m, v } } : {}),
      metadata,
    });
  }

  async release(): Promise<void> {
    await this.generator?.release();
    await this.graphs.clear();
  }
}
