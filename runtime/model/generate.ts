// Batched generation with a KV cache (issue 4, "Policy model and sampling"): B×G prompts of
// different lengths are left-padded into one batch, prefilled in one pass, then decoded one
// token per step with the cache resident on the host and fed zero-copy (decode-graphs.ts).
// Per generated token the result carries logp and full-vocabulary entropy as sampling.ts
// defines them (temperature-scaled distribution, before top-p) — the inputs of the RL loss,
// negative-gradient clipping and AEPO (QwenLong-L1.5 Eq. 8-11).
//
// A stop token ends its sequence and is part of the response (with its logp), so the policy
// is trained to stop. Finished sequences keep riding in the batch until all are done or the
// token budget is spent; their extra tokens are discarded.

import type * as ort from "onnxruntime-node";
import { Rng, type RngKey } from "../rng.ts";
import { GraphCache, type Device, type Feed } from "../tensor/session.ts";
import { MASKED } from "../tensor/nn.ts";
import { headDim, type ModelConfig } from "./config.ts";
import {
  buildDecode,
  buildPrefill,
  cacheKeyName,
  decodeWeights,
  cacheValueName,
  newKeyName,
  newValueName,
} from "./decode-graphs.ts";
import {
  TokenSampler,
  distributionTemperature,
  type SamplingDistribution,
  type SamplingParams,
} from "./sampling.ts";

export interface GenerateOptions {
  readonly maxNewTokens: number;
  /** Any of these ends a sequence (finish "stop"); the stop token is kept in the output. */
  readonly stopTokens: readonly number[];
  readonly sampling: SamplingParams;
  /** Sequence n draws from Rng.stream(seed, ...streamKeys, n): reproducible per sequence. */
  readonly seed: number;
  readonly streamKeys?: readonly RngKey[];
  /** Token fed in left-padding slots (never attended to). */
  readonly padToken: number;
  /** Sees each step's logits [N, V] before sampling (parity tests, evaluation of full distributions). */
  readonly observeLogits?: (logits: Float32Array, step: number) => void;
}

export type FinishReason = "stop" | "length";

export interface GeneratedSequence {
  readonly tokens: Int32Array;
  /** log p of each token under softmax(logits / T), no top-p renormalisation. */
  readonly logp: Float32Array;
  /** Full-vocabulary entropy of softmax(logits / T) at each token (nats). */
  readonly entropy: Float32Array;
  readonly finish: FinishReason;
}

export interface GeneratorOptions {
  readonly device?: Device;
  readonly threads?: number;
  /** Prompt slots are rounded up to a multiple of this, so batches reuse compiled graphs. */
  readonly promptBucket?: number;
}

/** Weights by spec name (runtime/model/config.ts), float32, fed zero-copy every step. */
export type WeightArrays = Readonly<Record<string, Float32Array>>;

export class PolicyGenerator {
  private readonly graphs = new GraphCache();
  private weightFeeds: Record<string, Feed>;
  private decodeFeeds: Record<string, Feed>;

  constructor(
    readonly config: ModelConfig,
    weights: WeightArrays,
    private readonly options: GeneratorOptions = {},
  ) {
    this.weightFeeds = { ...weights };
    this.decodeFeeds = decodeWeights(config, weights);
  }

  /**
   * Samples from `weights` from now on (e.g. after a training step); compiled graphs are kept.
   * The decode graph's fused matrices are rebuilt from them, so no step sees stale weights.
   */
  setWeights(weights: WeightArrays): void {
    this.weightFeeds = { ...weights };
    this.decodeFeeds = decodeWeights(this.config, weights);
  }

  async release(): Promise<void> {
    await this.graphs.clear();
  }

