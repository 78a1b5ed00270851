// Ultra-long evaluation sets in miniature, shaped like the paper's Table 9 (MRCR 128K~512K and
// 512K~1M, CorpusQA 4M): each item is a benchmark question whose context is stretched to 128K-4M
// tokens of the built-in tokenizer. The question, answer and grading are those of a record of
// the benchmark (`buildBenchmark`); its context units (documents, or conversation turns) keep
// their order and are spread at seeded depths through filler of the task's own style, so the
// evidence is globally distributed and the record's ground truth still holds (filler carries no
// facts, turns or digits).
//
// The documents are written to disk once, streaming (a few KiB at a time, never the whole
// document), and read back by the streaming chunker: evaluation memory depends on chunk and
// memory sizes only (issue 8).
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { TaskRecord } from "../data/schema.ts";
import { Rng } from "../rng.ts";
import { BENCHMARKS, buildBenchmark, type BenchmarkName } from "../tasks/benchmarks.ts";
import { fillerDocument } from "../tasks/documents.ts";
import { layoutOf, renderDocument, renderMessage } from "../tasks/prompt.ts";
import type { TaskStyle } from "../tasks/types.ts";
import { byteTokenizer } from "../tokenizer/byte.ts";
import { fileChunks } from "./chunker.ts";
import type { AgentTask } from "./memory.ts";
import { agentQuery, agentTemplate } from "./templates.ts";

const K = 1024;

export interface UltraLongSpec {
  /** The benchmark whose questions (and metric) the set stretches. */
  readonly benchmark: BenchmarkName;
  /** Document lengths in tokens, drawn uniformly in [min, max]. */
  readonly tokens: { readonly min: number; readonly max: number };
}

/** Table 9's columns, in built-in-tokenizer tokens. */
export const ULTRA_LONG_SETS = {
  mrcr_128k_512k: { benchmark: "mrcr", tokens: { min: 128 * K, max: 512 * K } },
  mrcr_512k_1m: { benchmark: "mrcr", tokens: { min: 512 * K, max: 1024 * K } },
  corpusqa_4m: { benchmark: "corpusqa", tokens: { min: 4096 * K, max: 4096 * K } },
} as const satisfies Record<string, UltraLongSpec>;

export type UltraLongName = keyof typeof ULTRA_LONG_SETS;

export interface UltraLongItem {
  readonly record: TaskRecord;
  /** The stretched context, UTF-8 text, on disk. */
  readonly documentPath: string;
  /** Its length in tokens of the built-in tokenizer. */
  readonly tokens: number;
}

/** Bytes handed to one write call while streaming a document out. */
const WRITE_BLOCK = 64 * K;

/** The record's context units as the prompt renders them, in order. */
export function contextUnits(record: TaskRecord): string[] {
  const layout = layoutOf(record);
  return record.task === "dialogue_memory"
    ? record.conversation.map((m) => renderMessage(m, layout))
    : record.documents.map((d) => renderDocument(d, layout));
}

/**
 * Writes `units` spread at seeded depths through filler so the file is exactly `tokens` bytes
 * (the byte tokenizer: one token per byte; filler is ASCII). Streams in WRITE_BLOCK pieces.
 */
export function writeStretchedDocument(
  path: string,
  units: readonly string[],
  tokens: number,
  style: TaskStyle,
  rng: Rng,
): number {
  const unitBytes = units.map((u) => Buffer.from(u, "utf8"));
  const evidence = unitBytes.reduce((a, b) => a + b.length, 0);
  const fillerTotal = Math.max(0, tokens - evidence);
  // Cumulative filler bytes before each unit: sorted uniform draws, so units keep their order.
  const cuts = units.map(() => Math.floor(rng.next() * (fillerTotal + 1))).sort((a, b) => a - b);
  const fd = openSync(path, "w");
  let block = "";
  let written = 0;
  let filler = 0;
  const fillerLayout = layoutOf({ meta: { style } });
  const flush = (force: boolean) => {
    if (block.length >= WRITE_BLOCK || (force && block.length > 0)) {
      written += writeSync(fd, block);
      block = "";
    }
  };
  const fillTo = (target: number) => {
    while (filler < target) {
      const text = renderDocument(fillerDocument(style, rng), fillerLayout);
      const take = text.slice(0, target - filler);
      block += take;
      filler += take.length;
      flush(false);
    }
  };
  try {
    unitBytes.forEach((u, i) => {
      fillTo(cuts[i]!);
      flush(true);
      written += writeSync(fd, u);
    });
    fillTo(fillerTotal);
    flush(true);
  } finally {
    closeSync(fd);
  }
  return written;
}

/**
 * The set `name`: `count` items, documents written under `dir` (reused when a file of the
 * right size is already there, so a set is generated once). Deterministic for (name, style,
 * count, seed).
 */
export async function writeUltraLongSet(
  name: UltraLongName,
  dir: string,
  opts: { style: TaskStyle; count: number; seed: number },
): Promise<UltraLongItem[]> {
  const spec: UltraLongSpec = ULTRA_LONG_SETS[name];
  mkdirSync(dir, { recursive: true });
  const records = await buildBenchmark(spec.benchmark, { style: opts.style, count: opts.count });
  return records.map((record, i) => {
    const rng = Rng.stream(opts.seed, "ultra-long", name, i);
    const span = spec.tokens.max - spec.tokens.min;
    const tokens = spec.tokens.min + (span > 0 ? rng.int(span + 1) : 0);
    const documentPath = join(dir, `${name}-${opts.style}-${opts.seed}-${i}.txt`);
    if (!existsSync(documentPath) || statSync(documentPath).size !== tokens) {
      writeStretchedDocument(documentPath, contextUnits(record), tokens, opts.style, rng);
    }
    return { record, documentPath, tokens };
  });
}

/** An ultra-long item as a memory-agent task, its document streamed from disk. */
export function ultraLongTask(
  item: UltraLongItem,
  agent: { chunk: number; plan: boolean },
): AgentTask {
  return {
    query: agentQuery(item.record),
    source: fileChunks(item.documentPath, agent.chunk, byteTokenizer),
    template: agentTemplate(layoutOf(item.record), agent.plan),
  };
}

/** The metric an ultra-long set is graded with: its benchmark's. */
export function ultraLongMetric(name: UltraLongName) {
  return BENCHMARKS[ULTRA_LONG_SETS[name].benchmark].metric;
}
