import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Span } from "../../language/ast.ts";
import { checkVerlBatchRules } from "../../compiler/emit/verl/batch-rules.ts";
import {
  effectiveVerlValue,
  validateVerlOverrides,
  type VerlValue,
} from "../../compiler/emit/verl/config-schema.ts";
import { VERL_CONFIG_KEYS, VERL_SCHEMAS } from "../../compiler/emit/verl/keys.ts";
import { schemaFromYaml } from "../../compiler/emit/verl/schema-gen.ts";

const span: Span = {
  file: "recipe.qlx",
  start: 0,
  end: 1,
  line: 1,
  column: 1,
  endLine: 1,
  endColumn: 2,
};
const codes = (ds: { code: string }[]) => ds.map((d) => d.code);
const overrides = (o: Record<string, VerlValue>) => new Map(Object.entries(o));

const referenceYaml = new URL(
  "../../../shared/reference/verl-v0.4.0/ppo_trainer.yaml",
  import.meta.url,
);

describe("generated verl key table", () => {
  it.skipIf(!existsSync(referenceYaml))(
    "matches the reference ppo_trainer.yaml of v0.4.0 (regenerate with scripts/gen-verl-schema.ts)",
    () => {
      const tree: unknown = parse(readFileSync(referenceYaml, "utf8"), { intAsBigInt: true });
      expect(schemaFromYaml(tree, "0.4.0")).toEqual(VERL_SCHEMAS["0.4.0"]);
    },
  );

  it("keeps ints, floats, nullables and interpolations apart", () => {
    const s = VERL_SCHEMAS["0.4.0"];
    expect(s["data.train_batch_size"]).toMatchObject({ type: "int", default: 1024 });
    expect(s["actor_rollout_ref.actor.optim.lr_warmup_steps_ratio"]?.type).toBe("float");
    expect(s["actor_rollout_ref.rollout.top_p"]?.type).toBe("float");
    expect(s["actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu"]).toMatchObject({
      type: "int",
      nullable: true,
    });
    expect(s["critic.ppo_mini_batch_size"]).toMatchObject({
      type: "int",
      interpolates: "actor_rollout_ref.actor.ppo_mini_batch_size",
    });
  });

  it("names in the version table exist in that version's config (except '+' keys)", () => {
    const appended = new Set(["customRewardKwargs", "seed", "qlxStage"]);
    for (const [name, column] of Object.entries(VERL_CONFIG_KEYS)) {
      const present = VERL_SCHEMAS["0.4.0"][column["0.4.0"]] !== undefined;
      expect(present, `${name} → ${column["0.4.0"]}`).toBe(!appended.has(name));
    }
  });
});

describe("validateVerlOverrides", () => {
  it("accepts declared keys and '+' keys the config lacks", () => {
    const ds = validateVerlOverrides(
      "0.4.0",
      overrides({
        "data.train_batch_size": 128,
        "actor_rollout_ref.rollout.top_p": 0.95,
        "actor_rollout_ref.rollout.temperature": 1,
        "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": null,
        "trainer.logger": ["console"],
        "+custom_reward_function.reward_kwargs.judge_model": "gpt-oss-120b",
      }),
      span,
    );
    expect(ds).toEqual([]);
  });

  it("rejects an unknown key and suggests the closest one", () => {
    const [d] = validateVerlOverrides(
      "0.4.0",
      overrides({ "actor_rollout_ref.actor.ppo_mini_batchsize": 64 }),
      span,
    );
    expect(d?.code).toBe("QLX7001");
    expect(d?.help).toContain("actor_rollout_ref.actor.ppo_mini_batch_size");
  });

  it("points at the open mapping for a key under override_config", () => {
    const [d] = validateVerlOverrides(
      "0.4.0",
      overrides({ "actor_rollout_ref.model.override_config.attention_dropout": 0 }),
      span,
    );
    expect(d?.code).toBe("QLX7001");
    expect(d?.data["openParent"]).toBe("actor_rollout_ref.model.override_config");
  });

  it("rejects '+' on a declared key, wrong types and values outside verl's enums", () => {
    const ds = validateVerlOverrides(
      "0.4.0",
      overrides({
        "+data.train_batch_size": 64,
        "data.max_prompt_length": 20.5,
        "actor_rollout_ref.actor.use_kl_loss": "false",
        "data.val_batch_size": null,
        "actor_rollout_ref.actor.loss_agg_mode": "token_mean",
        "trainer.nnodes": null,
      }),
      span,
    );
    expect(codes(ds)).toEqual(["QLX7002", "QLX7003", "QLX7003", "QLX7004", "QLX7003"]);
  });
});

