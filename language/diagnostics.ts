// Every diagnostic qlx can report, in one table. Call sites pass a code and typed data, never
// prose (`diag("QLX2001", span, { name })`); the table owns the wording, the help line, the
// explanation and a minimal failing example, which `docs/diagnostics.md` is generated from.
// Ranges: QLX1xxx syntax, QLX2xxx names and imports, QLX3xxx types, units and ranges,
// QLX4xxx stages, schedule and graph, QLX5xxx cross-field RL rules, QLX6xxx backend
// capabilities (valid files a backend cannot run), QLX7xxx the verl backend's config and
// batch-size rules. Codes are never renumbered or reused.
import type { Span } from "./ast.ts";
import { SEMANTIC_DIAGNOSTICS } from "./diagnostics/semantic.ts";

export type Severity = "error" | "warning" | "info";

export interface DiagnosticDef<P> {
  readonly severity: Severity;
  /** A short name for the docs index. */
  readonly title: string;
  readonly message: (p: P) => string;
  readonly help?: (p: P) => string;
  /** One paragraph for the docs page and hover: why this is a problem. */
  readonly explanation: string;
  /** A minimal `.qlx` fragment that triggers it. */
  readonly example: string;
}

function def<P = Record<string, never>>(d: DiagnosticDef<P>): DiagnosticDef<P> {
  return d;
}

