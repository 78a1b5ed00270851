// `qlx run`: executes one experiment's IR — warm-up, then the schedule's stages and merges in
// order — writing metrics, evaluations, checkpoints and a summary into the run directory
// (layout.ts). Deterministic for a seed: every random draw comes from a counter-based stream
// keyed by (seed, stage, step, …), so a run resumed from its last checkpoint ends bit-identical
// to one that was never interrupted.
import { createHash } from "node:crypto";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  truncateSync,
} from "node:fs";
import { join } from "node:path";
import type { ExperimentIr, Merge, Stage } from "../../compiler/ir/schema.ts";
import { evaluateBenchmarkMemory } from "../agent/evaluate.ts";
import { writeAtomic } from "../io/atomic.ts";
import { SafetensorsReader } from "../io/safetensors.ts";
import { JudgeClient } from "../judge/client.ts";
import { judgeOptionsFromIr } from "../judge/from-ir.ts";
import { mergeSafetensorsFiles } from "../merge/mergeFiles.ts";
import { modelConfig } from "../model/config.ts";
import { initWeights } from "../model/transformer.ts";
import { buildReward, rewardSpecFromIr, type Reward } from "../rewards/registry.ts";
import type { AepoState } from "../rl/aepo.ts";
import { passRateBinnedSelection } from "../rl/samplers/passRateBinned.ts";
import { retrospectiveCarryOver } from "../rl/samplers/retrospective.ts";
import type { TaskBalancedState } from "../rl/samplers/taskBalanced.ts";
import type { UniformSamplerState } from "../rl/samplers/uniform.ts";
import { hashKeys } from "../rng.ts";
import { BENCHMARKS, type BenchmarkName } from "../tasks/benchmarks.ts";
import { BYTE_VOCAB_SIZE } from "../tokenizer/byte.ts";
import type { Device } from "../tensor/session.ts";
import { benchmarkExamples, stageExamples, taskStyle, type Example } from "./examples.ts";
import { decodeAll, evalDecodeSettings, evaluateBenchmark } from "./evaluate.ts";
import { RUN_FILES, type EvalRecord, type MetricsRecord, type RunSummary } from "./layout.ts";
import { holds, mergeMethod, stageNodes, stages } from "./plan.ts";
import { Policy } from "./policy.ts";
import { textTable, type Progress } from "./progress.ts";
import { rlStep, STEP_METRICS } from "./rl-step.ts";
import { stageAepo, stageLearningRate, stageSampler } from "./stage-setup.ts";
import { warmup } from "./warmup.ts";

export interface RunOptions {
  readonly outDir: string;
  readonly projectDir: string;
  readonly device: Device;
  readonly threads?: number;
  readonly resume: boolean;
  /** Stop after this stage or merge (inclusive). */
  readonly until?: string;
  /** Write a resumable checkpoint every this many steps (and at every stage end). */
  readonly checkpointEvery: number;
  readonly progress: Progress;
}

/** Features of the IR this runtime cannot execute, as (node, feature) pairs. */
export function unsupportedFeatures(ir: ExperimentIr): { node: string; feature: string }[] {
  const out: { node: string; feature: string }[] = [];
  if (ir.models.some((m) => m.init.kind !== "tiny")) {
    out.push({
      node: ir.models[0]!.name,
      feature: `model init "${(ir.models[0]!.init as { id?: string }).id}" (the built-in runtime trains tiny(...) models; real models run on verl)`,
    });
  }
  return out;
}

interface RunState {
  readonly irHash: string;
  /** Schedule index of the node in progress (schedule.length when done). */
  readonly node: number;
  /** Steps completed in the stage in progress. */
  readonly step: number;
  readonly globalStep: number;
  readonly sampler: TaskBalancedState | UniformSamplerState | null;
  readonly aepo: AepoState | null;
  /** Last observed pass rate per example, per finished or running stage. */
  readonly passRates: Record<string, [number, number][]>;
  readonly metricsBytes: number;
  readonly evalBytes: number;
  readonly seconds: Record<string, number>;
  readonly warmupScores: Record<string, number>;
}

