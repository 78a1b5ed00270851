// Multi-hop questions over a generated knowledge graph (paper §3.2, "In-depth Multi-hop
// Reasoning QA": sample a reasoning path in a graph, spread its edges over the context, ask
// for the end of the path). Every relation is a partial function, so the path's end is unique.
//
// natural: edges "Kelmar reports to Ostvin." across documents; question "Who is the mentor of
//          the manager of Kelmar?" → the end entity.
// tiny:    one relation `a>b `; question `?a=` → the whole path written out (`bc` for a 2-hop
//          path a>b b>c), as in notes/tiny-scale-rl.md; the path's end is the node with no
//          outgoing edge, so the number of hops need not be stated.
//
// Distractor similarity: the share of distractor edges that touch the path (an edge into a
// path node, or — natural — another relation out of a path node), the rest join unrelated
// entities.

import { z } from "zod";
import type { Document, MultihopRecord } from "../data/schema.ts";
import type { Rng } from "../rng.ts";
import { buildDocumentContext, joinQuery } from "./documents.ts";
import type { Query } from "./documents.ts";
import {
  commonParamFields,
  countRangeSchema,
  distractorSimilaritySchema,
  drawCount,
  resolveSimilarity,
  TaskParamError,
} from "./types.ts";
import type { TaskGenerator, TaskStyle } from "./types.ts";
import { distinctNames, RELATIONS } from "./vocab.ts";

export const multihopParams = z.strictObject({
  ...commonParamFields,
  /** Hops of the asked path (default: tiny 1..2, natural 2..3). */
  hops: countRangeSchema.optional(),
  /** Edges in the context, the path's included (default: hops..hops+2 tiny, +2..+8 natural). */
  facts: countRangeSchema.optional(),
  distractorSimilarity: distractorSimilaritySchema,
});
export type MultihopParams = z.infer<typeof multihopParams>;

interface Edge {
  readonly from: string;
  readonly relation: number;
  readonly to: string;
}

interface Graph {
  readonly path: string[];
  readonly pathEdges: Edge[];
  readonly distractors: Edge[];
}

// Tiny node names. No "a" and no "e": a tiny answer is the path's letters joined, and the
// SQuAD normalisation of the QA metrics drops the words "a", "an" and "the" — an answer
// spelled like an article would score 0 even when exactly right.
const NODE_LETTERS = "bcdfghijklmnopqrstuvwxyz";

function drawGraph(
  rng: Rng,
  style: TaskStyle,
  hops: number,
  edges: number,
  similarity: number,
): Graph {
  const tiny = style === "tiny";
  const nodes = tiny
    ? rng.shuffle([...NODE_LETTERS])
    : distinctNames(rng, hops + 1 + 2 * edges, new Set());
  const path = nodes.slice(0, hops + 1);
  const others = nodes.slice(hops + 1);
  const relationCount = tiny ? 1 : RELATIONS.length;
  const pathEdges = path
    .slice(0, hops)
    .map((from, i) => ({ from, relation: rng.int(relationCount), to: path[i + 1]! }));
  const defined = new Set(pathEdges.map((e) => `${e.from}/${e.relation}`));
  // tiny has one relation, so no path node (the end included) may get another outgoing edge.
  if (tiny) for (const node of path) defined.add(`${node}/0`);
  const distractors: Edge[] = [];
  for (let attempt = 0; distractors.length < edges - hops; attempt++) {
    if (attempt > 1000 * edges) {
      throw new TaskParamError("multihop", `cannot place ${edges - hops} distractor edges`);
    }
    const touchesPath = rng.next() < similarity;
    const relation = rng.int(relationCount);
    const fromPath = !tiny && touchesPath && rng.int(2) === 0;
    const from = fromPath ? path[rng.int(path.length)]! : others[rng.int(others.length)]!;
    const to =
      touchesPath && !fromPath ? path[rng.int(path.length)]! : others[rng.int(others.length)]!;
    if (from === to || defined.has(`${from}/${relation}`)) continue;
    defined.add(`${from}/${relation}`);
    distractors.push({ from, relation, to });
  }
  return { path, pathEdges, distractors };
}

function edgeDocument(style: TaskStyle, edge: Edge): Document {
  if (style === "tiny") return { title: "", text: `${edge.from}>${edge.to} ` };
  return { title: "Biography note", text: RELATIONS[edge.relation]!.fact(edge.from, edge.to) };
}

function pathQuery(style: TaskStyle, graph: Graph): Query {
  if (style === "tiny") return { core: `?${graph.path[0]}=`, inst: "" };
  const phrases = graph.pathEdges.map((e) => RELATIONS[e.relation]!.phrase).reverse();
  return {
    core: `Who is ${phrases.join(" ")} ${graph.path[0]}?`,
    inst: "Answer with the name only.",
  };
}

export const multihopGenerator: TaskGenerator<MultihopParams> = {
  kind: "multihop",
  params: multihopParams,
  generate(params, draw, env) {
    const similarity = resolveSimilarity(params.style, params.distractorSimilarity);
    const rng = draw.rng("graph");
    const tiny = params.style === "tiny";
    const hops = Math.max(
      1,
      drawCount(rng, params.hops ?? (tiny ? { min: 1, max: 2 } : { min: 2, max: 3 })),
    );
    const factRange =
      params.facts ?? (tiny ? { min: hops, max: hops + 2 } : { min: hops + 2, max: hops + 8 });
    const edges = Math.max(hops, drawCount(rng, factRange));
    if (tiny && edges + 1 > NODE_LETTERS.length) {
      throw new TaskParamError(
        "multihop",
        `tiny style has ${NODE_LETTERS.length} node letters; ${edges} edges do not fit`,
      );
    }
    const graph = drawGraph(rng, params.style, hops, edges, similarity);
    const query = pathQuery(params.style, graph);
    const answer = tiny ? graph.path.slice(1).join("") : graph.path[hops]!;
    const { record } = buildDocumentContext({
      kind: "multihop",
      style: params.style,
      target: params.inputTokens,
      draw,
      env,
      evidence: rng.shuffle(graph.pathEdges.map((e) => edgeDocument(params.style, e))),
      distractors: graph.distractors.map((e) => edgeDocument(params.style, e)),
      evidencePosition: params.evidencePosition,
      query,
      meta: {
        facts: edges,
        distractor_similarity: similarity,
        path: graph.path.join(">"),
      },
      build: (documents, evidence): MultihopRecord => ({
        id: draw.id,
        task: "multihop",
        question: joinQuery(query),
        answer,
        hops,
        documents,
        evidence,
      }),
    });
    return record;
  },
};
