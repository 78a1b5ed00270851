// Shape arithmetic shared by the op table: numpy broadcasting, axis normalisation, reshape
// with one inferred dimension. Every failure names the op and the shapes involved.

import { ShapeError, showShape, sizeOf } from "./ir.ts";
import type { Shape } from "./ir.ts";

export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `cannot broadcast ${showShape(a)} with ${showShape(b)}`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

export function normalizeAxis(op: string, axis: number, rank: number, shape: Shape): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(op, `axis ${axis} is out of range for shape ${showShape(shape)}`);
  }
  return a;
}

export function normalizeAxes(op: string, axes: readonly number[], shape: Shape): number[] {
  const out = axes.map((a) => normalizeAxis(op, a, shape.length, shape));
  if (new Set(out).size !== out.length) {
    throw new ShapeError(op, `repeated axes [${axes.join(",")}] for shape ${showShape(shape)}`);
  }
  return out.sort((x, y) => x - y);
}

/** Resolves one -1 entry against the element count of `from`. */
export function resolveReshape(op: string, from: Shape, to: Shape): number[] {
  const known = to.filter((d) => d !== -1);
  const holes = to.length - known.length;
  const total = sizeOf(from);
  if (holes > 1 || known.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(op, `invalid target shape ${showShape(to)} for ${showShape(from)}`);
  }
  const knownSize = sizeOf(known);
  const fill = holes === 1 && knownSize > 0 ? total / knownSize : 1;
  const out = to.map((d) => (d === -1 ? fill : d));
  if (!Number.isInteger(fill) || sizeOf(out) !== total) {
    throw new ShapeError(op, `cannot reshape ${showShape(from)} to ${showShape(to)}`);
  }
  return out;
}

export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function inversePerm(perm: readonly number[]): number[] {
  const inv: number[] = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}
