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

  it("has the hooks the memory agent relies on (qlx_verl/agent_rollout.py, worker_patch.py)", () => {
    const trainer = read(modulePath(names.trainerModule));
    const fit = trainer.slice(trainer.indexOf("    def fit(self):"));
    // fit() builds the batch with the module's DataProto, pops the generation inputs, generates
    // once, then repeats the prompt rows by n and unions them with the generated rows.
    expect(fit).toContain(
      `batch: DataProto = ${names.dataProtoClass}.from_single_dict(batch_dict)`,
    );
    expect(fit).toContain("gen_batch = batch.pop(");
    expect(fit).toContain("gen_batch_output = self.actor_rollout_wg.generate_sequences(gen_batch)");
    expect(fit).toMatch(
      /batch = batch\.repeat\(repeat_times=self\.config\.actor_rollout_ref\.rollout\.n, interleave=True\)\n\s+batch = batch\.union\(gen_batch_output\)/,
    );
    // Validation pads the generation batch to the world size and unpads the output by rows.
    expect(trainer).toContain(
      "test_gen_batch_padded, pad_size = pad_dataproto_to_divisor(test_gen_batch, self.actor_rollout_wg.world_size)",
    );
    expect(trainer).toContain('"validate": True,');
    // DataProto: classmethods build cls, select_idxs/repeat keep type(self), pop builds a plain one.
    const protocol = read("verl/protocol.py");
    expect(protocol).toContain(
      "return cls(batch=tensor_dict, non_tensor_batch=non_tensors, meta_info=meta_info)",
    );
    expect(protocol).toContain(
      "return type(self)(batch=selected_batch, non_tensor_batch=selected_non_tensor, meta_info=self.meta_info)",
    );
    expect(protocol).toContain(
      "return DataProto.from_dict(tensors=tensors, non_tensors=non_tensors, meta_info=meta_info)",
    );
    // vLLM applies per-call sampling keyword arguments inside its own overrides; the actor sizes
    // mini-batches from its config.
    const vllm = read("verl/workers/rollout/vllm_rollout/vllm_rollout_spmd.py");
    expect(vllm).toContain(
      "def generate_sequences(self, prompts: DataProto, **kwargs) -> DataProto:",
    );
    expect(vllm).toContain("with self.update_sampling_params(**kwargs):");
    expect(vllm).toContain(
      'vllm_inputs = [{"prompt_token_ids": raw_prompt_ids} for raw_prompt_ids in non_tensor_batch.pop("raw_prompt_ids")]',
    );
    expect(read("verl/workers/actor/dp_actor.py")).toContain(
      "dataloader = batch.split(self.config.ppo_mini_batch_size)",
    );
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
