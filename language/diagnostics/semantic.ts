// QLX2xxx (names and imports), QLX3xxx (types, units, ranges), QLX4xxx (stages and graph) and
// QLX5xxx (cross-field RL rules) entries of the diagnostics table; `language/diagnostics.ts`
// spreads them into DIAGNOSTICS. Kept apart so that syntax and semantic codes can be edited
// independently.
import type { DiagnosticDef } from "../diagnostics.ts";

function def<P = Record<string, never>>(d: DiagnosticDef<P>): DiagnosticDef<P> {
  return d;
}

function didYouMean(p: { suggestion?: string }): string | undefined {
  return p.suggestion === undefined ? undefined : `did you mean '${p.suggestion}'?`;
}

type Named = { name: string; suggestion?: string };

export const SEMANTIC_DIAGNOSTICS = {
  // ── QLX2xxx: names and imports ────────────────────────────────────────────────────────────
  QLX2001: def<Named & { parent: string; allowed: string }>({
    severity: "error",
    title: "unknown block",
    message: (p) => `unknown block '${p.name}' in ${p.parent}`,
    help: (p) => didYouMean(p) ?? `blocks allowed here: ${p.allowed}`,
    explanation:
      "Only the blocks the language reference lists for a parent block may appear in it.",
    example: "experiment x { rollouts { group = 8 } }",
  }),
  QLX2002: def<Named & { parent: string; allowed: string }>({
    severity: "error",
    title: "unknown field",
    message: (p) => `unknown field '${p.name}' in ${p.parent}`,
    help: (p) => didYouMean(p) ?? `fields allowed here: ${p.allowed}`,
    explanation:
      "A misspelt or renamed setting would silently do nothing in a YAML/Hydra config; in qlx it is an error.",
    example: "experiment x { rollout { temprature = 0.7 } }",
  }),
  QLX2003: def<Named & { category: string; allowed: string }>({
    severity: "error",
    title: "unknown function",
    message: (p) => `unknown ${p.category} '${p.name}'`,
    help: (p) => didYouMean(p) ?? `available: ${p.allowed}`,
    explanation: "Each field that takes a function accepts the built-ins of one category.",
    example: "experiment x { advantage = gae() }",
  }),
  QLX2004: def<Named & { fn: string; allowed: string }>({
    severity: "error",
    title: "unknown argument",
    message: (p) => `${p.fn}() has no parameter '${p.name}'`,
    help: (p) => didYouMean(p) ?? `parameters: ${p.allowed}`,
    explanation: "Arguments are matched by name against the function's declared parameters.",
    example: "experiment x { advantage = grpo(stdev = batch) }",
  }),
  QLX2005: def<Named & { what: string }>({
    severity: "error",
    title: "unknown name",
    message: (p) => `no ${p.what} named '${p.name}'`,
    help: (p) => didYouMean(p) ?? `declare the ${p.what} first`,
    explanation:
      "References to tasks, stages, merges and models must name one declared in the experiment.",
    example: "experiment x { sampler = task_balanced(over = [mc, qa]) }",
  }),
  QLX2006: def<{ name: string }>({
    severity: "error",
    title: "duplicate field",
    message: (p) => `field '${p.name}' is set twice`,
    help: () => "remove one of the assignments",
    explanation:
      "A field may be set once per block; the second value would silently win elsewhere.",
    example: "experiment x { batch = 64\n batch = 128 }",
  }),
  QLX2007: def<{ name: string; what: string }>({
    severity: "error",
    title: "duplicate name",
    message: (p) => `${p.what} '${p.name}' is declared twice`,
    help: () => "rename one of them",
    explanation:
      "Names of experiments, stages, merges, tasks, models, profiles and rows must be unique in their scope.",
    example: "experiment x { schedule { stage s1 { … }\n stage s1 { … } } }",
  }),
  QLX2008: def<{ path: string }>({
    severity: "error",
    title: "import not found",
    message: (p) => `cannot find '${p.path}'`,
    help: () => "paths in `use` are relative to the importing file",
    explanation: "A `use` line must name an existing .qlx file inside the project directory.",
    example: 'use "missing.qlx"',
  }),
  QLX2009: def<{ path: string }>({
    severity: "error",
    title: "path outside the project",
    message: (p) => `'${p.path}' is outside the project directory`,
    help: () =>
      "keep imports and data inside the project directory (the entry file's directory, or the nearest one above it holding a qlx.project file)",
    explanation:
      "A .qlx file cannot read files outside its project: absolute paths and `..` escapes are rejected so that a file is safe to check and run.",
    example: 'experiment x { tasks { qa { data = "../../etc/passwd", reward = em } } }',
  }),
  QLX2010: def<{ path: string }>({
    severity: "error",
    title: "import cycle",
    message: (p) => `'${p.path}' imports itself through a cycle`,
    help: () => "move the shared declarations into a third file that both import",
    explanation: "`use` graphs must be acyclic.",
    example: 'use "a.qlx" // in a.qlx: use "b.qlx"; in b.qlx: use "a.qlx"',
  }),
  QLX2011: def<Named>({
    severity: "error",
    title: "unknown base experiment",
    message: (p) => `no experiment named '${p.name}' (in this file or its imports)`,
    help: (p) => didYouMean(p) ?? 'import the file that declares it with `use "file.qlx"`',
    explanation:
      "An ablation's `of` must name an experiment declared in the file or an imported one.",
    example: 'ablation t of nothing { rows { "a" { } } }',
  }),
  QLX2012: def<Named>({
    severity: "error",
    title: "unknown standard-library name",
    message: (p) => `'${p.name}' is not in the standard library`,
    help: (p) => didYouMean(p) ?? "see docs/reference.md for the standard library",
    explanation: "`std.` names refer to built-in values such as `std.prompts.equivalence`.",
    example: "experiment x { judge { prompt = std.prompts.equal } }",
  }),
  QLX2013: def<{ keyword: string; problem: string }>({
    severity: "error",
    title: "block head",
    message: (p) => `'${p.keyword}' ${p.problem}`,
    help: () => "see the block's head in the language reference",
    explanation:
      "Some blocks need a name (`stage s1`, `model policy`), some take none; only stages take `from`, only ablations take `of`.",
    example: "experiment x { schedule { stage { steps = 1 } } }",
  }),
  QLX2014: def<Named & { experiment: string }>({
    severity: "error",
    title: "unknown profile",
    message: (p) => `experiment '${p.experiment}' has no profile '${p.name}'`,
    help: (p) => didYouMean(p) ?? "declare it with `profile NAME { … }` inside the experiment",
    explanation: "`--profile` and an ablation's `profile` field must name a declared profile.",
    example: 'ablation t of x { profile = "smal" }',
  }),
  QLX2015: def<{ name: string }>({
    severity: "error",
    title: "unknown grid variable",
    message: (p) => `'{${p.name}}' names no enclosing 'for' variable`,
    help: () => "interpolate only variables of an enclosing `for x in [...]`",
    explanation: 'Row names of grids interpolate the grid variables, e.g. `"lr {lr}"`.',
    example: 'ablation t of x { rows { "lr {lr}" { } } }',
  }),
  QLX2016: def<{ path: string }>({
    severity: "warning",
    title: "data file not found",
    message: (p) => `data file '${p.path}' does not exist (yet)`,
    help: () => "create it (e.g. `qlx data`) before running, or use `generate(kind = …)`",
    explanation:
      "A task's data path does not exist now; the run would fail when it loads the data.",
    example: 'experiment x { tasks { qa { data = "data/qa.jsonl", reward = em } } }',
  }),
  QLX2017: def<{ keyword: string }>({
    severity: "error",
    title: "misplaced item",
    message: (p) => `${p.keyword} is not allowed here`,
    help: () => "`for` grids belong in an ablation's rows; `use` at the top of a file",
    explanation:
      "Grids and quoted row blocks only appear inside `rows { … }`; `*=` only inside profiles.",
    example: "experiment x { for lr in [1, 2] { } }",
  }),

  // ── QLX3xxx: types, units and ranges ──────────────────────────────────────────────────────
  QLX3001: def<{ expected: string; found: string }>({
    severity: "error",
    title: "type mismatch",
    message: (p) => `expected ${p.expected}, found ${p.found}`,
    explanation: "Every field and parameter has a declared type (see docs/reference.md).",
    example: 'experiment x { batch = "128" }',
  }),
  QLX3002: def<{ name: string; value: number; range: string }>({
    severity: "error",
    title: "value out of range",
    message: (p) => `${p.name} = ${p.value} is out of range: must be ${p.range}`,
    explanation:
      "Values outside a parameter's range (temperature ≤ 0, top_p > 1, probabilities outside [0, 1], zero steps) cannot work.",
    example: "experiment x { rollout { top_p = 1.5 } }",
  }),
  QLX3003: def<{ name: string; parent: string }>({
    severity: "error",
    title: "missing field",
    message: (p) => `${p.parent} needs '${p.name}'`,
    help: (p) => `add \`${p.name} = …\``,
    explanation: "The field has no safe default and must be given.",
    example: 'experiment x { model policy { init = "Qwen/Qwen3-4B" } }',
  }),
  QLX3004: def<{ name: string; fn: string }>({
    severity: "error",
    title: "missing argument",
    message: (p) => `${p.fn}() needs '${p.name}'`,
    help: (p) => `pass \`${p.name} = …\``,
    explanation: "The parameter has no default.",
    example: "experiment x { optimizer = adamw() }",
  }),
  QLX3005: def<Named & { allowed: string }>({
    severity: "error",
    title: "unknown option",
    message: (p) => `'${p.name}' is not one of ${p.allowed}`,
    help: (p) => didYouMean(p) ?? `choose one of ${p.allowed}`,
    explanation: "The value must be one of the listed options.",
    example: "experiment x { advantage = grpo(std = task) }",
  }),
  QLX3006: def<{ fn: string; max: number }>({
    severity: "error",
    title: "too many arguments",
    message: (p) => `${p.fn}() takes at most ${p.max} positional argument${p.max === 1 ? "" : "s"}`,
    help: () => "name the arguments: `f(name = value)`",
    explanation: "Positional arguments fill parameters in declared order.",
    example: "experiment x { optimizer = adamw(1e-6, 2e-6, 3) }",
  }),
  QLX3007: def<{ name: string }>({
    severity: "error",
    title: "argument given twice",
    message: (p) => `argument '${p.name}' is given twice`,
    help: () => "remove one",
    explanation: "Each parameter takes one value.",
    example: "experiment x { optimizer = adamw(lr = 1e-6, lr = 2e-6) }",
  }),
  QLX3008: def<{ name: string; value: number }>({
    severity: "error",
    title: "not an integer",
    message: (p) => `${p.name} must be a whole number, found ${p.value}`,
    explanation: "Counts, steps and token lengths are integers.",
    example: "experiment x { rollout { group = 7.5 } }",
  }),
  QLX3009: def<{ name: string; min: number }>({
    severity: "error",
    title: "list too short",
    message: (p) => `${p.name} needs at least ${p.min} item${p.min === 1 ? "" : "s"}`,
    explanation: "An empty benchmark list or a one-model merge does nothing useful.",
    example: "experiment x { evaluate { benchmarks = [] } }",
  }),
  QLX3010: def<{ allowed: string }>({
    severity: "error",
    title: "bad comparison",
    message: (p) => `expected a comparison on ${p.allowed}, like \`entropy > 0.8\``,
    explanation: "Conditions are `subject op number` with op one of < <= > >=.",
    example: "experiment x { clip = negative_gradient(when = loss > 1) }",
  }),
  QLX3011: def<{ name: string }>({
    severity: "error",
    title: "secret as a literal",
    message: (p) => `'${p.name}' must come from env("NAME"), not a literal`,
    help: () => 'write `api_key = env("MY_KEY")`',
    explanation: "Credentials in source files leak through version control and logs.",
    example: 'experiment x { judge { api_key = "sk-123" } }',
  }),
  QLX3012: def<{ name: string }>({
    severity: "error",
    title: "bad scale factor",
    message: (p) => `'${p.name} *= …' needs a numeric field and a positive number`,
    help: () => "scale factors multiply numbers, e.g. `steps *= 0.1`",
    explanation: "`*=` in a profile multiplies a numeric field; integers are rounded and kept ≥ 1.",
    example: "experiment x { profile p { rollout { truncate *= 2 } } }",
  }),
  QLX3013: def<{ name: string }>({
    severity: "error",
    title: "duplicate list item",
    message: (p) => `'${p.name}' appears twice in the list`,
    explanation: "Duplicates would count twice (a benchmark in the average, a model in a merge).",
    example: "experiment x { evaluate { benchmarks = [mrcr, mrcr] } }",
  }),
  QLX3014: def<{ op: string }>({
    severity: "error",
    title: "arithmetic on non-numbers",
    message: (p) => `'${p.op}' needs numbers on both sides`,
    explanation: "Arithmetic is constant-folded at compile time on numbers and token counts only.",
    example: 'experiment x { batch = "a" * 2 }',
  }),

  // ── QLX4xxx: stages, schedule and graph ──────────────────────────────────────────────────
  QLX4001: def<{ cycle: string }>({
    severity: "error",
    title: "stage cycle",
    message: (p) => `the schedule has a cycle: ${p.cycle}`,
    help: () => "a stage can only start from a stage or merge that runs before it",
    explanation: "Stages and merges form a DAG through `from` and merge inputs.",
    example: "stage a from b { … }  stage b from a { … }",
  }),
  QLX4002: def<{ name: string; target: string }>({
    severity: "error",
    title: "from a later stage",
    message: (p) => `stage '${p.name}' starts from '${p.target}', which is declared after it`,
    help: () => "declare stages in the order they run",
    explanation:
      "The schedule runs in declaration order; `from` must name an earlier stage or merge.",
    example: "schedule { stage a from b { … }  stage b { … } }",
  }),
  QLX4003: def<{ name: string; models: string }>({
    severity: "error",
    title: "merge of different models",
    message: (p) => `merge '${p.name}' combines different base models (${p.models})`,
    help: () => "merge only stages descended from the same model",
    explanation: "Task vectors only make sense between fine-tunes of the same base weights.",
    example: "merge m = linear(models = [a, b]) // a from model p, b from model q",
  }),
  QLX4004: def<{ name: string; base: string }>({
    severity: "error",
    title: "merge base not an ancestor",
    message: (p) =>
      `merge '${p.name}': base '${p.base}' is neither an input nor an ancestor of the inputs`,
    explanation:
      "Task vectors are θ_i − θ_base; a base the inputs did not start from gives meaningless vectors.",
    example: "merge m = sce(models = [a, b], base = c)",
  }),
  QLX4005: def<{ stage: string; output: number; context: number }>({
    severity: "error",
    title: "output exceeds context",
    message: (p) =>
      `stage '${p.stage}': output ${p.output} tokens does not fit in the ${p.context}-token context`,
    help: () => "lower output or raise the model's context",
    explanation: "The response must be shorter than the context window.",
    example: "model p { context = 8K }  stage s { input = 1K, output = 8K, steps = 1 }",
  }),
  QLX4006: def<{ stage: string; total: number; context: number }>({
    severity: "error",
    title: "input + output exceeds context",
    message: (p) =>
      `stage '${p.stage}': input + output = ${p.total} tokens exceeds the ${p.context}-token context`,
    help: () => "lower input or output, or raise the model's context",
    explanation:
      "Prompt and response share the context window; the run would fail or truncate at rollout.",
    example: "model p { context = 32K }  stage s { input = 30K, output = 4K, steps = 1 }",
  }),
  QLX4007: def({
    severity: "error",
    title: "empty schedule",
    message: () => "the experiment trains but its schedule has no stage",
    help: () =>
      "add `schedule { stage s1 { input = …, output = …, steps = … } }` or set `train = false`",
    explanation: "A training experiment needs at least one stage.",
    example: "experiment x { schedule { } }",
  }),
  QLX4008: def<{ every: number; stage: string; steps: number }>({
    severity: "warning",
    title: "evaluation never runs within stage",
    message: (p) => `evaluate every ${p.every} steps, but stage '${p.stage}' has only ${p.steps}`,
    help: () => "lower `every` or evaluate `after` the stage",
    explanation: "A periodic evaluation longer than the stage never fires during it.",
    example: "evaluate { every = 100 }  stage s { steps = 50 }",
  }),
  QLX4009: def<{ stage: string }>({
    severity: "error",
    title: "retrospective without a previous stage",
    message: (p) => `stage '${p.stage}' uses retrospective sampling but no stage runs before it`,
    help: () => "remove `retrospective` from the first stage",
    explanation:
      "Retrospective sampling carries hard examples of the previous stage forward (§4.1).",
    example: "schedule { stage s1 { retrospective = hard(pass_rate < 0.5), … } }",
  }),
  QLX4010: def<{ name: string }>({
    severity: "warning",
    title: "unused merge",
    message: (p) => `merge '${p.name}' is never used by a stage or evaluation`,
    help: () => "start a stage `from` it or list it in `evaluate { after = [...] }`",
    explanation: "A merge nothing consumes is computed for nothing.",
    example: "merge m = linear(models = [a, b])",
  }),
  QLX4011: def<{ stage: string; need: number; context: number; detail: string }>({
    severity: "error",
    title: "memory agent exceeds context",
    message: (p) =>
      `stage '${p.stage}': a memory-agent step needs ${p.need} tokens (${p.detail}), more than the ${p.context}-token context`,
    help: () => "lower chunk or memory, or raise the model's context",
    explanation:
      "Each memory-agent step reads the template, one chunk and the previous memory and plan, and writes the new memory and plan; the answer step reads the final memory and writes the answer (§2.3). The longer step must fit in the context.",
    example: "stage m { agent = memory(chunk = 250K, memory = 8K) }",
  }),
  QLX4012: def<{ stage: string }>({
    severity: "warning",
    title: "stage shortens inputs",
    message: (p) => `stage '${p.stage}' has a shorter input than the stage before it`,
    help: () => "the progressive recipe extends input length stage by stage (§4.1)",
    explanation: "A length curriculum that shrinks is usually a typo.",
    example: "stage s1 { input = 60K }  stage s2 { input = 20K }",
  }),

  // ── QLX5xxx: cross-field RL rules ─────────────────────────────────────────────────────────
  QLX5001: def<{ responses: number; dp: number }>({
    severity: "error",
    title: "batch does not divide across workers",
    message: (p) =>
      `batch × group = ${p.responses} responses do not divide across ${p.dp} data-parallel workers`,
    help: () => "choose batch and group so that batch × group is a multiple of data_parallel",
    explanation: "Uneven shards fail at runtime or silently drop samples (verl#405, TRL#2858).",
    example: "experiment x { batch = 10, data_parallel = 4, rollout { group = 1 } }",
  }),
  QLX5002: def<{ group: number; estimator: string }>({
    severity: "error",
    title: "group too small for a group baseline",
    message: (p) => `${p.estimator} needs group ≥ 2, but group = ${p.group}`,
    help: () => "raise rollout.group, or use reinforce_plus_plus",
    explanation:
      "With one response per prompt the group baseline equals the reward and every advantage is 0.",
    example: "experiment x { rollout { group = 1 }, advantage = grpo() }",
  }),
  QLX5003: def<{ task: string }>({
    severity: "error",
    title: "task without reward",
    message: (p) => `task '${p.task}' has no reward`,
    help: () => "add `reward = …`, e.g. `reward = max(contains, judge)`",
    explanation: "Every task needs an outcome reward; without one RL has nothing to optimise.",
    example: 'tasks { qa { data = "qa.jsonl" } }',
  }),
  QLX5004: def({
    severity: "error",
    title: "judge reward without a judge",
    message: () => "the `judge` reward needs a `judge { endpoint = …, model = … }` block",
    explanation: "The judge reward calls the declared judge endpoint.",
    example: 'tasks { qa { data = "qa.jsonl", reward = judge } }',
  }),
  QLX5005: def({
    severity: "error",
    title: "KL applied twice",
    message: () => "KL is applied in both the loss and the reward",
    help: () => "set either `kl` (in the loss) or `kl_reward` (in the reward) to 0",
    explanation:
      "Applying the KL penalty twice (verl#265, #3276) doubles the regularisation silently.",
    example: "loss = policy_gradient(kl = 0.01, kl_reward = 0.01)",
  }),
  QLX5006: def<{ low: number; high: number }>({
    severity: "warning",
    title: "clip_high below clip_low",
    message: (p) => `clip_high (${p.high}) is below clip_low (${p.low})`,
    help: () => "clip-higher (DAPO) uses clip_high ≥ clip_low; did you swap them?",
    explanation: "A smaller upper clip suppresses exploration of low-probability tokens.",
    example: "loss = policy_gradient(clip_low = 0.28, clip_high = 0.2)",
  }),
  QLX5007: def({
    severity: "warning",
    title: "PPO clip disabled with several updates",
    message: () => "updates_per_batch > 1 with clip_low = clip_high = 0 disables the trust region",
    help: () => "set clip_low/clip_high (0.2 is usual) or use one update per batch",
    explanation:
      "With several updates per batch the policy drifts off-policy; without the clip nothing bounds the ratio.",
    example: "loss = policy_gradient(updates_per_batch = 4, clip_low = 0, clip_high = 0)",
  }),
  QLX5008: def<{ lr: number; limit: number }>({
    severity: "warning",
    title: "learning rate very high",
    message: (p) => `lr = ${p.lr} is above ${p.limit} for a pretrained model`,
    help: () => "RL fine-tuning of pretrained LLMs usually uses 1e-7 … 1e-5 (the paper: 2e-6)",
    explanation: "Such rates usually collapse entropy or diverge within a few steps.",
    example: 'model p { init = "Qwen/Qwen3-4B" }  optimizer = adamw(lr = 1e-3)',
  }),
  QLX5009: def<{ low: number; high: number }>({
    severity: "error",
    title: "AEPO bounds reversed",
    message: (p) => `aepo needs low < high, found low = ${p.low}, high = ${p.high}`,
    explanation: "AEPO keeps the batch entropy inside [H_low, H_high] (Eq. 11).",
    example: "control = aepo(low = 0.5, high = 0.3)",
  }),
  QLX5010: def<{ mini: number; batch: number }>({
    severity: "error",
    title: "mini-batch does not divide batch",
    message: (p) => `mini_batch ${p.mini} does not divide batch ${p.batch}`,
    explanation: "The last mini-batch would be short or dropped (verl#4852).",
    example: "experiment x { batch = 128, mini_batch = 48 }",
  }),
  QLX5011: def<{ tasks: number }>({
    severity: "warning",
    title: "task-balanced over one task",
    message: (p) => `task_balanced sampling over ${p.tasks} task has no effect`,
    help: () => "use `uniform`, or balance over several tasks",
    explanation: "Balancing needs at least two tasks (§4.2).",
    example: "sampler = task_balanced(over = [qa])",
  }),
  QLX5012: def<{ batch: number; tasks: number }>({
    severity: "info",
    title: "batch not a multiple of task count",
    message: (p) => `batch ${p.batch} does not split evenly over ${p.tasks} tasks`,
    help: () =>
      "the remainder is spread deterministically; choose a multiple for exactly equal shares",
    explanation:
      "Task-balanced batches are only exactly balanced when batch is a multiple of the number of tasks.",
    example: "batch = 128  sampler = task_balanced()  // 5 tasks",
  }),
  QLX5013: def<{ value: number; max: number }>({
    severity: "warning",
    title: "entropy threshold unreachable",
    message: (p) =>
      `entropy threshold ${p.value} exceeds ln(vocab) = ${p.max.toFixed(3)}, the largest possible entropy`,
    explanation: "Entropies are in nats and bounded by ln |V|; the rule can never trigger.",
    example:
      "model p { init = tiny(layers = 2, dim = 128, heads = 4) }  control = aepo(low = 5, high = 7)",
  }),
  QLX5014: def<{ dim: number; heads: number }>({
    severity: "error",
    title: "heads do not divide dim",
    message: (p) => `tiny model: heads ${p.heads} do not divide dim ${p.dim}`,
    explanation: "Each attention head gets dim / heads channels.",
    example: "init = tiny(layers = 2, dim = 100, heads = 3)",
  }),
  QLX5015: def({
    severity: "warning",
    title: "tiny model without warm-up",
    message: () => "a model trained from scratch gets no reward without a supervised warm-up",
    help: () => "add `warmup sft { steps = 200, lr = 2e-3, until = accuracy >= 0.3 }`",
    explanation:
      "RL from random weights sees all-zero rewards and zero advantages; the measured tiny recipe warms up to ~0.3 greedy accuracy first.",
    example: "model p { init = tiny(layers = 2, dim = 128, heads = 4), context = 64 }",
  }),
  QLX5016: def<{ seeds: number }>({
    severity: "warning",
    title: "one seed per row",
    message: () => "an ablation with seeds = 1 cannot tell an effect from noise",
    help: () => "use seeds ≥ 3 to get confidence intervals",
    explanation: "Seed-to-seed spread is often as large as the effects being ablated.",
    example: "ablation t of x { seeds = 1 }",
  }),
  QLX5017: def({
    severity: "info",
    title: "KL estimator unused",
    message: () => "kl_estimator is set but kl = kl_reward = 0, so no KL term is computed",
    explanation: "Settings that do nothing are confusing in an ablation.",
    example: "loss = policy_gradient(kl_estimator = k1)",
  }),
  QLX5018: def<{ temperature: number }>({
    severity: "warning",
    title: "temperature too low for group sampling",
    message: (p) =>
      `temperature ${p.temperature} makes the G responses of a group nearly identical`,
    help: () => "group-relative advantages need diverse responses; 0.6 … 1.0 is usual",
    explanation:
      "Identical responses get identical rewards and zero advantage: no learning signal.",
    example: "rollout { temperature = 0.05 }",
  }),
} as const;
