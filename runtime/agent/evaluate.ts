// Memory-agent evaluation: the same benchmark items and metric as the full-context evaluation
// (runtime/executor/evaluate.ts), answered by the memory agent instead, so one checkpoint gets
// both of Table 10's columns. Generation settings are the evaluation block's; the agent's are
// those of the schedule's memory stage.
import { summarize } from "../rewards/metrics.ts";
import { buildReward, type RewardOutcome, type RewardSpec } from "../rewards/registry.ts";
import type { Example } from "../executor/examples.ts";
import type { BenchmarkScore, DecodeSettings } from "../executor/evaluate.ts";
import type { TaskRecord } from "../data/schema.ts";
import {
  agentMetrics,
  runMemoryAgent,
  type AgentTask,
  type Generator,
  type Trajectory,
} from "./memory.ts";
import { agentSettings, recordTask, type AgentIr } from "./rollout.ts";

/** Trajectories run in lockstep per batch (bounds the KV cache, like EVAL_CHUNK). */
const EVAL_TRAJECTORIES = 256;

export interface MemoryScore extends BenchmarkScore {
  /** agent/* metrics over all trajectories (memory.ts AGENT_METRICS). */
  readonly agent: Record<string, number>;
}

/**
 * Scores `tasks` (one per record) with `metric`, `decode.samples` trajectories each, batched so
 * that at most EVAL_TRAJECTORIES trajectories advance together.
 */
export async function evaluateAgentTasks(
  generator: Generator,
  benchmark: string,
  metric: RewardSpec,
  items: readonly { task: AgentTask; record: TaskRecord }[],
  agent: AgentIr,
  decode: DecodeSettings,
): Promise<MemoryScore> {
  const reward = buildReward(metric);
  const perBatch = Math.max(1, Math.floor(EVAL_TRAJECTORIES / decode.samples));
  const outcomes: RewardOutcome[] = [];
  const all: Trajectory[] = [];
  for (let start = 0; start < items.length; start += perBatch) {
    const slice = items.slice(start, start + perBatch);
    const trajectories = await runMemoryAgent(
      generator,
      slice.map((i) => i.task),
      {
        group: decode.samples,
        settings: agentSettings(agent, decode.maxNewTokens),
        decode: {
          sampling: { temperature: decode.temperature, topP: decode.topP, greedy: decode.greedy },
          seed: decode.seed,
          streamKeys: [...decode.streamKeys, "memory", start],
        },
        keepSteps: false,
      },
    );
    for (let i = 0; i < trajectories.length; i++) {
      const record = slice[Math.floor(i / decode.samples)]!.record;
      outcomes.push(await reward.score(trajectories[i]!.answer, record));
      all.push(trajectories[i]!);
    }
  }
  const sum = summarize(outcomes);
  return {
    benchmark,
    metric: metric.name,
    score: sum.mean ?? 0,
    n: sum.scored,
    failed: sum.failed,
    stderr: sum.stderr ?? 0,
    agent: agentMetrics(all),
  };
}

/** A benchmark's evaluation set answered by the memory agent (documents chunked in memory). */
export function evaluateBenchmarkMemory(
  generator: Generator,
  benchmark: string,
  metric: RewardSpec,
  examples: readonly Example[],
  agent: AgentIr,
  decode: DecodeSettings,
): Promise<MemoryScore> {
  return evaluateAgentTasks(
    generator,
    benchmark,
    metric,
    examples.map((e) => ({ task: recordTask(e.record, agent), record: e.record })),
    agent,
    decode,
  );
}
