// The table-driven check of each block (check.ts, `BlockChecker.block`), kept by node across
// the editor's checks. After a one-line edit of a long recipe the re-parse keeps every node but
// the edited block or assignment (language/incremental.ts): nodes before the edit as they were,
// nodes after it moved in place, so every other block finds its check under its own node.
//
// A block's check depends on its node, its spec and label, and the context (names in scope,
// task list, project root: `scopeKey`); while checking, it reports diagnostics and checks data
// paths. A reused check replays both in their order: the paths against the disk of now (a
// data file may have appeared since), the diagnostics as they were. So a check with the cache
// reports exactly what a fresh check reports.
//
// Positions: a check holds spans, mostly those of the block's own nodes, which move with the
// nodes; the ones inside the block that the checker derived are handed to the re-parse to move
// with the block (`carrySpans`). A check holding a position outside its block (say an earlier
// declaration's) cannot know whether that position moved: it is reused only while its block
// has not moved since it was stored.
import type { Block, Span } from "../language/ast.ts";
import type { BlockSpec } from "../language/builtins.ts";
import type { Diagnostic } from "../language/diagnostics.ts";
import { carrySpans } from "../language/incremental.ts";
import type { BlockModel } from "./check.ts";
import type { Scope } from "./typecheck.ts";
import type { Val } from "./values.ts";

/** What checking one block did, in order: diagnostics it reported and data paths it checked. */
export type BlockEvent =
  | { readonly kind: "report"; readonly diagnostic: Diagnostic }
  | { readonly kind: "path"; readonly path: string; readonly span: Span };

export interface CachedBlock {
  readonly spec: BlockSpec;
  readonly label: string;
  /** `scopeKey` of the context the block was checked in. */
  readonly scope: string;
  readonly model: BlockModel;
  readonly events: readonly BlockEvent[];
}

interface Kept {
  readonly entry: CachedBlock;
  /** Where the block started when a check holding a position outside it was stored. */
  readonly pinnedAt?: { readonly start: number; readonly line: number; readonly column: number };
}

export class BlockCache {
  private readonly blocks = new WeakMap<Block, Kept>();

  lookup(node: Block, spec: BlockSpec, label: string, scope: string): CachedBlock | undefined {
    const kept = this.blocks.get(node);
    if (kept === undefined) return undefined;
    const { entry, pinnedAt } = kept;
    if (entry.spec !== spec || entry.label !== label || entry.scope !== scope) return undefined;
    const s = node.span;
    if (
      pinnedAt !== undefined &&
      (pinnedAt.start !== s.start || pinnedAt.line !== s.line || pinnedAt.column !== s.column)
    )
      return undefined;
    return entry;
  }

  store(node: Block, entry: CachedBlock): void {
    // Every position of the check inside the block is carried along with it: most are spans
    // of the block's own nodes, which move with the tree anyway (each span moves once), and
    // telling them apart would walk the whole block, which for the experiment around an edit
    // is the whole file.
    const inside = new Set<Span>();
    let outside = false;
    const b = node.span;
    const note = (s: Span) => {
      if (s.file !== b.file || s.start < b.start || s.end > b.end) outside = true;
      else inside.add(s);
    };
    for (const v of entry.model.fields.values()) valSpans(v, note);
    for (const e of entry.events) {
      if (e.kind === "path") note(e.span);
      else {
        note(e.diagnostic.span);
        for (const r of e.diagnostic.related) note(r.span);
      }
    }
    carrySpans(node, [...inside]);
    this.blocks.set(
      node,
      outside ? { entry, pinnedAt: { start: b.start, line: b.line, column: b.column } } : { entry },
    );
  }
}

function valSpans(v: Val, visit: (s: Span) => void): void {
  if (v.k === "call") for (const a of v.args.values()) valSpans(a, visit);
  else if (v.k === "list") for (const x of v.items) valSpans(x, visit);
  visit(v.span);
}

/**
 * Everything of the context a block's check reads: the names of each kind, the task list, and
 * the project root (whether a data path is usable depends on it).
 */
export function scopeKey(scope: Scope, root: string): string {
  const names = Object.entries(scope.names).map(
    ([kind, m]) => `${kind}:${[...m.keys()].join(",")}`,
  );
  return `${root}\n${names.join("\n")}\n${scope.tasks.join(",")}`;
}
