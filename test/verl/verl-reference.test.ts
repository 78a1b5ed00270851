// The plugin against verl v0.4.0 itself, where the reference copy of its source is available
// (../shared/reference/verl-v0.4.0/src beside the repository; not shipped, so these tests are
// skipped elsewhere): the hook points named in keys.ts exist where the plugin expects them, and
// the Python agrees with verl's own core_algos formulas.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { verlRuntimeNames } from "../../compiler/emit/verl/keys.ts";

const src = fileURLToPath(new URL("../../../shared/reference/verl-v0.4.0/src", import.meta.url));
const available = existsSync(src);
const read = (p: string) => readFileSync(`${src}/${p}`, "utf8");
const modulePath = (m: string) => `${m.replaceAll(".", "/")}.py`;

describe.skipIf(!available)("verl v0.4.0 reference source", () => {
  const names = verlRuntimeNames("0.4.0");

  it("has the hook points the trainer subclass relies on", () => {
    const trainer = read(modulePath(names.trainerModule));
    const fit = trainer.slice(trainer.indexOf("    def fit(self):"));
    expect(trainer).toContain(`class ${names.trainerClass}`);
    expect(trainer).toMatch(/\ndef compute_advantage\(data: DataProto/);
    // fit() looks compute_advantage up as a module global and imports the logger when it starts.
    expect(fit).toContain(`batch = ${names.advantageFunction}(`);
    expect(fit).toContain(`from ${names.trackingModule} import ${names.trackingClass}`);
    expect(fit).toContain(`old_log_prob.batch.pop("${names.rolloutTokenEntropyKey}")`);
    expect(fit).toContain(`"${names.entropyMetric}"`);
    expect(trainer).toContain(
      "def _create_dataloader(self, train_dataset, val_dataset, collate_fn, train_sampler):",
    );
    expect(read(modulePath(names.mainModule))).toContain(`def ${names.datasetFactory}(`);
    expect(
      existsSync(
        `${src}/${names.configPackage.replaceAll(".", "/")}/config/${names.configName}.yaml`,
      ),
    ).toBe(true);
  });

  it("has the worker-side hooks (external_lib, dp_actor's compute_policy_loss) and the batch reward call", () => {
    expect(read("verl/workers/fsdp_workers.py")).toContain(
      'import_external_libs(self.config.model.get("external_lib", None))',
    );
    const actor = read("verl/workers/actor/dp_actor.py");
    expect(actor).toContain(
      "from verl.trainer.ppo.core_algos import agg_loss, compute_policy_loss",
    );
    expect(actor).toMatch(
      /select_keys = \["responses", "input_ids", "attention_mask", "position_ids", "old_log_probs", "advantages"\]/,
    );
    expect(read("verl/utils/dataset/rl_dataset.py")).toContain('row_dict["index"] = index');
    const batchManager = read("verl/workers/reward_manager/batch.py");
    for (const arg of [
      "data_sources=data_sources",
      "solution_strs=responses_str",
      "ground_truths=ground_truths",
      "extra_infos=extras",
    ]) {
      expect(batchManager).toContain(arg);
    }
  });

  it("gives the same policy loss, aggregation, KL and GRPO advantages as qlx_verl", () => {
    const script = fileURLToPath(new URL("./verl_reference_check.py", import.meta.url));
    const r = spawnSync("/usr/bin/python3", [script, src], {
      encoding: "utf8",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    expect(r.stderr).toBe("");
    const diffs = JSON.parse(r.stdout) as Record<string, number>;
    expect(Object.keys(diffs).length).toBe(13);
    // verl's masked_mean divides by sum(mask) + 1e-8, hence differences of ~1e-8/N there.
    for (const [check, d] of Object.entries(diffs)) expect(d, check).toBeLessThan(1e-9);
  });
});
