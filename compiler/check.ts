// Checks an experiment block against the built-ins table: block heads, known blocks and
// fields, duplicates, required fields, and every value's type; then runs the semantic checks
// registered per node kind (compiler/checks). Returns the typed model lowering reads.
import type { Assignment, Block, For, RowBlock, Span } from "../language/ast.ts";
import { EXPERIMENT, type BlockSpec, type RefTarget } from "../language/builtins.ts";
import { diag, type Diagnostic } from "../language/diagnostics.ts";
import { scopeKey, type BlockCache, type BlockEvent } from "./block-cache.ts";
import { runChecks } from "./checks/index.ts";
import { suggestion } from "./suggest.ts";
import { checkExpr, pathText, type ExprContext, type Scope } from "./typecheck.ts";
import { defaultVal, type Val } from "./values.ts";

export interface BlockModel {
  readonly name: string;
  readonly node: Block;
  readonly fields: ReadonlyMap<string, Val>;
  /** Fields the user wrote (as opposed to defaults), for rules about explicit settings. */
  readonly explicit: ReadonlySet<string>;
}

export interface StageModel extends BlockModel {
  readonly kind: "stage";
  readonly from?: { readonly name: string; readonly span: Span };
}

export interface MergeModel {
  readonly kind: "merge";
  readonly name: string;
  readonly span: Span;
  readonly value: Val;
}

export interface ExperimentModel {
  readonly name: string;
  readonly node: Block;
  readonly root: BlockModel;
  readonly models: readonly BlockModel[];
  readonly tasks: readonly BlockModel[];
  readonly judge?: BlockModel;
  readonly rollout: BlockModel;
  readonly warmup?: BlockModel;
  readonly schedule: readonly (StageModel | MergeModel)[];
  readonly evaluate?: BlockModel;
  readonly profiles: readonly Block[];
}

export interface CheckContext {
  report(d: Diagnostic): void;
  checkPath(path: string, span: Span): boolean;
  /**
   * Block checks of earlier runs to reuse (the language server keeps one across edits), with
   * the project root that data paths were confined to.
   */
  readonly cache?: { readonly blocks: BlockCache; readonly root: string };
}

/** Checks one (already expanded) experiment block. */
export function checkExperiment(node: Block, ctx: CheckContext): ExperimentModel {
  const scope = collectScope(node, ctx);
  const exprCtx: ExprContext = { scope, report: ctx.report, checkPath: ctx.checkPath };
  const checked = new BlockChecker(
    exprCtx,
    ctx.cache && { blocks: ctx.cache.blocks, key: scopeKey(scope, ctx.cache.root) },
  );
  const root = checked.block(node, EXPERIMENT, "experiment");
  const child = (kw: string): Block[] =>
    node.items.filter((i): i is Block => i.kind === "Block" && i.keyword.name === kw);
  const specOf = (kw: string): BlockSpec =>
    EXPERIMENT.blocks.find((b) => b.keyword === kw) as BlockSpec;
  const one = (kw: string): BlockModel | undefined => {
    const b = child(kw)[0];
    return b === undefined ? undefined : checked.block(b, specOf(kw), kw);
  };
  const tasksSpec = specOf("tasks");
  const tasks = child("tasks").flatMap(
    (t) =>
      checked.block(t, tasksSpec, "tasks") &&
      t.items
        .filter((i): i is Block => i.kind === "Block")
        .map((entry) =>
          checked.block(entry, tasksSpec.entries as BlockSpec, `task '${entry.keyword.name}'`),
        ),
  );
  const scheduleSpec = specOf("schedule");
  const stageSpec = scheduleSpec.blocks[0];
  const schedule: (StageModel | MergeModel)[] = [];
  for (const s of child("schedule")) {
    checked.block(s, scheduleSpec, "schedule");
    for (const item of s.items) {
      if (item.kind === "Block" && item.keyword.name === "stage") {
        const m = checked.block(item, stageSpec, `stage '${nameOf(item) ?? "?"}'`);
        // Written out rather than spread: this runs for every stage of every check.
        const stage: StageModel = {
          kind: "stage",
          name: m.name,
          node: m.node,
          fields: m.fields,
          explicit: m.explicit,
          ...(item.from ? { from: { name: item.from.name, span: item.from.span } } : {}),
        };
        schedule.push(stage);
      } else if (item.kind === "Assignment" && item.keyword?.name === "merge") {
        const ty = scheduleSpec.keywordAssignments?.[0].type;
        if (ty === undefined) continue;
        schedule.push({
          kind: "merge",
          name: pathText(item.target),
          span: item.span,
          value: checkExpr(item.value, ty, pathText(item.target), exprCtx),
        });
      }
    }
  }
  const model: ExperimentModel = {
    name: nameOf(node) ?? "",
    node,
    root,
    models: child("model").map((m) =>
      checked.block(m, specOf("model"), `model '${nameOf(m) ?? "?"}'`),
    ),
    tasks,
    rollout: one("rollout") ?? checked.defaults(node, specOf("rollout")),
    schedule,
    profiles: child("profile"),
    ...optional("judge", one("judge")),
    ...optional("warmup", one("warmup")),
    ...optional("evaluate", one("evaluate")),
  };
  runChecks(model, ctx.report);
  return model;
}

