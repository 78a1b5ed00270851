// The memory agent as the executor calls it: IR settings → agent settings, examples → agent
// tasks (generated records are chunked in memory; files stream from disk, see ultra-long.ts).
import type { GraphNode } from "../../compiler/ir/schema.ts";
import type { TaskRecord } from "../data/schema.ts";
import { layoutOf } from "../tasks/prompt.ts";
import { byteTokenizer } from "../tokenizer/byte.ts";
import { memoryChunks } from "./chunker.ts";
import type { AgentTask, MemoryAgentSettings } from "./memory.ts";
import { agentDocument, agentQuery, agentTemplate } from "./templates.ts";

/** The IR of `agent = memory(...)` (a rollout node's `agent`). */
export type AgentIr = NonNullable<Extract<GraphNode, { kind: "rollout" }>["agent"]>;

/** The agent's settings for a stage's `agent = memory(...)` and its output budget. */
export function agentSettings(agent: AgentIr, maxOutput: number): MemoryAgentSettings {
  return {
    chunk: agent.chunk,
    memory: agent.memory,
    maxChunks: agent.max_chunks,
    maxOutput,
  };
}

/**
 * A record as a memory-agent task: its query split, its context chunked from memory, and the
 * template of its rendering style (the task style the record was generated in).
 */
export function recordTask(record: TaskRecord, agent: AgentIr): AgentTask {
  return {
    query: agentQuery(record),
    source: memoryChunks(byteTokenizer.encode(agentDocument(record)), agent.chunk),
    template: agentTemplate(layoutOf(record), agent.plan),
  };
}