  async generate(
    prompts: readonly (readonly number[])[],
    opts: GenerateOptions,
  ): Promise<GeneratedSequence[]> {
    const { config } = this;
    const n = prompts.length;
    const longest = Math.max(0, ...prompts.map((p) => p.length));
    if (n === 0) return [];
    if (prompts.some((p) => p.length === 0))
      throw new RangeError("generate: every prompt needs at least one token");
    if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 1) {
      throw new RangeError(
        `generate: maxNewTokens must be a positive integer, got ${opts.maxNewTokens}`,
      );
    }
    if (longest + opts.maxNewTokens > config.context) {
      throw new RangeError(
        `generate: prompt of ${longest} tokens + ${opts.maxNewTokens} new exceeds the model context ${config.context}`,
      );
    }
    const bucket = this.options.promptBucket ?? 16;
    const promptSlots = Math.ceil(longest / bucket) * bucket;
    // The last generated token is never fed back, so it needs no slot.
    const slots = promptSlots + opts.maxNewTokens - 1;
    const cache = new KvCache(config, n, slots);
    const sampler = new TokenSampler(config.vocab, opts.sampling);
    const rngs = prompts.map((_, i) => Rng.stream(opts.seed, ...(opts.streamKeys ?? []), i));
    const stop = new Set(opts.stopTokens);
    const out = prompts.map(() => new SequenceBuilder(opts.maxNewTokens));

    const invTemperature = 1 / distributionTemperature(opts.sampling);
    let dist = await this.prefill(prompts, promptSlots, cache, opts.padToken, invTemperature);
    const tokens = new BigInt64Array(n);
    const positions = BigInt64Array.from(prompts, (p) => BigInt(p.length));
    for (let step = 0; ; step++) {
      opts.observeLogits?.(dist.logits, step);
      let alive = 0;
      for (let i = 0; i < n; i++) {
        const seq = out[i]!;
        // A finished sequence keeps feeding its last token; nothing it computes is kept.
        if (seq.finish !== undefined) continue;
        const choice = sampler.chooseFrom(dist, i, rngs[i]!);
        tokens[i] = BigInt(choice.token);
        seq.push(choice.token, choice.logp, choice.entropy);
        if (stop.has(choice.token)) seq.finish = "stop";
        else if (seq.length === opts.maxNewTokens) seq.finish = "length";
        else alive++;
      }
      if (alive === 0) break;
      dist = await this.decode(tokens, positions, cache, promptSlots + step, invTemperature);
      for (let i = 0; i < n; i++) positions[i]! += 1n;
    }
    return out.map((s) => s.build());
  }

  private async prefill(
    prompts: readonly (readonly number[])[],
    promptSlots: number,
    cache: KvCache,
    padToken: number,
    invTemperature: number,
  ): Promise<SamplingDistribution> {
    const n = prompts.length;
    const tokens = new BigInt64Array(n * promptSlots).fill(BigInt(padToken));
    const positions = new BigInt64Array(n * promptSlots);
    const keyMask = new Uint8Array(n * promptSlots);
    prompts.forEach((p, i) => {
      const offset = promptSlots - p.length;
      for (let t = 0; t < p.length; t++) {
        const at = i * promptSlots + offset + t;
        tokens[at] = BigInt(p[t]!);
        positions[at] = BigInt(t);
        keyMask[at] = 1;
      }
      cache.openSlots(i, offset, promptSlots);
    });
    const graph = await this.graphs.get(
      `prefill|${JSON.stringify(this.config)}|${n}|${promptSlots}`,
      () => buildPrefill(this.config, n, promptSlots),
      this.compileOptions(),
    );
    const result = await graph.run({
      ...this.weightFeeds,
      tokens,
      positions,
      keyMask,
      invTemperature,
    });
    for (let l = 0; l < this.config.layers; l++) {
      cache.storePrompt(
        l,
        floats(result, newKeyName(l)),
        floats(result, newValueName(l)),
        promptSlots,
      );
    }
    return distribution(result);
  }

  /** Feeds `tokens` at `positions`, attending to the cache's first `slot` slots; writes slot `slot`. */
  private async decode(
    tokens: BigInt64Array,
    positions: BigInt64Array,
    cache: KvCache,
    slot: number,
    invTemperature: number,
  ): Promise<SamplingDistribution> {
    const graph = await this.graphs.get(
      `decode|${JSON.stringify(this.config)}|${cache.sequences}|${cache.slots}`,
      () => buildDecode(this.config, cache.sequences, cache.slots),
      this.compileOptions(),
    );
    const result = await graph.run({
      ...this.decodeFeeds,
      ...cache.feeds(),
      tokens,
      positions,
      invTemperature,
    });
    for (let l = 0; l < this.config.layers; l++) {
      cache.storeStep(l, floats(result, newKeyName(l)), floats(result, newValueName(l)), slot);
    }
    for (let i = 0; i < cache.sequences; i++) cache.openSlots(i, slot, slot + 1);
    return distribution(result);
  }

  private compileOptions(): { device?: Device; threads?: number } {
    return { device: this.options.device, threads: this.options.threads };
  }
}

