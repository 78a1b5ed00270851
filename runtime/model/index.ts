// The policy model: what the executor, RL loop and CLI import.
//
//   const config = modelConfig({ vocab: 260, dim: 128, layers: 2, heads: 4, context: 512 });
//   const weights = initWeights(config, seed);                      // Map<name, Float32Array>
//   const gen = new PolicyGenerator(config, Object.fromEntries(weights));
//   const rollouts = await gen.generate(prompts, {
//     maxNewTokens: 64, stopTokens: [byteTokenizer.special.eos], padToken: byteTokenizer.special.pad,
//     sampling: { temperature: 0.7, topP: 0.95, greedy: false }, seed, streamKeys: [stage, step],
//   });                                   // per sequence: tokens, logp, entropy, finish
//   saveCheckpoint(file, { config, tokenizer: byteTokenizer.id, weights, optimizer });
//   const ckpt = loadCheckpoint(file);    // or loadWeights(file.safetensors | file.onnx, config)
//
// Training graphs (forward, policy loss, backward, AdamW) are in transformer.ts with the state
// they update in runtime/tensor/train.ts; `TrainState.restore(step, optimizer)` resumes from a
// checkpoint's AdamW moments (same `m.<weight>` / `v.<weight>` names).
//
// Modules
//   config.ts       ModelConfig, modelConfig(), defaultFfn(), headDim()
//   transformer.ts  weight names/shapes, seeded init, forward, training-step graphs
//   sampling.ts     temperature / top-p / greedy choice with logp and full-vocabulary entropy
//   decode-graphs.ts prefill and KV-cache decode graphs
//   generate.ts     PolicyGenerator: batched generation over prompts of different lengths
//   checkpoint.ts   safetensors checkpoints; weight import from safetensors or ONNX
//   onnx-initializers.ts  the ONNX initializer reader behind that import

export { defaultFfn, headDim, modelConfig } from "./config.ts";
export type { ModelConfig, ModelConfigInput } from "./config.ts";
export {
  compileTrainStep,
  declareWeights,
  forward,
  initWeights,
  isNormWeight,
  lossScalars,
  weightShapes,
} from "./transformer.ts";
export type { LossHyper, ModelWeights, TrainStepOptions } from "./transformer.ts";
export { TokenSampler, checkSamplingParams } from "./sampling.ts";
export type { SamplingParams, TokenChoice } from "./sampling.ts";
export { PolicyGenerator } from "./generate.ts";
export type {
  FinishReason,
  GenerateOptions,
  GeneratedSequence,
  GeneratorOptions,
  WeightArrays,
} from "./generate.ts";
export { CHECKPOINT_FORMAT, loadCheckpoint, loadWeights, saveCheckpoint } from "./checkpoint.ts";
export type { AdamWState, PolicyCheckpoint } from "./checkpoint.ts";
export { readOnnxInitializers } from "./onnx-initializers.ts";
export type { OnnxInitializer } from "./onnx-initializers.ts";
