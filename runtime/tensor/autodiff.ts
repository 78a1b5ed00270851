// Reverse-mode automatic differentiation over the tensor IR. The backward pass is built in
// the same graph from the per-op rules in `ops.ts`, so a forward+backward graph compiles to
// one ONNX model. Only tensors that depend on a requested input receive gradients; rules
// whose results are never used emit nothing because emission starts from the outputs.

import { ShapeError, isFloat, showShape } from "./ir.ts";
import type { OpKind, Tensor } from "./ir.ts";
import { OPS, add, expand } from "./ops.ts";
import type { OpDef } from "./ops.ts";

/** Tensors reachable backwards from `roots`, in creation (= topological) order. */
export function ancestors(roots: readonly Tensor[]): Tensor[] {
  const seen = new Set<Tensor>();
  const stack = [...roots];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.source.kind === "op") stack.push(...t.source.inputs);
  }
  return [...seen].sort((a, b) => a.id - b.id);
}

/**
 * Gradients of `output` with respect to each of `wrt`. `output` must be a scalar unless
 * `seed` (the gradient flowing into it, same shape) is given. A tensor in `wrt` that the
 * output does not depend on gets zeros.
 */
export function gradients(output: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  if (!seed && output.rank !== 0) {
    throw new ShapeError("gradients", `output must be a scalar, got ${showShape(output.shape)}`);
  }
  if (!isFloat(output.dtype)) {
    throw new ShapeError("gradients", `output must be float, got ${output.dtype}`);
  }
  const graph = output.graph;
  const order = ancestors([output]);
  const targets = new Set(wrt);
  const depends = new Set<Tensor>();
  for (const t of order) {
    const src = t.source;
    if (targets.has(t) || (src.kind === "op" && src.inputs.some((i) => depends.has(i)))) {
      if (isFloat(t.dtype)) depends.add(t);
    }
  }

  const grads = new Map<Tensor, Tensor>();
  grads.set(output, seed ?? graph.scalar(1, output.dtype));
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const g = grads.get(t);
    const src = t.source;
    if (!g || src.kind !== "op" || !depends.has(t)) continue;
    const def = OPS[src.op] as OpDef<OpKind>;
    if (def.backward === "none") continue;
    const inputGrads = def.backward(g, src.inputs, t, src.attrs);
    src.inputs.forEach((input, k) => {
      const ig = inputGrads[k];
      if (!ig || !depends.has(input)) return;
      const prev = grads.get(input);
      grads.set(input, prev ? add(prev, ig) : ig);
    });
  }
  return wrt.map((w) => grads.get(w) ?? expand(graph.scalar(0, w.dtype), w.shape));
}
