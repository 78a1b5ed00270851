// verl's batch-size rules, checked at compile time instead of as an assert (or a silently
// floored division) on the cluster. Each rule cites where verl v0.4.0 enforces it:
// `RayPPOTrainer._validate_config` (ray_trainer.py L418-525) and the per-rank normalisation in
// `ActorRolloutRefWorker.__init__` (fsdp_workers.py L144-163, L382-384).
import type { Span } from "../../../language/ast.ts";
import { diag, type Diagnostic } from "../../../language/diagnostics.ts";
import { effectiveVerlValue, type VerlOverrides } from "./config-schema.ts";
import { verlKey, type VerlConfigKey, type VerlVersion } from "./keys.ts";

/** The numbers a user should see before launching (printed by the emitter, written to README). */
export interface VerlBatchPlan {
  readonly nGpus: number;
  /** Data-parallel ranks of the actor: GPUs / Ulysses sequence-parallel size. */
  readonly dataParallel: number;
  /** Rows (responses) per training step: train_batch_size × rollout.n. */
  readonly rowsPerStep: number;
  /** Rows per data-parallel rank (a sequence-parallel group shares its rows). */
  readonly rowsPerRank: number;
  /** Responses per optimizer step on one rank (ppo_mini_batch_size × n / dp). */
  readonly miniBatchPerRank: number;
  readonly optimizerStepsPerBatch: number;
  /** Per-GPU micro-batch, or null with dynamic batch sizes. */
  readonly microBatchPerGpu: number | null;
  readonly gradientAccumulation: number | null;
}

export interface VerlBatchCheck {
  readonly diagnostics: Diagnostic[];
  /** Absent when a rule failed so badly that the derived numbers would mislead. */
  readonly plan?: VerlBatchPlan;
}

export function checkVerlBatchRules(
  version: VerlVersion,
  overrides: VerlOverrides,
  span: Span,
): VerlBatchCheck {
  const value = (k: VerlConfigKey) => effectiveVerlValue(version, overrides, verlKey(version, k));
  const int = (k: VerlConfigKey): number | null => {
    const v = value(k);
    return typeof v === "number" && Number.isInteger(v) ? v : null;
  };
  const flag = (k: VerlConfigKey): boolean => value(k) === true;
  const out: Diagnostic[] = [];

  const nGpus = (int("nGpusPerNode") ?? 0) * (int("nnodes") ?? 0);
  const trainBatch = int("trainBatchSize");
  const n = int("rolloutN");
  const mini = int("ppoMiniBatchSize");
  const sp = int("actorSpSize") ?? 1;
  const dynamic = flag("useDynamicBsz");
  if (nGpus <= 0 || trainBatch === null || n === null || mini === null) {
    return { diagnostics: out };
  }

  // Mesh shapes: vLLM tensor parallelism and Ulysses sequence parallelism split the world.
  const tp = int("rolloutTp") ?? 1;
  if (nGpus % tp !== 0) {
    out.push(diag("QLX7010", span, { key: verlKey(version, "rolloutTp"), size: tp, nGpus }));
  }
  if (nGpus % sp !== 0) {
    out.push(diag("QLX7010", span, { key: verlKey(version, "actorSpSize"), size: sp, nGpus }));
  }
  if (sp > 1 && !flag("useRemovePadding")) {
    out.push(diag("QLX7012", span, { key: verlKey(version, "useRemovePadding"), sp }));
  }

  // _validate_config 1: every rank gets the same number of rows.
  const rowsPerStep = trainBatch * n;
  if (rowsPerStep % nGpus !== 0) {
    out.push(diag("QLX7005", span, { trainBatch, n, rows: rowsPerStep, nGpus }));
  }

  // _validate_config: exactly one of the deprecated global / per-GPU micro-batch keys.
  const micro = int("ppoMicroBatchSize");
  const microPerGpu = int("ppoMicroBatchSizePerGpu");
  const usesRef = flag("useKlLoss") || flag("useKlInReward");
  if (!dynamic) {
    const pairs: [VerlConfigKey, VerlConfigKey, boolean][] = [
      ["ppoMicroBatchSize", "ppoMicroBatchSizePerGpu", true],
      ["refLogProbMicroBatchSize", "refLogProbMicroBatchSizePerGpu", usesRef],
      ["rolloutLogProbMicroBatchSize", "rolloutLogProbMicroBatchSizePerGpu", true],
    ];
    for (const [globalKey, perGpuKey, applies] of pairs) {
      if (!applies) continue;
      const g = value(globalKey) ?? null;
      const p = value(perGpuKey) ?? null;
      if ((g === null) === (p === null)) {
        out.push(
          diag("QLX7009", span, {
            globalKey: verlKey(version, globalKey),
            perGpuKey: verlKey(version, perGpuKey),
            both: g !== null,
          }),
        );
      }
    }
    if (trainBatch < mini) out.push(diag("QLX7006", span, { trainBatch, mini }));
    if (micro !== null) {
      if (micro <= 0 || mini % micro !== 0) {
        out.push(diag("QLX7008", span, { mini, micro, perGpu: false }));
      }
      if (micro * sp < nGpus) out.push(diag("QLX7013", span, { micro, sp, nGpus }));
    }
  }

  // fsdp_workers: ppo_mini_batch_size *= n; //= dp. A remainder is silently floored there.
  const dataParallel = Math.max(1, Math.floor(nGpus / sp));
  const miniRows = mini * n;
  if (miniRows % dataParallel !== 0 || miniRows < dataParallel) {
    out.push(diag("QLX7007", span, { mini, n, rows: miniRows, dataParallel }));
  }
  const miniBatchPerRank = Math.floor(miniRows / dataParallel);
  const effectiveMicro = microPerGpu ?? (micro !== null ? Math.floor(micro / dataParallel) : null);
  if (microPerGpu !== null && miniBatchPerRank > 0 && miniBatchPerRank % microPerGpu !== 0) {
    out.push(diag("QLX7008", span, { mini: miniBatchPerRank, micro: microPerGpu, perGpu: true }));
  }
  if (!dynamic && trainBatch >= mini && trainBatch % mini !== 0) {
    out.push(diag("QLX7015", span, { trainBatch, mini }));
  }

  // KL in the reward and in the loss at once (verl only prints a NOTICE; verl#265, #3276).
  if (flag("useKlLoss") && flag("useKlInReward")) {
    out.push(
      diag("QLX7011", span, {
        lossKey: verlKey(version, "useKlLoss"),
        rewardKey: verlKey(version, "useKlInReward"),
      }),
    );
  }
  const valTemperature = value("rolloutValTemperature");
  if (flag("rolloutValDoSample") && typeof valTemperature === "number" && valTemperature <= 0) {
    out.push(diag("QLX7014", span, { temperature: valTemperature }));
  }

  const rowsPerRank = Math.floor(rowsPerStep / dataParallel);
  const plan: VerlBatchPlan = {
    nGpus,
    dataParallel,
    rowsPerStep,
    rowsPerRank,
    miniBatchPerRank,
    optimizerStepsPerBatch: Math.ceil(trainBatch / mini),
    microBatchPerGpu: dynamic ? null : effectiveMicro,
    gradientAccumulation:
      dynamic || effectiveMicro === null || effectiveMicro <= 0
        ? null
        : Math.floor(miniBatchPerRank / effectiveMicro),
  };
  return { diagnostics: out, plan };
}
