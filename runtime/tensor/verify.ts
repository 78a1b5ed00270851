// A spec pass over a built graph (after tinygrad's uop/spec.py): re-infers every op's shape
// and dtype, and checks that every tensor reachable from the outputs belongs to the graph and
// that every input is declared. Building with the `ops.ts` builders already guarantees this;
// verifyGraph guards graphs assembled or rewritten by other code, and runs in tests.

import { showShape, sizeOf } from "./ir.ts";
import type { OpKind, Tensor } from "./ir.ts";
import { ancestors } from "./autodiff.ts";
import { OPS } from "./ops.ts";
import type { OpDef } from "./ops.ts";
import { sameShape } from "./shapes.ts";

export interface GraphIssue {
  readonly tensor: string;
  readonly problem: string;
}

export function verifyGraph(outputs: readonly Tensor[]): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const graph = outputs[0]?.graph;
  if (!graph) return [{ tensor: "-", problem: "no outputs" }];
  for (const t of ancestors(outputs)) {
    const report = (problem: string) => issues.push({ tensor: String(t), problem });
    if (t.graph !== graph || graph.tensors[t.id] !== t) {
      report("dangling: the tensor is not part of the outputs' graph");
      continue;
    }
    const src = t.source;
    if (src.kind === "input") {
      if (graph.inputs.get(src.name) !== t)
        report(`input "${src.name}" is not declared in the graph`);
    } else if (src.kind === "constant") {
      if (src.data.length !== sizeOf(t.shape)) {
        report(`constant holds ${src.data.length} values for shape ${showShape(t.shape)}`);
      }
    } else {
      const def = OPS[src.op] as OpDef<OpKind>;
      if (src.inputs.some((i) => i.id >= t.id)) report("an input is created after its consumer");
      try {
        const meta = def.infer(src.inputs, src.attrs);
        if (meta.dtype !== t.dtype) report(`dtype is ${t.dtype}, ${src.op} infers ${meta.dtype}`);
        if (!sameShape(meta.shape, t.shape)) {
          report(`shape is ${showShape(t.shape)}, ${src.op} infers ${showShape(meta.shape)}`);
        }
      } catch (err) {
        report(err instanceof Error ? err.message : String(err));
      }
    }
  }
  return issues;
}
