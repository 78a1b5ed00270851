// The table-driven check of each block (check.ts, `BlockChecker.block`), kept by node across
// the editor's checks. After a one-line edit of a long recipe the re-parse shares every node
// before the edit with the previous tree and moves the ones after it
// (language/incremental.ts), so only the edited block needs checking again: a shared block's
// check is reused as it was, a moved block's check is moved with it.
//
// A block's check depends on its node, its spec and label, and the context (names in scope,
// task list, project root: `scopeKey`); while checking, it reports diagnostics and checks data
// paths. A reused check replays both in their order: the paths against the disk of now (a
// data file may have appeared since), the diagnostics as they were. So a check with the cache
// reports exactly what a fresh check reports.
import type { Block, Span } from "../language/ast.ts";
import type { BlockSpec } from "../language/builtins.ts";
import type { Diagnostic } from "../language/diagnostics.ts";
import { movedFrom, shiftSpan, type SpanShift } from "../language/incremental.ts";
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

export class BlockCache {
  private readonly blocks = new WeakMap<Block, CachedBlock>();

  lookup(node: Block, spec: BlockSpec, label: string, scope: string): CachedBlock | undefined {
    const hit = this.blocks.get(node);
    if (fits(hit, spec, label, scope)) return hit;
    const moved = movedFrom(node);
    const before = moved === undefined ? undefined : this.blocks.get(moved.node);
    if (moved === undefined || !fits(before, spec, label, scope)) return undefined;
    const translated = move(before, moved.node, node, moved.shift);
    if (translated !== undefined) this.blocks.set(node, translated);
    return translated;
  }

  store(node: Block, entry: CachedBlock): void {
    this.blocks.set(node, entry);
  }
}

function fits(
  c: CachedBlock | undefined,
  spec: BlockSpec,
  label: string,
  scope: string,
): c is CachedBlock {
  return c !== undefined && c.spec === spec && c.label === label && c.scope === scope;
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

/** Moves positions of a block's check by `shift`, noting any position outside the block. */
interface Mover {
  readonly block: Span;
  readonly shift: SpanShift;
  /**
   * Each span object moved so far and its moved copy: values that shared a span object share
   * the moved one, since checks compare spans by identity (a call's defaulted arguments carry
   * the call's own span: `checkLoss` tells written arguments from defaults that way).
   */
  readonly moved: Map<Span, Span>;
  outside: boolean;
}

function moveSpan(s: Span, m: Mover): Span {
  const known = m.moved.get(s);
  if (known !== undefined) return known;
  if (s.file !== m.block.file || s.start < m.block.start || s.end > m.block.end) m.outside = true;
  const moved = shiftSpan(s, m.shift);
  m.moved.set(s, moved);
  return moved;
}

function moveVal(v: Val, m: Mover): Val {
  switch (v.k) {
    case "call": {
      const args = new Map<string, Val>();
      for (const [name, a] of v.args) args.set(name, moveVal(a, m));
      return { ...v, args, span: moveSpan(v.span, m) };
    }
    case "list":
      return { ...v, items: v.items.map((x) => moveVal(x, m)), span: moveSpan(v.span, m) };
    default:
      return { ...v, span: moveSpan(v.span, m) };
  }
}

function moveEvent(e: BlockEvent, m: Mover): BlockEvent {
  if (e.kind === "path") return { ...e, span: moveSpan(e.span, m) };
  const d = e.diagnostic;
  const related = d.related.map((r) => ({ ...r, span: moveSpan(r.span, m) }));
  return { kind: "report", diagnostic: { ...d, span: moveSpan(d.span, m), related } };
}

/**
 * The check of `from` as the check of `to`, its moved copy. Every position it holds must lie in
 * the block (one pointing elsewhere, say at an earlier declaration, might not have moved):
 * otherwise undefined, and the block is checked afresh.
 */
function move(
  entry: CachedBlock,
  from: Block,
  to: Block,
  shift: SpanShift,
): CachedBlock | undefined {
  const m: Mover = { block: from.span, shift, moved: new Map(), outside: false };
  const fields = new Map<string, Val>();
  for (const [name, v] of entry.model.fields) fields.set(name, moveVal(v, m));
  const events =
    entry.events.length === 0 ? entry.events : entry.events.map((e) => moveEvent(e, m));
  if (m.outside) return undefined;
  return { ...entry, model: { ...entry.model, node: to, fields }, events };
}
