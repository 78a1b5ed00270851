// Every built-in function: samplers, advantage estimators, losses, clipping rules, entropy
// controllers, optimizers, rewards, merges, agents, retrospective filters, model inits, data
// generators. Parameter defaults here are the defaults lowering writes into the IR.
import type { FnSpec, ParamSpec, Ty } from "./types.ts";

const positive: Ty = { kind: "real", range: { min: 0, minExclusive: true } };
const nonNegative: Ty = { kind: "real", range: { min: 0 } };
const positiveInt: Ty = { kind: "int", range: { min: 1 } };
const prob: Ty = { kind: "probability" };
const reward: Ty = { kind: "fn", category: "reward" };

/**
 * Upper bound, in tokens, of the memory agent's fixed prompt text (the standard library's step
 * and answer templates, without chunk, memory, plan or question): `tiny` for the compact
 * rendering of byte-level tiny(...) policies, `natural` for prose. The checker budgets a step
 * with it (QLX4011); a runtime test holds the templates to it.
 */
export const MEMORY_TEMPLATE_TOKENS = { tiny: 16, natural: 1024 } as const;

export const TASK_GENERATORS = [
  "multiple_choice",
  "multihop",
  "reading",
  "dialogue_memory",
  "corpus_numeric",
] as const;

export const BENCHMARKS = ["docmath", "lbv2", "frames", "mrcr", "corpusqa", "lbv1_qa"] as const;

function p(
  name: string,
  type: Ty,
  doc: string,
  extra: Partial<Omit<ParamSpec, "name" | "type" | "doc">> = {},
): ParamSpec {
  return { name, type, doc, ...extra };
}