function sizeOr0(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

export async function runExperiment(ir: ExperimentIr, opts: RunOptions): Promise<RunSummary> {
  const dir = opts.outDir;
  const ckptDir = join(dir, RUN_FILES.checkpoints);
  mkdirSync(ckptDir, { recursive: true });
  const irText = JSON.stringify(ir, null, 2) + "\n";
  const irHash = createHash("sha256").update(irText).digest("hex");
  const metricsFile = join(dir, RUN_FILES.metrics);
  const evalFile = join(dir, RUN_FILES.eval);
  const latestFile = join(dir, RUN_FILES.latest);
  const stateCkpt = join(ckptDir, "state.safetensors");

  let state: RunState | undefined;
  if (opts.resume && existsSync(latestFile)) {
    state = JSON.parse(readFileSync(latestFile, "utf8")) as RunState;
    if (state.irHash !== irHash) {
      throw new Error(
        `${dir}: the run was started from a different IR; resume with the same file, profile and seed, or use a new --out`,
      );
    }
    // Drop records written after the checkpoint: the resumed run writes them again.
    truncateSync(metricsFile, state.metricsBytes);
    truncateSync(evalFile, state.evalBytes);
  } else {
    if (existsSync(join(dir, RUN_FILES.summary)) || existsSync(latestFile)) {
      throw new Error(
        `${dir} already holds a run; pass --resume to continue it or choose another --out`,
      );
    }
    writeAtomic(join(dir, RUN_FILES.ir), irText);
    writeAtomic(metricsFile, "");
    writeAtomic(evalFile, "");
  }

  const style = taskStyle(ir);
  const model = ir.models[0]!;
  if (model.init.kind !== "tiny")
    throw new Error(`model ${model.name}: the built-in runtime trains tiny(...) models only`);
  const config = modelConfig({
    vocab: Math.max(model.init.vocab, BYTE_VOCAB_SIZE),
    dim: model.init.dim,
    layers: model.init.layers,
    heads: model.init.heads,
    context: model.context,
  });
  const policyOptions = { device: opts.device, threads: opts.threads };
  const src = { projectDir: opts.projectDir, seed: ir.seed, style };
  // The judge (§5.1 hybrid reward) only exists when a task's reward calls it; its verdicts
  // are cached in the run directory, so a resumed run asks nothing twice.
  const judge = ir.judge
    ? new JudgeClient(
        judgeOptionsFromIr(ir.judge, process.env, {
          cacheDir: join(dir, "judge-cache"),
          seed: ir.seed,
        }),
      )
    : undefined;
  const rewards = new Map<string, Reward>(
    ir.tasks.map((t) => [t.name, buildReward(rewardSpecFromIr(t.reward), judge ? { judge } : {})]),
  );

  const stageList = stages(ir);

  const benchmarkSets = new Map<string, Example[]>();
  const ev = ir.evaluate;
  if (ev) {
    for (const b of ev.benchmarks) {
      benchmarkSets.set(
        b,
        await benchmarkExamples(b, { style, maxInput: ev.input, limit: ev.limit }),
      );
    }
  }

  // Table 10's second column: when the schedule trains a memory agent, the checkpoint at the
  // end of every stage and merge (and the warm-up) is also evaluated in memory mode, with the
  // first memory stage's agent settings.
  const memoryAgent = stageList.map((s) => stageNodes(s).rollout.agent).find((a) => a !== null);
  const writeMetrics = (r: MetricsRecord) => appendFileSync(metricsFile, JSON.stringify(r) + "\n");
  const evaluateAll = async (
    policy: Policy,
    point: string,
    step: number,
    globalStep: number,
    endOfNode = true,
  ) => {
    const scores: Record<string, number> = {};
    if (!ev) return scores;
    const memoryScores: Record<string, number> = {};
    const write = (rec: EvalRecord) => appendFileSync(evalFile, JSON.stringify(rec) + "\n");
    for (const [name, examples] of benchmarkSets) {
      const decode = evalDecodeSettings(ev, ir.seed, point);
      const s = await evaluateBenchmark(policy, name, examples, decode);
      const at = { stage: point, step, globalStep, benchmark: name };
      write({ ...at, mode: "full", metric: s.metric, score: s.score, n: s.n, stderr: s.stderr });
      scores[name] = s.score;
      if (memoryAgent && endOfNode) {
        const metric = BENCHMARKS[name as BenchmarkName].metric;
        const m = await evaluateBenchmarkMemory(
          policy,
          name,
          metric,
          examples,
          memoryAgent,
          decode,
        );
        write({
          ...at,
          mode: "memory",
          metric: m.metric,
          score: m.score,
          n: m.n,
          stderr: m.stderr,
        });
        memoryScores[name] = m.score;
      }
    }
    const avg =
      Object.values(scores).reduce((a, b) => a + b, 0) / Math.max(1, Object.keys(scores).length);
    scores["avg"] = avg;
    opts.progress.log(
      `eval ${point}@${step}: ` +
        Object.entries(scores)
          .map(([k, v]) => `${k} ${(100 * v).toFixed(1)}`)
          .join("  "),
    );
    if (Object.keys(memoryScores).length > 0) {
      opts.progress.log(
        `eval ${point}@${step} (memory agent): ` +
          Object.entries(memoryScores)
            .map(([k, v]) => `${k} ${(100 * v).toFixed(1)}`)
            .join("  "),
      );
    }
    return scores;
  };

  const weightsFile = (name: string) => join(ckptDir, `${name}.safetensors`);
  const examplesByStage = new Map<string, Example[]>();
  const seconds: Record<string, number> = { ...(state?.seconds ?? {}) };
  let warmupScores: Record<string, number> = { ...(state?.warmupScores ?? {}) };
  const passRates = new Map<string, Map<number, number>>(
    Object.entries(state?.passRates ?? {}).map(([k, v]) => [k, new Map(v)]),
  );
  let globalStep = state?.globalStep ?? 0;

  const saveState = async (
    policy: Policy | null,
    s: Omit<
      RunState,
      "irHash" | "passRates" | "metricsBytes" | "evalBytes" | "seconds" | "warmupScores"
    >,
  ) => {
    if (policy) await policy.save(stateCkpt, true);
    const full: RunState = {
      ...s,
      irHash,
      passRates: Object.fromEntries([...passRates].map(([k, v]) => [k, [...v]])),
      metricsBytes: sizeOr0(metricsFile),
      evalBytes: sizeOr0(evalFile),
      seconds,
      warmupScores,
    };
    writeAtomic(latestFile, JSON.stringify(full, null, 2) + "\n");
  };

  // ── warm-up ────────────────────────────────────────────────────────────────────────────
  if (!state) {
    const t = performance.now();
    const policy = Policy.fromWeights(
      config,
      initWeights(config, model.init.seed + ir.seed),
      policyOptions,
    );
    // Warm up on every input length the schedule will train and evaluate at: a policy that
    // has only seen the first stage's short prompts cannot read the longer ones at all, and
    // RL needs some success to learn from (../shared/notes/tiny-scale-rl.md). A row with
    // `train = false` has no stages: its warm-up checkpoint is the evaluated "base model".
    const lengths = [...new Set([...stageList.map((s) => s.input), ...(ev ? [ev.input] : [])])];
    const outputs = [...stageList.map((s) => s.output), ...(ev ? [ev.output] : [])];
    if (ir.warmup && lengths.length > 0) {
      const examples: Example[] = [];
      for (const len of lengths) {
        for (const e of await stageExamples(ir.tasks, len, src))
          examples.push({ ...e, index: examples.length });
      }
      const result = await warmup(
        ir,
        policy,
        examples,
        Math.max(...outputs),
        opts.progress,
        (step, metrics) => writeMetrics({ stage: "warmup", step, globalStep: 0, metrics }),
      );
      opts.progress.log(
        `warm-up: ${result.steps} steps, held-out exact match ${(100 * result.accuracy).toFixed(1)}%${result.reachedTarget ? "" : " (target not reached)"}`,
      );
    }
    await policy.save(weightsFile("warmup"), false);
    warmupScores = await evaluateAll(policy, "warmup", 0, 0);
    seconds["warmup"] = (performance.now() - t) / 1000;
    await policy.release();
    state = {
      irHash,
      node: 0,
      step: 0,
      globalStep: 0,
      sampler: null,
      aepo: null,
      passRates: {},
      metricsBytes: 0,
      evalBytes: 0,
      seconds,
      warmupScores,
    };
    await saveState(null, { node: 0, step: 0, globalStep: 0, sampler: null, aepo: null });
  }

  // ── schedule ───────────────────────────────────────────────────────────────────────────
  let finalScores: Record<string, number> = warmupScores;
  let previous = "warmup";
  // `train = false` (an ablation's "base model" row): the starting checkpoint is evaluated,
  // nothing is trained. For the built-in runtime the starting checkpoint is the warm-up's.
  const schedule = ir.train ? ir.schedule : [];
  for (let i = 0; i < schedule.length; i++) {
    const node = schedule[i]!;
    if (i < state.node) {
      previous = node.name;
      continue;
    }
    const t = performance.now() - (seconds[node.name] ?? 0) * 1000;
    if (node.kind === "merge") {
      await runMerge(node, weightsFile);
      if (ev?.after.includes(node.name)) {
        const policy = Policy.load(weightsFile(node.name), policyOptions, false);
        finalScores = await evaluateAll(policy, node.name, 0, globalStep);
        await policy.release();
      }
    } else {
      const resumeHere = state.node === i && state.step > 0;
      const scores = await runStage(node, resumeHere ? state : undefined, node.from ?? previous);
      if (scores) finalScores = scores;
    }
    seconds[node.name] = (performance.now() - t) / 1000;
    previous = node.name;
    await saveState(null, { node: i + 1, step: 0, globalStep, sampler: null, aepo: null });
    if (opts.until === node.name) break;
  }

  async function runStage(
    stage: Stage,
    resume: RunState | undefined,
    from: string,
  ): Promise<Record<string, number> | undefined> {
    const nodes = stageNodes(stage);
    const own = await stageExamples(
      ir.tasks.filter((t) => nodes.dataset.tasks.includes(t.name)),
      stage.input,
      src,
    );
    let examples = own;
    const retro = nodes.dataset.retrospective;
    if (retro) {
      // §4.1 / QwenLong-L1: hard examples of the previous stage (mean reward below x) join
      // this stage's data, if they fit its length limits.
      const prevExamples =
        examplesByStage.get(retro.from_stage) ?? (await examplesOf(retro.from_stage));
      const rates = passRates.get(retro.from_stage) ?? new Map();
      const carried = retrospectiveCarryOver(
        [...rates].map(([index, passRate]) => ({
          index,
          passRate,
          inputTokens: prevExamples[index]!.prompt.length,
        })),
        (rate) => holds(retro.pass_rate, rate),
        { maxInputTokens: stage.input, maxOutputTokens: stage.output },
      ).carried;
      examples = [
        ...own,
        ...carried.map((idx, k) => ({ ...prevExamples[idx]!, index: own.length + k })),
      ];
      opts.progress.log(
        `[${stage.name}] retrospective: ${carried.length} hard examples carried from ${retro.from_stage}`,
      );
    }
    if (nodes.sampler.op === "pass_rate_binned") {
      examples = await passRateBinned(stage, nodes, examples, from);
    }
    examplesByStage.set(stage.name, examples);

    const sampler = stageSampler(
      ir.seed,
      stage,
      nodes,
      examples.map((e) => e.task),
      resume?.sampler ?? undefined,
    );
    const aepo = stageAepo(nodes, resume?.aepo ?? undefined);
    const policy = resume
      ? Policy.load(stateCkpt, policyOptions, true)
      : Policy.load(weightsFile(from), policyOptions, false);
    // KL penalties measure the distance to the stage's starting policy.
    if (nodes.loss.kl_coef > 0 || nodes.reward.kl_coef > 0) policy.setReference(weightsFile(from));
    const rates = passRates.get(stage.name) ?? new Map<number, number>();
    passRates.set(stage.name, rates);
    let scores: Record<string, number> | undefined;
    opts.progress.startStage(stage.name, stage.steps);
    for (let step = (resume?.step ?? 0) + 1; step <= stage.steps; step++) {
      const outcome = await rlStep({
        seed: ir.seed,
        stage,
        nodes,
        step,
        examples,
        batch: sampler.nextBatch(),
        rewards,
        policy,
        aepo,
        lr: stageLearningRate(nodes.optimizer, step),
      });
      for (const [idx, r] of outcome.passRates) rates.set(idx, r);
      globalStep++;
      writeMetrics({ stage: stage.name, step, globalStep, metrics: outcome.metrics });
      opts.progress.step({
        step,
        reward: outcome.metrics[STEP_METRICS.reward],
        entropy: outcome.metrics[STEP_METRICS.entropy],
      });
      const evalNode = nodes.evaluate;
      if (
        evalNode &&
        ((evalNode.every > 0 && step % evalNode.every === 0) ||
          (evalNode.at_end && step === stage.steps))
      ) {
        scores = await evaluateAll(policy, stage.name, step, globalStep, step === stage.steps);
      }
      if (step % opts.checkpointEvery === 0 && step < stage.steps) {
        await saveState(policy, {
          node: ir.schedule.indexOf(stage),
          step,
          globalStep,
          sampler: sampler.state(),
          aepo: aepo?.state() ?? null,
        });
      }
    }
    opts.progress.endStage();
    await policy.save(weightsFile(stage.name), false);
    if (ev?.after.includes(stage.name) && !(nodes.evaluate?.at_end ?? false)) {
      scores = await evaluateAll(policy, stage.name, stage.steps, globalStep);
    }
    await policy.release();
    return scores;
  }

  /**
   * §4.2, first bullet: a pre-inference pass scores every example with k samples of the stage's
   * starting policy, and the stage trains on a selection balanced across pass-rate bins (per
   * task). The pass uses the starting weights, so a resumed stage selects the same examples.
   */
  async function passRateBinned(
    stage: Stage,
    nodes: ReturnType<typeof stageNodes>,
    examples: Example[],
    from: string,
  ): Promise<Example[]> {
    const pr = nodes.sampler.pass_rate!;
    const scorer = Policy.load(weightsFile(from), policyOptions, false);
    const responses = await decodeAll(scorer, examples, {
      maxNewTokens: nodes.rollout.max_output,
      temperature: nodes.rollout.temperature,
      topP: nodes.rollout.top_p,
      greedy: false,
      samples: pr.k,
      seed: ir.seed,
      streamKeys: ["pre-inference", stage.name],
    });
    await scorer.release();
    const items = [];
    for (const [i, e] of examples.entries()) {
      let sum = 0;
      for (let k = 0; k < pr.k; k++) {
        const o = await rewards.get(e.task)!.score(responses[i * pr.k + k]!, e.record);
        sum += o.ok ? o.score : 0;
      }
      items.push({ index: i, task: e.task, passRate: sum / pr.k });
    }
    const picked = passRateBinnedSelection(
      items,
      { bins: pr.bins, ...(pr.per_bin > 0 ? { perBin: pr.per_bin } : {}) },
      hashKeys(ir.seed, "pass-rate-binned", stage.name),
    ).selected;
    opts.progress.log(
      `[${stage.name}] pass-rate binning: ${picked.length} of ${examples.length} examples (${pr.bins} bins, ${pr.k} samples each)`,
    );
    return picked.map((idx, k) => ({ ...examples[idx]!, index: k }));
  }

  async function examplesOf(name: string): Promise<Example[]> {
    const s = stageList.find((x) => x.name === name)!;
    const nodes = stageNodes(s);
    return stageExamples(
      ir.tasks.filter((t) => nodes.dataset.tasks.includes(t.name)),
      s.input,
      src,
    );
  }

  const summary: RunSummary = {
    experiment: ir.name,
    profile: ir.profile,
    seed: ir.seed,
    device: opts.device,
    // The stages that ran (with `--until`, or `train = false`, not all of the schedule).
    stages: stageList
      .filter((s) => seconds[s.name] !== undefined)
      .map((s) => ({ name: s.name, steps: s.steps, seconds: seconds[s.name]! })),
    final: finalScores,
    warmup: warmupScores,
    seconds: Object.values(seconds).reduce((a, b) => a + b, 0),
  };
  writeAtomic(join(dir, RUN_FILES.summary), JSON.stringify(summary, null, 2) + "\n");
  return summary;
}

/** Merges stage weight files tensor by tensor; the result is a checkpoint like its inputs. */
async function runMerge(m: Merge, weightsFile: (name: string) => string): Promise<void> {
  const first = SafetensorsReader.open(weightsFile(m.base ?? m.models[0]!));
  const metadata = first.metadata;
  first.close();
  await mergeSafetensorsFiles({
    method: mergeMethod(m),
    ...(m.base ? { base: weightsFile(m.base) } : {}),
    models: m.models.map(weightsFile),
    out: weightsFile(m.name),
    metadata,
  });
}

/** The terminal summary: evaluation scores of the warm-up checkpoint and of the final model. */
export function summaryTable(s: RunSummary): string {
  const names = Object.keys(s.final);
  const rows = names.map((n) => {
    const w = s.warmup[n];
    const f = s.final[n]!;
    return [
      n,
      w === undefined ? "–" : (100 * w).toFixed(1),
      (100 * f).toFixed(1),
      w === undefined ? "–" : `${f >= w ? "+" : ""}${(100 * (f - w)).toFixed(1)}`,
    ];
  });
  return textTable(["benchmark", "warm-up", "final", "Δ"], rows);
}
