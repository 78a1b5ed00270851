// Generates the committed key table of verl's PPO trainer config from the reference
// `ppo_trainer.yaml`, so the verl emitter can validate overrides at compile time on a user's
// machine without the reference folder. One generated module per verl version:
//
//   npx tsx scripts/gen-verl-schema.ts <path/to/ppo_trainer.yaml> <version>
//
// writes compiler/emit/verl/schema/v<version>.generated.ts. Re-run it when adding a verl
// version (then add the column in compiler/emit/verl/keys.ts).
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";
import { schemaFromYaml, renderSchemaModule } from "../compiler/emit/verl/schema-gen.ts";

function main(argv: readonly string[]): void {
  const [yamlPath, version] = argv;
  if (yamlPath === undefined || version === undefined || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error("usage: tsx scripts/gen-verl-schema.ts <ppo_trainer.yaml> <x.y.z>");
  }
  const text = readFileSync(yamlPath, "utf8");
  const sha256 = createHash("sha256").update(text).digest("hex");
  // intAsBigInt keeps `0.` and `1e-6` (floats) apart from `0` (an int) in the YAML source.
  const tree: unknown = parse(text, { intAsBigInt: true });
  const schema = schemaFromYaml(tree, version);
  const out = new URL(`../compiler/emit/verl/schema/v${version}.generated.ts`, import.meta.url);
  writeFileSync(out, renderSchemaModule(schema, version, sha256));
  console.log(`wrote ${Object.keys(schema).length} keys of verl ${version} to ${out.pathname}`);
}

main(process.argv.slice(2));