function optional<K extends string>(key: K, v: BlockModel | undefined): { [P in K]?: BlockModel } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: BlockModel };
}

export function nameOf(b: Block): string | undefined {
  return b.name === undefined ? undefined : b.name.kind === "Ident" ? b.name.name : b.name.value;
}

/** Names every reference can point at, gathered before any value is checked. */
function collectScope(node: Block, ctx: CheckContext): Scope {
  const names: Record<RefTarget, Map<string, Span>> = {
    task: new Map(),
    stage: new Map(),
    stageOrMerge: new Map(),
    model: new Map(),
    experiment: new Map(),
  };
  const declare = (target: RefTarget, name: string, span: Span, what: string) => {
    const seen = names[target].get(name);
    if (seen !== undefined) {
      ctx.report(
        diag("QLX2007", span, { name, what }, [{ span: seen, message: "first declared here" }]),
      );
      return;
    }
    names[target].set(name, span);
  };
  for (const item of node.items) {
    if (item.kind !== "Block") continue;
    if (item.keyword.name === "model" && nameOf(item) !== undefined)
      declare("model", nameOf(item) as string, item.headSpan, "model");
    if (item.keyword.name === "tasks") {
      for (const t of item.items)
        if (t.kind === "Block") declare("task", t.keyword.name, t.headSpan, "task");
    }
    if (item.keyword.name === "schedule") {
      for (const s of item.items) {
        if (s.kind === "Block" && s.keyword.name === "stage" && nameOf(s) !== undefined) {
          declare("stageOrMerge", nameOf(s) as string, s.headSpan, "stage");
          names.stage.set(nameOf(s) as string, s.headSpan);
        } else if (s.kind === "Assignment" && s.keyword?.name === "merge") {
          declare("stageOrMerge", pathText(s.target), s.target.span, "merge");
        }
      }
    }
  }
  return { names, tasks: [...names.task.keys()] };
}

/** The table-driven part: heads, known fields/blocks, duplicates, required fields, defaults. */
class BlockChecker {
  constructor(
    private ctx: ExprContext,
    private readonly cache?: { readonly blocks: BlockCache; readonly key: string },
  ) {}

  block(node: Block, spec: BlockSpec, label: string): BlockModel {
    if (this.cache === undefined) return this.checkBlock(node, spec, label);
    const { blocks, key } = this.cache;
    const hit = blocks.lookup(node, spec, label, key);
    if (hit !== undefined) {
      for (const e of hit.events) {
        if (e.kind === "report") this.ctx.report(e.diagnostic);
        else this.ctx.checkPath(e.path, e.span);
      }
      return hit.model;
    }
    const events: BlockEvent[] = [];
    const outer = this.ctx;
    this.ctx = {
      scope: outer.scope,
      report: (diagnostic) => {
        events.push({ kind: "report", diagnostic });
        outer.report(diagnostic);
      },
      checkPath: (path, span) => {
        events.push({ kind: "path", path, span });
        return outer.checkPath(path, span);
      },
    };
    try {
      const model = this.checkBlock(node, spec, label);
      blocks.store(node, { spec, label, scope: key, model, events });
      return model;
    } finally {
      this.ctx = outer;
    }
  }

  private checkBlock(node: Block, spec: BlockSpec, label: string): BlockModel {
    this.checkHead(node, spec);
    const fields = new Map<string, Val>();
    const explicit = new Set<string>();
    const spans = new Map<string, Span>();
    const seenBlocks = new Map<string, Span>();
    for (const item of node.items) {
      if (item.kind === "Assignment") this.assignment(item, spec, label, fields, explicit, spans);
      else if (item.kind === "Block") this.childBlock(item, spec, label, seenBlocks);
      else this.misplaced(item);
    }
    for (const f of spec.fields) {
      if (fields.has(f.name)) continue;
      if (f.required) {
        this.ctx.report(diag("QLX3003", node.headSpan, { name: f.name, parent: label }));
        fields.set(f.name, { k: "poison", span: node.headSpan });
      } else {
        fields.set(
          f.name,
          f.default === undefined
            ? { k: "absent", span: node.headSpan }
            : defaultVal(f.default, f.type, node.headSpan, this.ctx.scope.tasks),
        );
      }
    }
    return { name: nameOf(node) ?? node.keyword.name, node, fields, explicit };
  }

