// The built-ins table is data the checker, lowering and docs trust: its defaults must be
// values of their own declared types, and the paper's algorithms must cite their equations.
import { describe, expect, it } from "vitest";
import {
  ALL_BLOCKS,
  FUNCTIONS,
  inRange,
  lookupFunction,
  rangeOf,
  type DefaultValue,
  type Ty,
} from "../../language/builtins.ts";

function defaultFits(d: DefaultValue, ty: Ty): boolean {
  if (Array.isArray(d)) return ty.kind === "list" ? d.every((x) => defaultFits(x, ty.of)) : false;
  const range = rangeOf(ty);
  switch (ty.kind) {
    case "int":
    case "tokens":
      return (
        typeof d === "number" && Number.isInteger(d) && (range === undefined || inRange(d, range))
      );
    case "real":
    case "probability":
      return typeof d === "number" && (range === undefined || inRange(d, range));
    case "bool":
      return typeof d === "boolean";
    case "enum":
      return typeof d === "string" && ty.values.includes(d);
    case "fn":
      return typeof d === "string" && lookupFunction(ty.category, d) !== undefined;
    case "list":
      return d === "tasks";
    case "prompt":
    case "string":
      return typeof d === "string";
    default:
      return false;
  }
}

const declared = [
  ...FUNCTIONS.flatMap((f) => f.params.map((p) => [`${f.name}(${p.name})`, p] as const)),
  ...ALL_BLOCKS.flatMap((b) => b.fields.map((f) => [`${b.keyword}.${f.name}`, f] as const)),
];

describe("built-ins table", () => {
  it.each(declared.filter(([, x]) => x.default !== undefined))(
    "default of %s has its declared type",
    (_name, x) => {
      expect(defaultFits(x.default as DefaultValue, x.type)).toBe(true);
    },
  );

  it("declares each function once per category", () => {
    const keys = FUNCTIONS.map((f) => `${f.category}:${f.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("cites the paper for the recipe's algorithms", () => {
    const cites = (category: string, name: string) =>
      lookupFunction(category, name)?.cite?.paper ?? "";
    expect(cites("advantage", "grpo")).toContain("Eq. 7");
    expect(cites("clip", "negative_gradient")).toContain("Eq. 8-9");
    expect(cites("control", "aepo")).toContain("Eq. 11");
    expect(cites("sampler", "task_balanced")).toContain("§4.2");
    expect(cites("agent", "memory")).toContain("§2.3");
    expect(cites("retrospective", "hard")).toContain("§4.1");
  });
});