function distribution(result: Record<string, ort.Tensor>): SamplingDistribution {
  return {
    logits: floats(result, "logits"),
    probs: floats(result, "probs"),
    logprobs: floats(result, "logprobs"),
    entropy: floats(result, "entropy"),
  };
}

function floats(result: Record<string, ort.Tensor>, name: string): Float32Array {
  const t = result[name];
  if (!t || !(t.data instanceof Float32Array))
    throw new Error(`generate: graph output "${name}" is missing or not float32`);
  return t.data;
}

/** Host-resident cache: keys and values [N, H, S, hd] per layer, plus the key bias. */
class KvCache {
  private readonly keys: Float32Array[] = [];
  private readonly values: Float32Array[] = [];
  private readonly keyBias: Float32Array;
  private readonly rows: number;
  private readonly hd: number;

  constructor(
    config: ModelConfig,
    readonly sequences: number,
    readonly slots: number,
  ) {
    this.hd = headDim(config);
    this.rows = sequences * config.heads;
    for (let l = 0; l < config.layers; l++) {
      this.keys.push(new Float32Array(this.rows * slots * this.hd));
      this.values.push(new Float32Array(this.rows * slots * this.hd));
    }
    this.keyBias = new Float32Array(sequences * slots).fill(MASKED);
  }

  feeds(): Record<string, Float32Array> {
    const f: Record<string, Float32Array> = { keyBias: this.keyBias };
    this.keys.forEach((k, l) => (f[cacheKeyName(l)] = k));
    this.values.forEach((v, l) => (f[cacheValueName(l)] = v));
    return f;
  }

  /** Lets sequence `seq` attend to slots [from, to). */
  openSlots(seq: number, from: number, to: number): void {
    this.keyBias.fill(0, seq * this.slots + from, seq * this.slots + to);
  }

  /** Copies prefill keys and values [N, H, P, hd] into slots [0, P). */
  storePrompt(layer: number, keys: Float32Array, values: Float32Array, promptSlots: number): void {
    const block = promptSlots * this.hd;
    for (let r = 0; r < this.rows; r++) {
      this.keys[layer]!.set(keys.subarray(r * block, (r + 1) * block), r * this.slots * this.hd);
      this.values[layer]!.set(
        values.subarray(r * block, (r + 1) * block),
        r * this.slots * this.hd,
      );
    }
  }

  /** Writes one step's keys and values [N, H, 1, hd] into `slot`. */
  storeStep(layer: number, keys: Float32Array, values: Float32Array, slot: number): void {
    const { hd } = this;
    for (let r = 0; r < this.rows; r++) {
      const at = (r * this.slots + slot) * hd;
      this.keys[layer]!.set(keys.subarray(r * hd, (r + 1) * hd), at);
      this.values[layer]!.set(values.subarray(r * hd, (r + 1) * hd), at);
    }
  }
}

class SequenceBuilder {
  private readonly tokens: Int32Array;
  private readonly logp: Float32Array;
  private readonly entropy: Float32Array;
  length = 0;
  finish: FinishReason | undefined;

  constructor(capacity: number) {
    this.tokens = new Int32Array(capacity);
    this.logp = new Float32Array(capacity);
    this.entropy = new Float32Array(capacity);
  }

  push(token: number, logp: number, entropy: number): void {
    this.tokens[this.length] = token;
    this.logp[this.length] = logp;
    this.entropy[this.length] = entropy;
    this.length++;
  }

  build(): GeneratedSequence {
    return {
      tokens: this.tokens.slice(0, this.length),
      logp: this.logp.slice(0, this.length),
      entropy: this.entropy.slice(0, this.length),
      finish: this.finish ?? "length",
    };
  }
}