describe("effectiveVerlValue", () => {
  it("follows interpolations to an overridden target", () => {
    const o = overrides({ "actor_rollout_ref.actor.ppo_mini_batch_size": 32 });
    expect(effectiveVerlValue("0.4.0", o, "critic.ppo_mini_batch_size")).toBe(32);
    expect(effectiveVerlValue("0.4.0", o, "actor_rollout_ref.rollout.response_length")).toBe(512);
    expect(effectiveVerlValue("0.4.0", o, "no.such.key")).toBeUndefined();
  });
});

describe("checkVerlBatchRules", () => {
  const base = {
    "data.train_batch_size": 128,
    "actor_rollout_ref.rollout.n": 8,
    "actor_rollout_ref.actor.ppo_mini_batch_size": 128,
    "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": 4,
    "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu": 8,
    "actor_rollout_ref.rollout.tensor_model_parallel_size": 4,
    "trainer.n_gpus_per_node": 8,
    "trainer.nnodes": 4,
  };

  it("derives the per-rank numbers of a valid recipe", () => {
    const r = checkVerlBatchRules("0.4.0", overrides(base), span);
    expect(r.diagnostics).toEqual([]);
    expect(r.plan).toEqual({
      nGpus: 32,
      dataParallel: 32,
      rowsPerStep: 1024,
      rowsPerRank: 32,
      miniBatchPerRank: 32,
      optimizerStepsPerBatch: 1,
      microBatchPerGpu: 4,
      gradientAccumulation: 8,
    });
  });

  const cases: [string, Record<string, VerlValue>, string[]][] = [
    [
      "rows not divisible by GPUs",
      {
        "data.train_batch_size": 6,
        "actor_rollout_ref.rollout.n": 3,
        "actor_rollout_ref.actor.ppo_mini_batch_size": 6,
      },
      ["QLX7005", "QLX7007"],
    ],
    [
      "mini-batch above the batch",
      { "actor_rollout_ref.actor.ppo_mini_batch_size": 256 },
      ["QLX7006"],
    ],
    [
      "per-GPU mini not a multiple of the micro-batch",
      { "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": 3 },
      ["QLX7008"],
    ],
    ["both micro-batch keys", { "actor_rollout_ref.actor.ppo_micro_batch_size": 64 }, ["QLX7009"]],
    [
      "no rollout log-prob micro-batch",
      { "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu": null },
      ["QLX7009"],
    ],
    [
      "TP not dividing the world",
      { "actor_rollout_ref.rollout.tensor_model_parallel_size": 3 },
      ["QLX7010"],
    ],
    [
      "KL twice",
      {
        "actor_rollout_ref.actor.use_kl_loss": true,
        "algorithm.use_kl_in_reward": true,
        "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu": 8,
      },
      ["QLX7011"],
    ],
    [
      "sequence parallel without remove-padding",
      { "actor_rollout_ref.actor.ulysses_sequence_parallel_size": 2 },
      ["QLX7012"],
    ],
    [
      "validation sampling at temperature 0",
      { "actor_rollout_ref.rollout.val_kwargs.do_sample": true },
      ["QLX7014"],
    ],
    ["uneven last mini-batch", { "actor_rollout_ref.actor.ppo_mini_batch_size": 96 }, ["QLX7015"]],
  ];
  for (const [name, change, want] of cases) {
    it(`reports ${want.join(", ")}: ${name}`, () => {
      const r = checkVerlBatchRules("0.4.0", overrides({ ...base, ...change }), span);
      expect(codes(r.diagnostics)).toEqual(want);
    });
  }

  it("checks the deprecated global micro-batch against the GPU count", () => {
    const o = overrides({
      ...base,
      "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": null,
      "actor_rollout_ref.actor.ppo_micro_batch_size": 16,
    });
    expect(codes(checkVerlBatchRules("0.4.0", o, span).diagnostics)).toEqual(["QLX7013"]);
  });

  it("skips micro-batch rules with dynamic batch sizes", () => {
    const o = overrides({
      ...base,
      "actor_rollout_ref.actor.use_dynamic_bsz": true,
      "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": null,
      "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu": null,
    });
    const r = checkVerlBatchRules("0.4.0", o, span);
    expect(r.diagnostics).toEqual([]);
    expect(r.plan?.microBatchPerGpu).toBeNull();
  });
});
