// The qlx tensor engine: a small tensor IR with reverse-mode autodiff, emitted as ONNX
// (opset 18) and run by onnxruntime-node on the CPU or WebGPU execution provider.
//
// Building and running a graph
//   const g = new Graph();
//   const x = g.input("x", "float32", [B, T, D]);          // fed at run time
//   const w = g.input("w", "float32", [D, F]);
//   const y = op.softmax(op.matmul(x, w), -1);              // shapes checked here
//   const [dw] = gradients(op.sum(y), [w]);                 // backward in the same graph
//   const model = await compile({ y, dw }, { device: "cpu" }); // one ONNX model, one session
//   const out = await model.run({ x: xData, w: wData });      // Float32Array / BigInt64Array /
//                                                             // number (scalar) / ort.Tensor
//   out.y.data, out.dw.data                                   // fresh host arrays on CPU
//
// Shapes are static; build one graph per shape and keep compiled graphs in a GraphCache
// keyed by (model config, shapes, variant). Graph inputs not reachable from the requested
// outputs are dropped from the model; `model.model.inputs` lists what must be fed.
//
// Keeping weights resident
//   CPU: inputs are zero-copy and outputs are fresh arrays, so keep weights as Float32Arrays
//   and feed them every call (free); after a training step, adopt the returned arrays.
//   WebGPU: compile with `deviceOutputs: [...]` so those outputs stay 'gpu-buffer' tensors;
//   feed them back to the next run; read them with `download()` (an Identity session with
//   CPU output; never `tensor.getData()` on a gpu-buffer tensor, it aborts node here).
//   `TrainState` (train.ts) does both for a training-step graph whose outputs `next.X`
//   replace resident inputs X (parameters `name`, AdamW moments `m.name`, `v.name`).
//
// Modules
//   ir.ts       Graph, Tensor, DType, ShapeError
//   ops.ts      the primitives (one ONNX node each, with backward rules) and their builders
//   nn.ts       compositions: rmsNorm, swiglu, ropeTables/applyRope, attention, causalBias,
//               keyPaddingBias, oneHot, tokenLogProbs, policyLoss, clip/maximum/minimum
//   autodiff.ts gradients(output, wrt, seed?)
//   verify.ts   verifyGraph(outputs) → GraphIssue[]
//   onnx.ts     toOnnx(outputs) → ModelProto bytes + input/output signature
//   session.ts  compile, CompiledGraph, GraphCache, download, webgpuUnavailable
//   optim.ts    clipByGlobalNorm, adamw, optimizerOutputs, buildOptimizerStep: the optimizer
//               step as graph ops, fused into a training step or as its own graph
//   train.ts    TrainState (step, applyGradients, read, feeds, restore), TrainGraph,
//               NonFiniteError: resident parameters and moments
// The policy model itself is runtime/model/transformer.ts (weights, init, forward,
// buildLogProbs, buildGradients, buildTrainStep/compileTrainStep, buildModelOptimizerStep,
// lossScalars).

export { Graph, ShapeError, Tensor, isFloat, sizeOf } from "./ir.ts";
export type { DType, FloatDType, Shape } from "./ir.ts";
export * as op from "./ops.ts";
export * as nn from "./nn.ts";
export { gradients } from "./autodiff.ts";
export { verifyGraph } from "./verify.ts";
export type { GraphIssue } from "./verify.ts";
export { toOnnx } from "./onnx.ts";
export type { OnnxModel } from "./onnx.ts";
export {
  CompiledGraph,
  GraphCache,
  compile,
  download,
  downloadFloat32,
  webgpuUnavailable,
} from "./session.ts";
export type { CompileOptions, Device, Feed, HostArray } from "./session.ts";
export {
  ADAMW_SCALARS,
  adamw,
  buildOptimizerStep,
  clipByGlobalNorm,
  declareAdamWScalars,
  optimizerOutputs,
} from "./optim.ts";
export type { AdamWScalars, AdamWSlot, OptimizedParam } from "./optim.ts";
export { NonFiniteError, TrainState, momentNames, nextName } from "./train.ts";
export type { AdamWHyper, StepResult, TrainGraph } from "./train.ts";