  /** A block the file omitted: all defaults. */
  defaults(parent: Block, spec: BlockSpec): BlockModel {
    const fields = new Map<string, Val>();
    for (const f of spec.fields) {
      if (f.default !== undefined)
        fields.set(f.name, defaultVal(f.default, f.type, parent.headSpan, this.ctx.scope.tasks));
    }
    return { name: spec.keyword, node: parent, fields, explicit: new Set() };
  }

  private assignment(
    a: Assignment,
    spec: BlockSpec,
    label: string,
    fields: Map<string, Val>,
    explicit: Set<string>,
    spans: Map<string, Span>,
  ): void {
    if (a.keyword !== undefined) {
      if (spec.keywordAssignments?.some((k) => k.keyword === a.keyword?.name)) return; // checked by the caller
      this.ctx.report(diag("QLX2017", a.keyword.span, { keyword: `'${a.keyword.name} … ='` }));
      return;
    }
    if (a.op === "*=" || a.target.parts.length > 1) {
      this.ctx.report(
        diag("QLX2017", a.span, {
          keyword:
            a.op === "*=" ? "'*=' outside a profile" : "a dotted field path outside a profile",
        }),
      );
      return;
    }
    const name = a.target.parts[0].name;
    const field = spec.fields.find((f) => f.name === name);
    if (field === undefined) {
      const allowed = spec.fields.map((f) => f.name);
      this.ctx.report(
        diag("QLX2002", a.target.span, {
          name,
          parent: label,
          allowed: allowed.join(", ") || "(none)",
          ...suggestion(name, allowed),
        }),
      );
      return;
    }
    const first = spans.get(name);
    if (first !== undefined) {
      this.ctx.report(
        diag("QLX2006", a.target.span, { name }, [{ span: first, message: "first set here" }]),
      );
      return;
    }
    spans.set(name, a.target.span);
    explicit.add(name);
    fields.set(name, checkExpr(a.value, field.type, name, this.ctx));
  }

  private childBlock(b: Block, spec: BlockSpec, label: string, seen: Map<string, Span>): void {
    const kw = b.keyword.name;
    if (spec === EXPERIMENT && kw === "profile") return;
    const known = spec.blocks.find((s) => s.keyword === kw) ?? spec.entries;
    if (known === undefined) {
      const allowed = spec.blocks
        .map((s) => s.keyword)
        .concat(spec === EXPERIMENT ? ["profile"] : []);
      this.ctx.report(
        diag("QLX2001", b.keyword.span, {
          name: kw,
          parent: label,
          allowed: allowed.join(", ") || "(none)",
          ...suggestion(kw, allowed),
        }),
      );
      return;
    }
    if (!known.repeatable && known !== spec.entries) {
      const first = seen.get(kw);
      if (first !== undefined) {
        this.ctx.report(
          diag("QLX2007", b.headSpan, { name: kw, what: "block" }, [
            { span: first, message: "first declared here" },
          ]),
        );
      }
      seen.set(kw, b.headSpan);
    }
    // The block's own contents are checked by checkExperiment, which builds its model.
  }

  private checkHead(node: Block, spec: BlockSpec): void {
    const kw = node.keyword.name;
    if (spec.name === "required" && node.name === undefined)
      this.ctx.report(diag("QLX2013", node.headSpan, { keyword: kw, problem: "needs a name" }));
    if (spec.name === "none" && node.name !== undefined)
      this.ctx.report(diag("QLX2013", node.name.span, { keyword: kw, problem: "takes no name" }));
    if (node.from !== undefined && !spec.from)
      this.ctx.report(
        diag("QLX2013", node.from.span, {
          keyword: kw,
          problem: "cannot start `from` another block",
        }),
      );
    if (node.of !== undefined && !spec.of)
      this.ctx.report(diag("QLX2013", node.of.span, { keyword: kw, problem: "takes no `of`" }));
  }

  private misplaced(item: RowBlock | For): void {
    this.ctx.report(
      diag("QLX2017", item.kind === "For" ? item.span : item.headSpan, {
        keyword: item.kind === "For" ? "a `for` grid" : "a quoted row block",
      }),
    );
  }
}
