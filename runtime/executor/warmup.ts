// The supervised warm-up (`warmup sft { … }`): cross-entropy on reference responses through
// the same training graph as RL (advantages 1, ratio 1), until the greedy exact-match accuracy
// on a held-out slice of the training distribution reaches the `until` threshold, checked every
// `check_every` steps (../shared/notes/tiny-scale-rl.md: RL needs a policy that already
// succeeds sometimes; accuracy can jump, so the check is frequent).
import type { ExperimentIr } from "../../compiler/ir/schema.ts";
import { RL_METRICS } from "../rl/metrics.ts";
import { UniformSampler } from "../rl/samplers/uniform.ts";
import { byteTokenizer } from "../tokenizer/byte.ts";
import { decodeAll } from "./evaluate.ts";
import { encodeResponse, type Example } from "./examples.ts";
import { holds } from "./plan.ts";
import { packBatch, type Policy } from "./policy.ts";
import type { Progress } from "./progress.ts";

/** Every DEV_STRIDE-th example is held out to measure the warm-up, at most DEV_MAX of them. */
const DEV_STRIDE = 20;
const DEV_MAX = 200;

export interface WarmupResult {
  readonly steps: number;
  readonly accuracy: number;
  readonly reachedTarget: boolean;
}

export async function warmup(
  ir: ExperimentIr,
  policy: Policy,
  examples: readonly Example[],
  maxNewTokens: number,
  progress: Progress,
  onStep: (step: number, metrics: Record<string, number>) => void,
): Promise<WarmupResult> {
  const w = ir.warmup!;
  const dev = examples.filter((e) => e.index % DEV_STRIDE === 0).slice(0, DEV_MAX);
  const devSet = new Set(dev.map((e) => e.index));
  const train = examples.filter((e) => !devSet.has(e.index));
  const sampler = new UniformSampler(train.length, w.batch, ir.seed);
  const accuracy = async (step: number): Promise<number> => {
    const responses = await decodeAll(policy, dev, {
      maxNewTokens,
      temperature: 1,
      topP: 1,
      greedy: true,
      samples: 1,
      seed: ir.seed,
      streamKeys: ["warmup-dev", step],
    });
    return responses.filter((r, i) => r === dev[i]!.reference).length / Math.max(1, dev.length);
  };
  progress.startStage("warmup", w.steps);
  let acc = 0;
  let step = 0;
  let reached = false;
  while (step < w.steps) {
    step++;
    const seqs = sampler.nextBatch().map((i) => {
      const e = train[i]!;
      const response = encodeResponse(e.reference);
      return { tokens: [...e.prompt, ...response], responseStart: e.prompt.length, response };
    });
    const total = seqs.reduce((a, s) => a + s.response.length, 0);
    const packed = packBatch(
      seqs.map((s) => ({
        tokens: s.tokens,
        responseStart: s.responseStart,
        // token_mean over the batch: every answer token counts the same.
        weights: new Float32Array(s.response.length).fill(1 / total),
        advantages: new Float32Array(s.response.length).fill(1),
      })),
      byteTokenizer.special.pad,
    );
    const r = await policy.trainStep(packed, {}, { lr: w.lr, maxGradNorm: 1 });
    // The graph's loss is the surrogate Σ w·(−A·ratio) = −1; the cross-entropy is Σ w·(−logp).
    const logp = r.outputs["logp"]!;
    let ce = 0;
    for (let k = 0; k < logp.length; k++) ce -= packed.feeds.weights[k]! * logp[k]!;
    const metrics: Record<string, number> = {
      "warmup/loss": ce,
      [RL_METRICS.gradNorm]: r.gradNorm,
    };
    if (step % w.check_every === 0 || step === w.steps) {
      acc = await accuracy(step);
      metrics["warmup/dev_accuracy"] = acc;
      if (w.until_accuracy && holds(w.until_accuracy, acc)) reached = true;
    }
    onStep(step, metrics);
    progress.step({ step, extra: `loss ${ce.toFixed(3)} dev acc ${acc.toFixed(3)}` });
    if (reached) break;
  }
  progress.endStage();
  return { steps: step, accuracy: acc, reachedTarget: reached };
}
