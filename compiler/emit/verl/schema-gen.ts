// Turns verl's trainer YAML into a flat key table (dotted path → type, nullability, default)
// and renders it as a TypeScript module. Used by scripts/gen-verl-schema.ts and by the test
// that checks the committed table still matches the reference YAML.
import type { VerlKeySpec, VerlSchema, VerlValueType } from "./schema/types.ts";

/**
 * Keys whose YAML default does not show their real type: a `null` default, or a number written
 * as an integer (`top_p: 1`) that verl reads as a float. Read from the v0.4.0 source (the
 * workers' arithmetic and the comments beside each key), not guessed from names.
 */
const TYPE_CORRECTIONS: Readonly<Record<string, Readonly<Record<string, VerlValueType>>>> = {
  "0.4.0": {
    "data.tokenizer": "str",
    "data.val_batch_size": "int",
    "data.custom_cls.path": "str",
    "data.custom_cls.name": "str",
    "actor_rollout_ref.model.external_lib": "str",
    "actor_rollout_ref.actor.ppo_micro_batch_size": "int",
    "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": "int",
    "actor_rollout_ref.actor.entropy_coeff": "float",
    "actor_rollout_ref.ref.log_prob_micro_batch_size": "int",
    "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu": "int",
    "actor_rollout_ref.rollout.chat_scheduler": "str",
    "actor_rollout_ref.rollout.top_p": "float",
    "actor_rollout_ref.rollout.max_model_len": "int",
    "actor_rollout_ref.rollout.log_prob_micro_batch_size": "int",
    "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu": "int",
    "actor_rollout_ref.rollout.engine_kwargs.vllm.swap_space": "int",
    "actor_rollout_ref.rollout.engine_kwargs.sglang.attention_backend": "str",
    "actor_rollout_ref.rollout.val_kwargs.temperature": "float",
    "actor_rollout_ref.rollout.multi_turn.max_turns": "int",
    "actor_rollout_ref.rollout.multi_turn.tool_config_path": "str",
    "critic.optim.min_lr_ratio": "float",
    "critic.ppo_micro_batch_size": "int",
    "critic.ppo_micro_batch_size_per_gpu": "int",
    "reward_model.micro_batch_size": "int",
    "reward_model.micro_batch_size_per_gpu": "int",
    "reward_model.max_length": "int",
    "reward_model.sandbox_fusion.url": "str",
    "custom_reward_function.path": "str",
    "trainer.total_training_steps": "int",
    "trainer.rollout_data_dir": "str",
    "trainer.validation_data_dir": "str",
    "trainer.resume_from_path": "str",
    "trainer.default_hdfs_dir": "str",
    "trainer.max_actor_ckpt_to_keep": "int",
    "trainer.max_critic_ckpt_to_keep": "int",
    "ray_init.num_cpus": "int",
    "ray_init.timeline_json_file": "str",
  },
};

const INTERPOLATION = /^\$\{([A-Za-z0-9_.]+)\}$/;

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function jsonDefault(v: unknown): VerlKeySpec["default"] {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === "bigint" ? Number(x) : x)) as string[];
  if (isMapping(v)) return {};
  return v as string | number | boolean | null;
}

function typeOf(v: unknown): VerlValueType {
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "float";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "str";
  if (Array.isArray(v)) return "list";
  if (isMapping(v)) return "dict";
  return "any";
}

/** Flattens a parsed YAML tree (parsed with `intAsBigInt`) into the key table. */
export function schemaFromYaml(tree: unknown, version: string): VerlSchema {
  const corrections = TYPE_CORRECTIONS[version] ?? {};
  const flat: Record<string, { raw: unknown }> = {};
  const walk = (node: unknown, prefix: string): void => {
    if (!isMapping(node)) throw new Error(`verl yaml: expected a mapping at '${prefix}'`);
    for (const [k, v] of Object.entries(node)) {
      const path = prefix === "" ? k : `${prefix}.${k}`;
      if (isMapping(v) && Object.keys(v).length > 0) walk(v, path);
      else flat[path] = { raw: v };
    }
  };
  walk(tree, "");

  const schema: Record<string, VerlKeySpec> = {};
  const resolveType = (path: string, seen: Set<string>): VerlValueType => {
    const corrected = corrections[path];
    if (corrected !== undefined) return corrected;
    const raw = flat[path]?.raw;
    if (raw === undefined) throw new Error(`verl yaml: interpolation target '${path}' missing`);
    const m = typeof raw === "string" ? INTERPOLATION.exec(raw) : null;
    if (m !== null) {
      if (seen.has(path)) throw new Error(`verl yaml: interpolation cycle at '${path}'`);
      seen.add(path);
      return resolveType(m[1]!, seen);
    }
    return typeOf(raw);
  };
  for (const path of Object.keys(flat).sort()) {
    const raw = flat[path]!.raw;
    const m = typeof raw === "string" ? INTERPOLATION.exec(raw) : null;
    const type = resolveType(path, new Set());
    const spec: VerlKeySpec = {
      type,
      // A null default means verl treats the key as optional; an interpolated key is as
      // nullable as its target (e.g. critic.forward_micro_batch_size → critic.ppo_micro_batch_size).
      nullable: raw === null || (m !== null && isNullableTarget(m[1]!, flat)),
      default: jsonDefault(raw),
      ...(m !== null ? { interpolates: m[1]! } : {}),
    };
    schema[path] = spec;
  }
  for (const path of Object.keys(corrections)) {
    if (schema[path] === undefined) throw new Error(`type correction for unknown key '${path}'`);
  }
  return schema;
}

function isNullableTarget(path: string, flat: Record<string, { raw: unknown }>): boolean {
  const raw = flat[path]?.raw;
  if (raw === null) return true;
  const m = typeof raw === "string" ? INTERPOLATION.exec(raw) : null;
  return m !== null && isNullableTarget(m[1]!, flat);
}

export function renderSchemaModule(schema: VerlSchema, version: string, sha256: string): string {
  const id = `VERL_SCHEMA_V${version.replaceAll(".", "_")}`;
  const lines = [
    `// GENERATED by scripts/gen-verl-schema.ts from verl v${version}'s`,
    `// verl/trainer/config/ppo_trainer.yaml (sha256 ${sha256}). Do not edit by hand.`,
    `import type { VerlSchema } from "./types.ts";`,
    ``,
    `export const ${id}_SOURCE_SHA256 = "${sha256}";`,
    ``,
    `export const ${id}: VerlSchema = ${JSON.stringify(schema, null, 2)};`,
    ``,
  ];
  return lines.join("\n");
}
