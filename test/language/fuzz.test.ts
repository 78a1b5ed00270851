// Parser fuzzing, small and seeded for CI; `scripts/fuzz-parser.ts` runs the large campaign.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exampleSources } from "./example-files.ts";
import { EXAMPLE } from "./example-source.ts";
import { checkParse, mutationsOf, tokenSoup } from "./fuzz-inputs.ts";

describe("parser fuzzing", () => {
  it("never throws and keeps its invariants on random token soups", () => {
    fc.assert(
      fc.property(tokenSoup, (text) => {
        expect(checkParse(text).violation).toBeUndefined();
      }),
      { numRuns: 1500, seed: 1 },
    );
  });

  it("never throws and keeps its invariants on random edits of the examples", () => {
    fc.assert(
      fc.property(mutationsOf([EXAMPLE, ...exampleSources()]), (text) => {
        expect(checkParse(text).violation).toBeUndefined();
      }),
      { numRuns: 1500, seed: 2 },
    );
  });
});
