import { describe, expect, it } from "vitest";
import { Graph } from "../../../runtime/tensor/ir.ts";
import { add, mul } from "../../../runtime/tensor/ops.ts";
import { GraphCache, compile } from "../../../runtime/tensor/session.ts";

function build() {
  const g = new Graph();
  const x = g.input("x", "float32", [2, 2]);
  const s = g.input("s", "float32", []);
  g.input("unused", "float32", [3]);
  return { y: add(mul(x, s), 1) };
}

describe("compiled graphs", () => {
  it("feeds arrays and numbers, drops unreachable inputs, ignores extra feeds", async () => {
    const model = await compile(build());
    expect(model.model.inputs.map((i) => i.name)).toEqual(["x", "s"]);
    const out = await model.run({ x: Float32Array.of(1, 2, 3, 4), s: 2, extra: 5 });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([3, 5, 7, 9]);
  });

  it("names the input and shape when a feed is missing or mis-sized", async () => {
    const model = await compile(build());
    await expect(model.run({ s: 2 })).rejects.toThrow('run: missing input "x" [2,2]');
    await expect(model.run({ x: Float32Array.of(1, 2, 3), s: 2 })).rejects.toThrow(
      'run: input "x" needs 4 values for [2,2], got 3',
    );
    await expect(model.run({ x: 1, s: 2 })).rejects.toThrow(
      'run: input "x" has shape [2,2]; a number feeds only a scalar',
    );
  });

  it("compiles each cache key once", async () => {
    const cache = new GraphCache();
    let builds = 0;
    const get = () => cache.get("k", () => (builds++, build()));
    expect(await get()).toBe(await get());
    expect(builds).toBe(1);
    await cache.clear();
    expect(cache.size).toBe(0);
  });
});