export const DIAGNOSTICS = {
  // ── QLX1xxx: syntax ────────────────────────────────────────────────────────────────────
  QLX1001: def<{ text: string }>({
    severity: "error",
    title: "unexpected character",
    message: (p) => `unexpected character '${p.text}'`,
    help: () =>
      "remove it; qlx source uses ASCII punctuation { } [ ] ( ) = , . and comparison operators",
    explanation:
      "The lexer found a character that starts no token of the language. Only the characters listed in the language reference can appear outside strings and comments.",
    example: "experiment x { seed = 7 $ }",
  }),
  QLX1002: def({
    severity: "error",
    title: "unterminated string",
    message: () => "unterminated string literal",
    help: () => 'close the string with a double quote (") on the same line',
    explanation: "A string literal must start and end on the same line.",
    example: 'experiment x { model policy { init = "Qwen/Qwen3 } }',
  }),
  QLX1003: def<{ expected: string; found: string }>({
    severity: "error",
    title: "unexpected token",
    message: (p) => `expected ${p.expected}, found ${p.found}`,
    explanation:
      "The parser expected a different token here. Parsing resumes at the next item or closing brace, so the rest of the file is still checked.",
    example: "experiment x { model policy { init = f(1 2) } }",
  }),
  QLX1004: def<{ head: string; line: number }>({
    severity: "error",
    title: "unclosed block",
    message: (p) => `the block '${p.head}' opened on line ${p.line} is never closed`,
    help: () => "add the missing '}'; the file ended while this block was still open",
    explanation:
      "Every '{' needs a matching '}'. The parser reached the end of the file with this block (and any blocks around it) still open; the missing brace may be earlier than the end of the file, where the indentation first goes wrong.",
    example: "experiment x {\n  seed = 7\n",
  }),
  QLX1005: def<{ text: string }>({
    severity: "error",
    title: "malformed number",
    message: (p) => `malformed number '${p.text}'`,
    help: () =>
      "numbers are written 7, 0.95 or 2e-6; token counts take a K (×1024) or M (×1048576) suffix: 20K, 1.5M",
    explanation:
      "Digits ran into letters or dots that do not form a number or a token count. Only the suffixes K and M are allowed, and an exponent needs digits after the 'e'.",
    example: "experiment x { schedule { stage s1 { input = 20Q } } }",
  }),
  QLX1006: def({
    severity: "error",
    title: "unterminated block comment",
    message: () => "unterminated block comment",
    help: () => "close the comment with */",
    explanation:
      "A block comment that starts with /* must end with */; without it the rest of the file is part of the comment.",
    example: "experiment x { /* seed = 7 }",
  }),
  QLX1007: def<{ text: string }>({
    severity: "error",
    title: "unknown escape sequence",
    message: (p) => `unknown escape sequence '${p.text}' in a string`,
    help: () => 'the escapes are \\" \\\\ \\n and \\t; write \\\\ for a backslash',
    explanation:
      'Inside a string a backslash starts an escape. Only \\" (quote), \\\\ (backslash), \\n (newline) and \\t (tab) are defined, so a Windows path or a regular expression must double its backslashes.',
    example: 'experiment x { tasks { t { data = "data\\mc.jsonl" } } }',
  }),
  QLX1008: def({
    severity: "error",
    title: "extra comma",
    message: () => "extra comma",
    help: () => "remove it; a comma separates two items or arguments, never nothing",
    explanation:
      "Commas between the items of a block are optional and a trailing comma in a call or list is allowed, but a comma with nothing before it (a leading or doubled comma) separates nothing and usually means a value was deleted.",
    example: "experiment x { rollout { group = 8,, temperature = 0.7 } }",
  }),
  QLX1009: def<{ name: string }>({
    severity: "error",
    title: "missing '='",
    message: (p) => `expected '=' after '${p.name}'`,
    help: (p) => `write '${p.name} = <value>'`,
    explanation:
      "A field is set with 'name = value' (or scaled with 'name *= factor'). A name followed directly by a value is missing its '='.",
    example: "experiment x { seed 7 }",
  }),
  QLX1010: def<{ what: string }>({
    severity: "error",
    title: "not allowed at the top level",
    message: (p) => `${p.what} cannot appear at the top level of a file`,
    help: () => "move it inside an experiment or ablation block",
    explanation:
      "A file holds 'use' imports and named blocks (experiment, ablation, …). Fields, rows and grids belong inside a block.",
    example: "seed = 7\nexperiment x { }",
  }),
  QLX1011: def({
    severity: "error",
    title: "unmatched '}'",
    message: () => "unmatched '}'",
    help: () => "remove it, or look above for a block that was closed too early",
    explanation:
      "This closing brace has no open block to close. Usually a block above it was closed one brace too early, so the items between were read at the wrong level.",
    example: "experiment x { seed = 7 } }",
  }),
  QLX1012: def<{ text: string; value: number }>({
    severity: "error",
    title: "fractional token count",
    message: (p) => `token count '${p.text}' is ${p.value} tokens, not a whole number`,
    help: () => "choose a value that is a whole number of tokens, e.g. 1.5K = 1536",
    explanation:
      "K means ×1024 and M means ×1048576; a decimal token count must still come to a whole number of tokens.",
    example: "experiment x { model policy { context = 1.3K } }",
  }),
  QLX1013: def<{ limit: number }>({
    severity: "error",
    title: "nesting too deep",
    message: (p) => `brackets and blocks nest deeper than ${p.limit} levels`,
    help: () => "flatten the expression or the blocks; the rest of the file is not read",
    explanation:
      "The parser reads nested blocks, calls, lists and parentheses recursively, so it bounds their depth to stay within the call stack. Real recipes nest a handful of levels; the file is read up to the first bracket past the limit.",
    example: `experiment x { seed = ${"(".repeat(65)}1${")".repeat(65)} }`,
  }),
  // ── QLX2xxx-QLX5xxx: names, types, stages, RL rules (language/diagnostics/semantic.ts) ──
  ...SEMANTIC_DIAGNOSTICS,
  // ── QLX6xxx: the built-in runtime (`qlx run`) ──────────────────────────────────────────
  QLX6001: def<{ node: string; feature: string }>({
    severity: "error",
    title: "not supported by the built-in runtime",
    message: (p) => `${p.node}: ${p.feature} is not supported by the built-in runtime`,
    help: () =>
      "the file is valid (`qlx check` passes) and compiles for verl; to run the stages before this one here, pass --until STAGE",
    explanation:
      "`qlx run` executes the IR on this machine's ONNX Runtime engine. A construct that engine does not implement yet is refused before any training starts, naming the stage, instead of being skipped silently. The same file still compiles to a verl bundle.",
    example: "stage m from s3 { agent = memory(chunk = 32K, memory = 4K), steps = 100 }",
  }),
  // ── QLX7xxx: verl backend (`qlx compile --target verl`) ────────────────────────────────
  QLX7001: def<{ key: string; version: string; suggestion?: string; openParent?: string }>({
    severity: "error",
    title: "unknown verl config key",
    message: (p) => `'${p.key}' is not a key of verl ${p.version}'s trainer config`,
    help: (p) =>
      p.suggestion !== undefined
        ? `did you mean '${p.suggestion}'? A key the config does not declare needs Hydra's '+' prefix`
        : p.openParent !== undefined
          ? `'${p.openParent}' is an open mapping: add the key with '+${p.key}'`
          : "check the key against the verl version's ppo_trainer.yaml, or add it with Hydra's '+' prefix",
    explanation:
      "Hydra rejects an override of a key the config does not declare, but only when the job starts on the cluster; a key renamed between verl versions fails the same way. qlx checks every emitted key against the trainer config of the targeted verl version.",
    example: 'experiment x { verl { "actor_rollout_ref.actor.ppo_mini_batchsize" = 64 } }',
  }),
  QLX7002: def<{ key: string; version: string }>({
    severity: "error",
    title: "'+' on an existing verl key",
    message: (p) => `'+${p.key}' appends a key that verl ${p.version}'s config already declares`,
    help: (p) => `write '${p.key}=…' without the '+'`,
    explanation:
      "Hydra's '+key=value' appends a new key and fails when the key already exists; overriding a declared key takes no prefix.",
    example: 'experiment x { verl { "+data.train_batch_size" = 64 } }',
  }),
  QLX7003: def<{ key: string; want: string; got: string }>({
    severity: "error",
    title: "verl config type mismatch",
    message: (p) => `'${p.key}' takes a ${p.want} value, got a ${p.got}`,
    help: (p) => `give '${p.key}' a ${p.want}`,
    explanation:
      "verl's config is untyped YAML, so a value of the wrong type is accepted by Hydra and fails (or silently misbehaves) in the worker that reads it.",
    example: "experiment x { batch = 12.5 }",
  }),
  QLX7004: def<{ key: string; value: string; allowed: readonly string[] }>({
    severity: "error",
    title: "value not accepted by verl",
    message: (p) => `'${p.key}' = '${p.value}' is not one of ${p.allowed.join(", ")}`,
    help: (p) => `use one of: ${p.allowed.join(", ")}`,
    explanation:
      "verl asserts or dispatches on these values at run time; any other string fails after the workers have started.",
    example: 'experiment x { verl { "actor_rollout_ref.actor.loss_agg_mode" = "token_mean" } }',
  }),
  QLX7005: def<{ trainBatch: number; n: number; rows: number; nGpus: number }>({
    severity: "error",
    title: "batch does not split across GPUs",
    message: (p) =>
      `batch ${p.trainBatch} × group ${p.n} = ${p.rows} responses per step do not divide evenly across ${p.nGpus} GPUs`,
    help: (p) =>
      `choose a batch such that batch × ${p.n} is a multiple of ${p.nGpus}, e.g. ${Math.ceil(p.rows / p.nGpus) * p.nGpus} responses`,
    explanation:
      "verl dispatches the responses of a step evenly to every rank and asserts that data.train_batch_size × rollout.n is a multiple of the GPU count (verl#405).",
    example: "experiment x { batch = 6, rollout { group = 3 } }  // on 8 GPUs",
  }),
  QLX7006: def<{ trainBatch: number; mini: number }>({
    severity: "error",
    title: "mini-batch larger than the batch",
    message: (p) =>
      `ppo_mini_batch_size ${p.mini} is larger than the batch of ${p.trainBatch} prompts`,
    help: () =>
      "make the mini-batch at most the batch (the paper's on-policy setting uses mini-batch = batch)",
    explanation:
      "verl asserts data.train_batch_size >= actor.ppo_mini_batch_size when dynamic batch sizes are off.",
    example: "experiment x { batch = 16, loss = policy_gradient(mini_batch = 32) }",
  }),
  QLX7007: def<{ mini: number; n: number; rows: number; dataParallel: number }>({
    severity: "error",
    title: "mini-batch does not split across ranks",
    message: (p) =>
      `mini-batch ${p.mini} × group ${p.n} = ${p.rows} responses do not divide evenly across ${p.dataParallel} data-parallel ranks`,
    help: (p) =>
      `choose a mini-batch such that mini-batch × ${p.n} is a multiple of ${p.dataParallel}`,
    explanation:
      "Each verl actor worker divides ppo_mini_batch_size × rollout.n by the data-parallel size with integer division, so a remainder silently changes the optimizer's batch (or makes it zero).",
    example: "experiment x { batch = 8, rollout { group = 3 } }  // on 16 GPUs",
  }),
  QLX7008: def<{ mini: number; micro: number; perGpu: boolean }>({
    severity: "error",
    title: "micro-batch does not divide the mini-batch",
    message: (p) =>
      `${p.perGpu ? "per-GPU mini-batch" : "mini-batch"} ${p.mini} is not a multiple of the ${p.perGpu ? "per-GPU " : ""}micro-batch ${p.micro}`,
    help: () =>
      "choose a micro-batch that divides the mini-batch (gradient accumulation needs whole micro-batches)",
    explanation:
      "verl asserts that the per-rank mini-batch is a whole number of micro-batches; otherwise the worker stops at start-up.",
    example: "experiment x { batch = 64, micro_batch = 3 }",
  }),
  QLX7009: def<{ globalKey: string; perGpuKey: string; both: boolean }>({
    severity: "error",
    title: "micro-batch size set twice or not at all",
    message: (p) =>
      p.both
        ? `both '${p.globalKey}' and '${p.perGpuKey}' are set`
        : `neither '${p.globalKey}' nor '${p.perGpuKey}' is set`,
    help: (p) => (p.both ? `remove '${p.globalKey}' (deprecated in verl)` : `set '${p.perGpuKey}'`),
    explanation:
      "Without dynamic batch sizes verl requires exactly one of the deprecated global micro-batch key and its per-GPU replacement, and raises a ValueError otherwise.",
    example: "experiment x { batch = 64 }  // with no micro-batch on the verl target",
  }),
  QLX7010: def<{ key: string; size: number; nGpus: number }>({
    severity: "error",
    title: "parallel size does not divide the GPUs",
    message: (p) => `'${p.key}' = ${p.size} does not divide the ${p.nGpus} GPUs`,
    help: (p) => `choose a divisor of ${p.nGpus}`,
    explanation:
      "vLLM tensor parallelism and Ulysses sequence parallelism split the world of GPUs into equal groups; verl asserts the division when the workers start.",
    example: 'experiment x { verl { "actor_rollout_ref.rollout.tensor_model_parallel_size" = 3 } }',
  }),
  QLX7011: def<{ lossKey: string; rewardKey: string }>({
    severity: "error",
    title: "KL applied twice",
    message: (p) =>
      `'${p.lossKey}' and '${p.rewardKey}' are both on: the KL penalty is applied in the loss and in the reward`,
    help: () => "keep the KL term in one place: the loss (kl in policy_gradient) or the reward",
    explanation:
      "verl only prints a notice when the KL penalty is both subtracted from the reward and added to the loss, which double-counts it (verl#265, #3276).",
    example:
      'experiment x { verl { "algorithm.use_kl_in_reward" = true } loss = policy_gradient(kl = 0.001) }',
  }),
  QLX7012: def<{ key: string; sp: number }>({
    severity: "error",
    title: "sequence parallelism needs remove-padding",
    message: (p) => `Ulysses sequence parallel size ${p.sp} requires '${p.key}' = true`,
    help: (p) => `set '${p.key}' = true`,
    explanation: "verl's FSDP workers assert use_remove_padding when sequence parallelism is on.",
    example:
      'experiment x { verl { "actor_rollout_ref.actor.ulysses_sequence_parallel_size" = 2 } }',
  }),
  QLX7013: def<{ micro: number; sp: number; nGpus: number }>({
    severity: "error",
    title: "global micro-batch smaller than the GPU count",
    message: (p) =>
      `ppo_micro_batch_size ${p.micro} × sequence parallel ${p.sp} is less than ${p.nGpus} GPUs`,
    help: () => "use the per-GPU micro-batch key instead of the deprecated global one",
    explanation:
      "verl asserts ppo_micro_batch_size × sequence-parallel size >= the number of GPUs.",
    example:
      'experiment x { verl { "actor_rollout_ref.actor.ppo_micro_batch_size" = 4 } }  // on 8 GPUs',
  }),
  QLX7014: def<{ temperature: number }>({
    severity: "error",
    title: "validation sampling at temperature 0",
    message: (p) => `validation samples (do_sample) at temperature ${p.temperature}`,
    help: () => "set a validation temperature above 0, or turn validation sampling off",
    explanation: "verl asserts a positive rollout temperature when validation sampling is on.",
    example: "experiment x { evaluate { temperature = 0, samples = 4 } }",
  }),
  QLX7015: def<{ trainBatch: number; mini: number }>({
    severity: "warning",
    title: "uneven last mini-batch",
    message: (p) =>
      `batch ${p.trainBatch} is not a multiple of the mini-batch ${p.mini}: each step's last optimizer update sees fewer responses`,
    help: () => "make the batch a multiple of the mini-batch",
    explanation:
      "verl splits each rank's rows into mini-batches with DataProto.split, so a remainder becomes a smaller final mini-batch with a noisier gradient.",
    example: "experiment x { batch = 48, loss = policy_gradient(mini_batch = 32) }",
  }),
  QLX7016: def<{ what: string; why: string }>({
    severity: "error",
    title: "not supported by the verl backend",
    message: (p) => `${p.what} cannot be compiled for verl: ${p.why}`,
    help: () =>
      "compile this experiment for the built-in runtime, or change the construct for the verl target",
    explanation:
      "The verl backend lowers each IR node to verl's trainer plus the qlx_verl plugin. A construct with no faithful verl translation is an error at compile time rather than a bundle that silently does something else.",
    example:
      "experiment x { model policy { init = tiny(layers = 2, dim = 128, heads = 4) } }  // --target verl",
  }),
  QLX7017: def<{ what: string; why: string }>({
    severity: "warning",
    title: "ignored by the verl backend",
    message: (p) => `${p.what} is not part of the verl bundle: ${p.why}`,
    explanation:
      "Some settings have no verl v0.4 counterpart (verl's optimizer takes no betas, evaluation benchmarks are not bundled). The bundle runs without them; the warning says what differs from the built-in runtime.",
    example: "experiment x { optimizer = adamw(lr = 2e-6, betas = [0.9, 0.95]) }  // --target verl",
  }),
} as const satisfies Record<string, DiagnosticDef<any>>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;
export type DiagnosticParams<C extends DiagnosticCode> =
  (typeof DIAGNOSTICS)[C] extends DiagnosticDef<infer P> ? P : never;

export interface RelatedInfo {
  readonly span: Span;
  readonly message: string;
}

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly help?: string;
  readonly span: Span;
  readonly related: readonly RelatedInfo[];
  /** The typed data the message was built from; quick fixes read it (e.g. a suggestion). */
  readonly data: Readonly<Record<string, unknown>>;
}

export function diag<C extends DiagnosticCode>(
  code: C,
  span: Span,
  params: DiagnosticParams<C>,
  related: readonly RelatedInfo[] = [],
): Diagnostic {
  const d = DIAGNOSTICS[code] as DiagnosticDef<DiagnosticParams<C>>;
  const help = d.help?.(params);
  return {
    code,
    severity: d.severity,
    message: d.message(params),
    ...(help === undefined ? {} : { help }),
    span,
    related,
    data: params as Readonly<Record<string, unknown>>,
  };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