export const FUNCTIONS: readonly FnSpec[] = [
  // ── samplers (§4.2) ─────────────────────────────────────────────────────────────────────
  {
    name: "uniform",
    category: "sampler",
    params: [],
    doc: "Shuffled epochs over the union of all tasks: the conventional random sampler, whose batches can be dominated by one task.",
    cite: { paper: "§4.2" },
  },
  {
    name: "task_balanced",
    category: "sampler",
    params: [
      p(
        "over",
        { kind: "list", of: { kind: "ref", to: "task" }, minItems: 1, unique: true },
        "The tasks to balance; `tasks` (every declared task) by default.",
        { default: "tasks" },
      ),
    ],
    doc: "Every batch holds an equal share of each task; the remainder of batch / tasks is spread deterministically, and a task that runs out is reshuffled rather than shrinking the batch.",
    cite: { paper: "§4.2 (task-balanced sampler)" },
  },
  {
    name: "pass_rate_binned",
    category: "sampler",
    params: [
      p("k", positiveInt, "Samples per prompt in the pre-inference pass (pass@k).", { default: 8 }),
      p("bins", { kind: "int", range: { min: 2 } }, "Number of uniform pass-rate bins.", {
        default: 4,
      }),
      p(
        "per_bin",
        { kind: "int", range: { min: 0 } },
        "Examples drawn per bin and task; 0 draws the size of the smallest bin.",
        { default: 0 },
      ),
    ],
    doc: "Pre-balances the training set before RL: a pre-inference pass with the initial model computes pass@k per example, examples are binned by pass rate, and an equal number is drawn from each bin; batches are then task-balanced.",
    cite: { paper: "§4.2 (first bullet)" },
  },
  // ── advantages (Eq. 3, Eq. 7) ───────────────────────────────────────────────────────────
  {
    name: "grpo",
    category: "advantage",
    params: [
      p(
        "baseline",
        { kind: "enum", values: ["group_mean", "none"] },
        "Subtracted from each reward: the group mean of the G rewards, or nothing.",
        { default: "group_mean" },
      ),
      p(
        "std",
        { kind: "enum", values: ["group", "batch", "task_batch", "none"] },
        "Divisor: std of the group (GRPO), of the whole batch, of the rewards of the same task in the batch (Eq. 7), or none (Dr. GRPO).",
        { default: "group" },
      ),
      p(
        "eps",
        positive,
        "Added to the std so that equal rewards give a zero advantage, never NaN.",
        { default: 1e-6 },
      ),
    ],
    doc: "Group-relative advantage A_i = (r_i − mean(group)) / (std + eps). `std = task_batch` is the paper's task-specific advantage estimation.",
    cite: { paper: "Eq. 3; Eq. 7 (std = task_batch)" },
  },
  {
    name: "rloo",
    category: "advantage",
    params: [],
    doc: "REINFORCE leave-one-out: A_i = r_i − mean of the other G − 1 rewards of the group.",
  },
  {
    name: "reinforce_plus_plus",
    category: "advantage",
    params: [p("eps", positive, "Added to the batch std.", { default: 1e-6 })],
    doc: "REINFORCE++: the reward minus the batch mean, divided by the batch std (global normalisation, no group baseline).",
  },
  // ── loss ────────────────────────────────────────────────────────────────────────────────
  {
    name: "policy_gradient",
    category: "loss",
    params: [
      p(
        "aggregate",
        {
          kind: "enum",
          values: [
            "token_mean",
            "seq_mean_token_sum",
            "seq_mean_token_mean",
            "seq_mean_token_sum_norm",
          ],
        },
        "How per-token losses become one number: token_mean divides by all response tokens of the batch (DAPO, Eq. 8's 1/Σ|y_j|); seq_mean_token_sum sums per sequence then averages sequences; seq_mean_token_mean averages per sequence then over sequences; seq_mean_token_sum_norm divides sequence sums by the maximum response length (Dr. GRPO).",
        { default: "token_mean" },
      ),
      p("clip_low", nonNegative, "ε_low: the ratio is clipped below at 1 − ε_low.", {
        default: 0.2,
      }),
      p(
        "clip_high",
        nonNegative,
        "ε_high: the ratio is clipped above at 1 + ε_high (clip-higher when > ε_low).",
        { default: 0.2 },
      ),
      p(
        "dual_clip",
        { kind: "real", range: { min: 1, minExclusive: true } },
        "Dual-clip constant c > 1 bounding the loss of negative-advantage tokens; absent: no dual clip.",
      ),
      p(
        "kl",
        nonNegative,
        "β, the coefficient of the KL-to-reference term in the loss; 0 disables it (the paper: β = 0).",
        { default: 0 },
      ),
      p(
        "kl_estimator",
        { kind: "enum", values: ["k1", "k2", "k3"] },
        "KL estimator (Schulman's k1, k2, k3).",
        { default: "k3" },
      ),
      p(
        "kl_reward",
        nonNegative,
        "Coefficient of a KL penalty subtracted from the reward instead (verl's use_kl_in_reward); never together with `kl`.",
        { default: 0 },
      ),
      p("entropy", nonNegative, "Coefficient of the entropy bonus; 0 disables it.", { default: 0 }),
      p(
        "updates_per_batch",
        positiveInt,
        "Optimizer updates per rollout batch (PPO epochs × mini-batches). 1 is purely on-policy: the importance ratio is 1 and the clip inactive.",
        { default: 1 },
      ),
    ],
    doc: "Clipped policy-gradient objective with importance ratio ρ = π_θ / π_old, optional dual clip, KL to the reference policy and entropy bonus.",
    cite: { paper: "Eq. 2, Eq. 8" },
  },
  // ── negative-gradient clipping (Eq. 8-9) ────────────────────────────────────────────────
  {
    name: "negative_gradient",
    category: "clip",
    params: [
      p(
        "level",
        { kind: "enum", values: ["token", "sequence"] },
        "token: mask single tokens by H(t|i); sequence: mask whole responses by their mean token entropy H̄(i).",
        { default: "sequence" },
      ),
      p(
        "when",
        { kind: "predicate", subjects: ["entropy"], range: { min: 0 } },
        "Which negative-advantage tokens/responses lose their gradient: `entropy > τ` (the paper's rule) or `entropy < τ` (Table 4's low-entropy ablation).",
        { required: true },
      ),
    ],
    doc: "Sets the loss weight I(i, t) to 0 for responses with A_i < 0 whose token entropy (level = token) or mean sequence entropy (level = sequence) satisfies `when`.",
    cite: { paper: "Eq. 8-9, Table 4" },
  },
  {
    name: "none",
    category: "clip",
    params: [],
    doc: "No negative-gradient clipping (every token keeps its gradient).",
  },
  // ── entropy control (Eq. 11) ────────────────────────────────────────────────────────────
  {
    name: "aepo",
    category: "control",
    params: [
      p(
        "low",
        nonNegative,
        "H_low: once the batch entropy falls below it, negative gradients come back.",
        { required: true },
      ),
      p(
        "high",
        nonNegative,
        "H_high: when the batch entropy exceeds it, every negative-advantage response is masked.",
        { required: true },
      ),
    ],
    doc: "Adaptive Entropy-controlled Policy Optimization, as the paper's text defines it: batch entropy H (Eq. 11) above H_high masks negative-advantage responses; below H_low they return; between the bounds the previous state is kept (hysteresis). The state is logged every step.",
    cite: { paper: "Eq. 11, §4.4" },
  },
  {
    name: "aepo_fragment",
    category: "control",
    params: [
      p("low", nonNegative, "Lower entropy bound.", { required: true }),
      p("high", nonNegative, "Upper entropy bound.", { required: true }),
    ],
    doc: "The behaviour of the authors' released code fragment, for comparison in ablations: it filters only while low < H < high (strictly), keeps only responses with positive advantage and positive reward, and has no hysteresis.",
    cite: { design: "Semantics: AEPO" },
  },
  {
    name: "none",
    category: "control",
    params: [],
    doc: "No entropy control: negative-advantage responses always keep their gradient.",
  },
  // ── optimizer ───────────────────────────────────────────────────────────────────────────
  {
    name: "adamw",
    category: "optimizer",
    params: [
      p("lr", positive, "Learning rate (constant after warm-up).", { required: true }),
      p(
        "betas",
        {
          kind: "list",
          of: { kind: "real", range: { min: 0, max: 1, maxExclusive: true } },
          minItems: 2,
        },
        "β1, β2.",
        { default: [0.9, 0.999] },
      ),
      p("weight_decay", nonNegative, "Decoupled weight decay.", { default: 0.01 }),
      p("eps", positive, "Denominator epsilon.", { default: 1e-8 }),
      p("grad_clip", positive, "Global gradient-norm clip.", { default: 1 }),
      p(
        "warmup",
        { kind: "int", range: { min: 0 }, unit: "steps" },
        "Linear learning-rate warm-up steps.",
        { default: 0 },
      ),
    ],
    doc: "AdamW with a constant learning rate after an optional linear warm-up, and global gradient-norm clipping.",
  },
  // ── rewards (§5.1) ──────────────────────────────────────────────────────────────────────
  {
    name: "choice_accuracy",
    category: "reward",
    params: [],
    doc: "1 when the extracted choice letter equals the gold choice, else 0.",
  },
  {
    name: "contains",
    category: "reward",
    params: [],
    doc: "1 when the normalised ground truth is contained in the normalised extracted answer (the paper's rule-based verification).",
    cite: { paper: "§5.1" },
  },
  {
    name: "cem",
    category: "reward",
    params: [],
    doc: "Cover exact match: 1 when every gold token appears in the answer.",
    cite: { paper: "§5.1" },
  },
  { name: "em", category: "reward", params: [], doc: "Exact match after normalisation." },
  {
    name: "f1",
    category: "reward",
    params: [],
    doc: "Token-level F1 between answer and gold after normalisation.",
  },
  {
    name: "numeric_match",
    category: "reward",
    params: [
      p("rel_tol", nonNegative, "Relative tolerance.", { default: 1e-4 }),
      p("abs_tol", nonNegative, "Absolute tolerance.", { default: 0 }),
    ],
    doc: "1 when the extracted number is within rel_tol·|gold| or abs_tol of the gold number.",
  },
  {
    name: "sequence_ratio",
    category: "reward",
    params: [],
    doc: "difflib.SequenceMatcher(None, answer, gold).ratio(), by Unicode code points.",
    cite: { paper: "§5.1 (MRCR)" },
  },
  {
    name: "mrcr_grade",
    category: "reward",
    params: [],
    doc: "MRCR grading: 0 unless the answer starts with the sample's random prefix; the prefix is stripped once and the sequence ratio is returned.",
  },
  {
    name: "judge",
    category: "reward",
    params: [],
    doc: "LLM-as-a-judge semantic equivalence through the declared `judge` block (cached by content hash, retried, failures recorded).",
    cite: { paper: "§5.1, Table 6" },
  },
  {
    name: "max",
    category: "reward",
    params: [p("rewards", reward, "Rewards to combine.", { variadic: true, required: true })],
    doc: "The maximum of several rewards: `max(contains, judge)` is the paper's hybrid reward.",
    cite: { paper: "§5.1" },
  },
  {
    name: "fallback",
    category: "reward",
    params: [p("rewards", reward, "Rewards tried in order.", { variadic: true, required: true })],
    doc: "Evaluates rewards in order and returns the first positive one (or the last): an expensive judge only runs when the rule-based check fails.",
    cite: { paper: "§5.1" },
  },
  // ── merges (§4.1) ───────────────────────────────────────────────────────────────────────
  ...mergeFns(),
  // ── memory agent (§2.3) ─────────────────────────────────────────────────────────────────
  {
    name: "memory",
    category: "agent",
    params: [
      p("chunk", { kind: "tokens", range: { min: 1 } }, "Document tokens read per step.", {
        required: true,
      }),
      p(
        "memory",
        { kind: "tokens", range: { min: 1 } },
        "Token budget of the memory m_t (and plan p_t) carried between steps.",
        { required: true },
      ),
      p("plan", { kind: "bool" }, "Emit a plan p_t alongside the memory.", { default: true }),
      p(
        "max_chunks",
        { kind: "int", range: { min: 0 } },
        "At most this many chunks per document; 0: no limit.",
        { default: 0 },
      ),
    ],
    doc: "Memory-agent rollout: the query is split into q_core and q_inst, the document is read chunk by chunk with updated memory and plan per step, and the answer comes from the final memory; one trajectory reward, its advantage broadcast to every step.",
    cite: { paper: "§2.3, Eq. 5-6" },
  },
  {
    name: "hard",
    category: "retrospective",
    params: [
      p(
        "when",
        { kind: "predicate", subjects: ["pass_rate"], range: { min: 0, max: 1 } },
        "Which examples of the previous stage count as hard: `pass_rate < x`.",
        { required: true },
      ),
    ],
    doc: "Difficulty-aware retrospective sampling: the previous stage's examples whose rollout pass rate satisfies `when` are carried into this stage, filtered by this stage's length limits.",
    cite: { paper: "§4.1 (QwenLong-L1)" },
  },
  // ── model init ──────────────────────────────────────────────────────────────────────────
  {
    name: "tiny",
    category: "init",
    params: [
      p("layers", positiveInt, "Transformer layers.", { required: true }),
      p("dim", positiveInt, "Model width.", { required: true }),
      p("heads", positiveInt, "Attention heads (must divide dim).", { required: true }),
      p("vocab", positiveInt, "Vocabulary size; 260 is the built-in byte tokenizer.", {
        default: 260,
      }),
      p(
        "seed",
        { kind: "int", range: { min: 0 } },
        "Initialisation seed (mixed with the experiment seed).",
        { default: 0 },
      ),
    ],
    doc: "A small decoder-only transformer (RMSNorm, rotary positions, SwiGLU) initialised from scratch, for the built-in runtime.",
  },
  // ── task data ───────────────────────────────────────────────────────────────────────────
  {
    name: "generate",
    category: "data",
    params: [
      p("kind", { kind: "enum", values: TASK_GENERATORS }, "Which synthetic task family.", {
        required: true,
      }),
      p("count", positiveInt, "Examples to generate.", { default: 2048 }),
      p(
        "style",
        { kind: "enum", values: ["tiny", "natural"] },
        "Rendering: `tiny` is the compact fact syntax a from-scratch model learns at 32-128 tokens, `natural` is prose. Unset: tiny for a tiny(...) policy, natural otherwise.",
      ),
      p(
        "facts",
        { kind: "list", of: positiveInt, minItems: 2 },
        "[min, max] facts per prompt (a mix of easy and hard prompts). Unset: the generator's default for the style.",
      ),
      p("hops", positiveInt, "Reasoning hops (multihop). Unset: a mix (1-2 tiny, 2-3 natural)."),
      p(
        "choices",
        { kind: "int", range: { min: 2 } },
        "Answer options (multiple_choice). Unset: 2 tiny, 4 natural.",
      ),
      p(
        "seed",
        { kind: "int", range: { min: 0 } },
        "Generator seed (mixed with the experiment seed).",
        { default: 0 },
      ),
    ],
    doc: "A built-in synthetic long-context task with programmatic ground truth, padded with irrelevant text to the stage's input length.",
    cite: { design: "The task suite" },
  },
  {
    name: "env",
    category: "env",
    params: [p("name", { kind: "string" }, "Environment variable name.", { required: true })],
    doc: "Reads an environment variable when the run starts; the only way to bring secrets and endpoints in.",
  },
];

