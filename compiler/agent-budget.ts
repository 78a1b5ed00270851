// The memory agent's token budget (paper §2.3, Eq. 5-6), shared by the checker (does a step fit
// the context, QLX4011) and the lowering (the stage's derived tokens per RL step). A trajectory
// is K reading steps — each prompt holds the template, the chunk and the previous memory and
// plan, and writes the new memory and plan — then one answer step holding the template and the
// final memory, which writes the answer.
import { MEMORY_TEMPLATE_TOKENS } from "../language/builtins/functions.ts";

export interface AgentBudgetInput {
  /** The stage's input: the document length the agent reads. */
  readonly input: number;
  /** The stage's output: the answer budget. */
  readonly output: number;
  readonly chunk: number;
  readonly memory: number;
  /** At most this many reading steps; 0: no limit. */
  readonly maxChunks: number;
  readonly tinyModel: boolean;
}

export interface AgentBudget {
  readonly template: number;
  /** Reading steps of the longest document. */
  readonly readingSteps: number;
  /** Prompt + generated tokens of one reading step and of the answer step. */
  readonly readingStep: number;
  readonly answerStep: number;
  /** Over the whole trajectory: every token read or written, and the generated ones. */
  readonly trajectoryTokens: number;
  readonly trajectoryResponseTokens: number;
}

/** Reading steps for a document of `input` tokens: one per chunk, at most `maxChunks` (0: all). */
export function readingSteps(input: number, chunk: number, maxChunks: number): number {
  const chunks = Math.ceil(input / Math.max(1, chunk));
  return maxChunks > 0 ? Math.min(chunks, maxChunks) : chunks;
}

export function agentBudget(a: AgentBudgetInput): AgentBudget {
  const template = MEMORY_TEMPLATE_TOKENS[a.tinyModel ? "tiny" : "natural"];
  const steps = readingSteps(a.input, a.chunk, a.maxChunks);
  const readingStep = template + a.chunk + 2 * a.memory;
  const answerStep = template + a.memory + a.output;
  return {
    template,
    readingSteps: steps,
    readingStep,
    answerStep,
    trajectoryTokens: steps * readingStep + answerStep,
    trajectoryResponseTokens: steps * a.memory + a.output,
  };
}