function mergeFns(): FnSpec[] {
  const inputs = p(
    "models",
    { kind: "list", of: { kind: "ref", to: "stageOrMerge" }, minItems: 2, unique: true },
    "The stages or merges to merge.",
    { required: true },
  );
  const base = p(
    "base",
    { kind: "ref", to: "stageOrMerge" },
    "The model task vectors are taken against; it must be one of the inputs or an ancestor of them.",
    { required: true },
  );
  return [
    {
      name: "linear",
      category: "merge",
      params: [
        inputs,
        p(
          "weights",
          { kind: "list", of: nonNegative },
          "Per-model weights, normalised; empty: equal weights.",
          { default: [] },
        ),
      ],
      doc: "Weighted average of the parameters.",
    },
    {
      name: "task_arithmetic",
      category: "merge",
      params: [
        inputs,
        base,
        p("scale", positive, "λ multiplying the summed task vectors.", { default: 1 }),
      ],
      doc: "base + λ Σ (θ_i − θ_base).",
    },
    {
      name: "ties",
      category: "merge",
      params: [
        inputs,
        base,
        p("density", prob, "Fraction of largest-magnitude task-vector entries kept per model.", {
          default: 0.2,
        }),
      ],
      doc: "TIES: trim each task vector to its top density, elect a sign per position, average the agreeing entries.",
    },
    {
      name: "dare",
      category: "merge",
      params: [
        inputs,
        base,
        p(
          "density",
          prob,
          "Keep probability of each task-vector entry (kept entries are rescaled by 1/density).",
          { default: 0.5 },
        ),
        p("seed", { kind: "int", range: { min: 0 } }, "Drop-mask seed.", { default: 0 }),
      ],
      doc: "DARE: randomly drop task-vector entries (seeded) and rescale the rest, then add to the base.",
    },
    {
      name: "sce",
      category: "merge",
      params: [
        inputs,
        base,
        p(
          "topk",
          prob,
          "Fraction of positions kept per tensor, by variance of the task vectors across models.",
          { default: 0.1 },
        ),
      ],
      doc: "SCE: select the top-k positions by task-vector variance, weight each model by its mean squared task vector, elect a sign by the summed vectors, and add the weighted masked sum to the base.",
      cite: { paper: "§4.1", design: "Merges" },
    },
  ];
}

const byCategoryAndName = new Map(FUNCTIONS.map((f) => [`${f.category}:${f.name}`, f]));

export function lookupFunction(category: string, name: string): FnSpec | undefined {
  return byCategoryAndName.get(`${category}:${name}`);
}

export function functionsOf(category: string): FnSpec[] {
  return FUNCTIONS.filter((f) => f.category === category);
}
