// The compiler's public API: check a file (every experiment, every profile, every ablation
// row), and compile one experiment or ablation to IR. Each step is a pure function of the
// files the host returns.
import * as fs from "node:fs";
import * as nodePath from "node:path";
import type { Block, Span } from "../language/ast.ts";
import { ABLATION } from "../language/builtins.ts";
import { diag, hasErrors, type Diagnostic } from "../language/diagnostics.ts";
import { readingSteps } from "./agent-budget.ts";
import { BlockCache } from "./block-cache.ts";
import { checkExperiment, nameOf, type CheckContext } from "./check.ts";
import { applyPatch, applyProfile, expandRows } from "./expand.ts";
import { IrDocument, IR_VERSION, type ExperimentIr } from "./ir/schema.ts";
import { lowerExperiment } from "./lower.ts";
import {
  confine,
  declarations,
  loadProject,
  type Declared,
  type ParseSource,
  type Project,
  type SourceHost,
} from "./project.ts";
import { suggestion } from "./suggest.ts";
import { checkExpr } from "./typecheck.ts";
import { num, str } from "./values.ts";

export { BlockCache, IR_VERSION, type IrDocument };
export type { SourceHost, Project, ParseSource };

export const nodeHost: SourceHost = {
  readFile: (p) => {
    try {
      return fs.readFileSync(p, "utf8");
    } catch {
      return undefined;
    }
  },
  exists: (p) => fs.existsSync(p),
};

export interface CompileOptions {
  /** A profile of the experiment (or of an ablation's base) to apply. */
  readonly profile?: string;
  /** Which experiment or ablation of the entry file, when it declares several. */
  readonly name?: string;
  readonly projectDir?: string;
  readonly host?: SourceHost;
  /**
   * How each loaded file's text is parsed; `parse` by default. The language server passes its
   * cache of (incremental) parses, so a check after an edit re-parses only the edited block
   * or assignment.
   * It must return what `parse` would.
   */
  readonly parse?: ParseSource;
  /** Block checks of earlier runs to reuse; the language server keeps one (see `BlockCache`). */
  readonly blocks?: BlockCache;
}

export interface CheckResult {
  readonly diagnostics: readonly Diagnostic[];
  readonly project?: Project;
}

export interface CompileResult extends CheckResult {
  readonly ir?: IrDocument;
  /** Human-readable derived numbers per stage, for the CLI's summary. */
  readonly summary: readonly string[];
}

const STRUCTURAL_SYNTAX = new Set(["QLX1002", "QLX1004", "QLX1006", "QLX1011"]);
const CONSEQUENCES_OF_LOST_STRUCTURE = new Set([
  "QLX2001",
  "QLX2002",
  "QLX2017",
  "QLX3003",
  "QLX3004",
  "QLX4007",
  "QLX5003",
]);

class Session {
  readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  readonly decls: Map<string, Declared>;
  private readonly hasSyntaxDiagnostics: boolean;

  constructor(
    readonly project: Project,
    readonly host: SourceHost,
    private readonly blocks?: BlockCache,
  ) {
    this.hasSyntaxDiagnostics = project.diagnostics.some((d) => d.code.startsWith("QLX1"));
    for (const d of project.diagnostics) this.report(d);
    this.decls = declarations(project, (d) => this.report(d));
  }

  /** Variants re-check the same base text: each diagnostic is kept once. */
  report = (d: Diagnostic): void => {
    const key = `${d.code}|${d.span.file}|${d.span.start}|${d.span.end}|${d.message}`;
    if (this.seen.has(key) || this.explainedBySyntax(d)) return;
    this.seen.add(key);
    this.diagnostics.push(d);
  };

  /**
   * One mistake, one diagnostic: a semantic diagnostic on text a syntax error already covers
   * repeats it (a fractional `1.3K` is also "not an integer"), and where the parser lost
   * block structure (an unclosed block, a string or comment that swallowed a brace) missing
   * and misplaced items are consequences, not mistakes.
   */
  private explainedBySyntax(d: Diagnostic): boolean {
    if (d.code.startsWith("QLX1")) return false;
    // Most files have no syntax error: then nothing is explained, without a scan per report.
    if (!this.hasSyntaxDiagnostics) return false;
    const syntax = this.project.diagnostics.filter(
      (s) => s.code.startsWith("QLX1") && s.span.file === d.span.file,
    );
    if (syntax.some((s) => s.span.start < d.span.end && d.span.start < s.span.end)) return true;
    return (
      syntax.some((s) => STRUCTURAL_SYNTAX.has(s.code)) &&
      CONSEQUENCES_OF_LOST_STRUCTURE.has(d.code)
    );
  }

  checkContext(): CheckContext {
    return {
      ...(this.blocks === undefined
        ? {}
        : { cache: { blocks: this.blocks, root: this.project.root } }),
      report: this.report,
      checkPath: (path: string, span: Span) => {
        const abs = confine(this.project.root, span.file, path);
        if (abs === undefined) {
          this.report(diag("QLX2009", span, { path }));
          return false;
        }
        if (!this.host.exists(abs)) this.report(diag("QLX2016", span, { path }));
        return true;
      },
    };
  }

  sorted(): Diagnostic[] {
    return [...this.diagnostics].sort(
      (a, b) =>
        // Equal paths (nearly every pair) need no locale-aware comparison.
        (a.span.file === b.span.file ? 0 : a.span.file.localeCompare(b.span.file)) ||
        a.span.start - b.span.start ||
        a.code.localeCompare(b.code),
    );
  }
}

interface Variant {
  readonly name: string | null;
  readonly block: Block;
}

/** The base experiment of an ablation with its profile; undefined after reporting why not. */
function ablationVariants(
  session: Session,
  ablation: Block,
  profileOverride?: string,
):
  | { base: Block; rows: Variant[]; seeds: number; profile: string | null; baseline: number }
  | undefined {
  const report = session.report;
  let seeds = 3;
  let baseline: { name: string; span: Span } | undefined;
  let profile: string | null = profileOverride ?? null;
  let profileSpan: Span = ablation.headSpan;
  const rowsBlocks: Block[] = [];
  const exprCtx = {
    scope: {
      names: {
        task: new Map(),
        stage: new Map(),
        stageOrMerge: new Map(),
        model: new Map(),
        experiment: new Map(),
      },
      tasks: [],
    },
    report,
    checkPath: () => true,
  };
  for (const item of ablation.items) {
    if (item.kind === "Block" && item.keyword.name === "rows") rowsBlocks.push(item);
    else if (
      item.kind === "Assignment" &&
      item.target.parts.length === 1 &&
      ABLATION.fields.some((f) => f.name === item.target.parts[0].name)
    ) {
      const field = ABLATION.fields.find((f) => f.name === item.target.parts[0].name);
      const v = checkExpr(
        item.value,
        field?.type ?? { kind: "string" },
        item.target.parts[0].name,
        exprCtx,
      );
      if (field?.name === "seeds") {
        seeds = num(v) ?? seeds;
        if (seeds === 1) report(diag("QLX5016", item.value.span, { seeds }));
      } else if (field?.name === "baseline") {
        const name = str(v);
        if (name !== undefined) baseline = { name, span: item.value.span };
      } else if (profileOverride === undefined) {
        profile = str(v) ?? null;
        profileSpan = item.value.span;
      }
    } else if (item.kind === "Assignment") {
      const name = item.target.parts.map((p) => p.name).join(".");
      const allowed = ABLATION.fields.map((f) => f.name);
      report(
        diag("QLX2002", item.target.span, {
          name,
          parent: "ablation",
          allowed: allowed.join(", "),
          ...suggestion(name, allowed),
        }),
      );
    } else if (item.kind === "Block") {
      report(
        diag("QLX2001", item.keyword.span, {
          name: item.keyword.name,
          parent: "ablation",
          allowed: "rows",
          ...suggestion(item.keyword.name, ["rows"]),
        }),
      );
    } else {
      report(
        diag("QLX2017", item.kind === "For" ? item.span : item.headSpan, {
          keyword: "a row outside `rows { … }`",
        }),
      );
    }
  }
  if (ablation.name === undefined)
    report(diag("QLX2013", ablation.headSpan, { keyword: "ablation", problem: "needs a name" }));
  if (ablation.of === undefined) {
    report(
      diag("QLX2013", ablation.headSpan, {
        keyword: "ablation",
        problem: "needs `of BASE_EXPERIMENT`",
      }),
    );
    return undefined;
  }
  const baseDecl = session.decls.get(ablation.of.name);
  if (baseDecl === undefined || baseDecl.block.keyword.name !== "experiment") {
    const experiments = [...session.decls.values()]
      .filter((d) => d.block.keyword.name === "experiment")
      .map((d) => nameOf(d.block) ?? "");
    report(
      diag("QLX2011", ablation.of.span, {
        name: ablation.of.name,
        ...suggestion(ablation.of.name, experiments),
      }),
    );
    return undefined;
  }
  const base =
    profile === null ? baseDecl.block : applyProfile(baseDecl.block, profile, profileSpan, report);
  if (base === undefined) return undefined;
  const rows: Variant[] = [];
  const names = new Map<string, Span>();
  for (const r of rowsBlocks.flatMap((b) => expandRows(b, report))) {
    const first = names.get(r.name);
    if (first !== undefined)
      report(
        diag("QLX2007", r.span, { name: r.name, what: "row" }, [
          { span: first, message: "first declared here" },
        ]),
      );
    names.set(r.name, r.span);
    rows.push({ name: r.name, block: applyPatch(base, r.items, report) });
  }
  const baselineIndex =
    baseline === undefined ? 0 : rows.findIndex((r) => r.name === baseline.name);
  if (baseline !== undefined && baselineIndex < 0) {
    const rowNames = rows.map((r) => r.name ?? "");
    report(
      diag("QLX2005", baseline.span, {
        name: baseline.name,
        what: "row",
        ...suggestion(baseline.name, rowNames),
      }),
    );
  }
  return { base, rows, seeds, profile, baseline: Math.max(0, baselineIndex) };
}

function experimentVariants(session: Session, exp: Block): Variant[] {
  const profiles = exp.items.filter(
    (i): i is Block => i.kind === "Block" && i.keyword.name === "profile",
  );
  const out: Variant[] = [{ name: null, block: exp }];
  const seen = new Map<string, Span>();
  for (const p of profiles) {
    const name = nameOf(p);
    if (name === undefined) {
      session.report(diag("QLX2013", p.headSpan, { keyword: "profile", problem: "needs a name" }));
      continue;
    }
    const first = seen.get(name);
    if (first !== undefined)
      session.report(
        diag("QLX2007", p.headSpan, { name, what: "profile" }, [
          { span: first, message: "first declared here" },
        ]),
      );
    seen.set(name, p.headSpan);
    out.push({ name, block: applyPatch(exp, p.items, session.report) });
  }
  return out;
}

function open(path: string, opts: CompileOptions): Session {
  const host = opts.host ?? nodeHost;
  const project = loadProject(path, host, opts.projectDir, opts.parse);
  if (project === undefined) throw new Error(`cannot read ${path}`);
  return new Session(project, host, opts.blocks);
}

/** Checks every experiment (with each profile) and every ablation row of the file. */
export function checkFile(path: string, opts: CompileOptions = {}): CheckResult {
  const session = open(path, opts);
  checkEntry(session, opts);
  return { diagnostics: session.sorted(), project: session.project };
}

function checkEntry(session: Session, opts: CompileOptions): void {
  const ctx = session.checkContext();
  for (const item of session.project.entry.ast.items) {
    if (item.kind !== "Block") continue;
    if (item.keyword.name === "experiment") {
      for (const v of experimentVariants(session, item)) checkExperiment(v.block, ctx);
    } else if (item.keyword.name === "ablation") {
      const expanded = ablationVariants(session, item, opts.profile);
      for (const row of expanded?.rows ?? []) checkExperiment(row.block, ctx);
    } else {
      session.report(
        diag("QLX2001", item.keyword.span, {
          name: item.keyword.name,
          parent: "a file",
          allowed: "experiment, ablation",
          ...suggestion(item.keyword.name, ["experiment", "ablation"]),
        }),
      );
    }
  }
}

/** Compiles the (single, or `name`d) experiment or ablation of the entry file to IR. */
export function compileFile(path: string, opts: CompileOptions = {}): CompileResult {
  const session = open(path, opts);
  checkEntry(session, opts);
  const checked: CheckResult = { diagnostics: session.sorted(), project: session.project };
  if (hasErrors(checked.diagnostics)) return { ...checked, summary: [] };
  const candidates = session.project.entry.ast.items.filter(
    (i): i is Block => i.kind === "Block" && (opts.name === undefined || nameOf(i) === opts.name),
  );
  if (candidates.length !== 1) {
    const names = session.project.entry.ast.items.flatMap((i) =>
      i.kind === "Block" ? [nameOf(i) ?? "?"] : [],
    );
    throw new UsageError(
      candidates.length === 0
        ? `no experiment or ablation named '${opts.name}' (declared: ${names.join(", ")})`
        : `${path} declares ${names.join(", ")}: choose one with --name`,
    );
  }
  const target = candidates[0];
  const ctx = session.checkContext();
  const source = nodePath
    .relative(session.project.root, session.project.entry.path)
    .split(nodePath.sep)
    .join("/");
  const lowerOpts = { source, projectDir: session.project.root };
  if (target.keyword.name === "experiment") {
    const profile = opts.profile ?? null;
    // The whole file is clean; the diagnostics to show are the compiled variant's own (with
    // `--profile tiny`, the base's missing data files are not this compilation's concern), so
    // the variant is checked in a fresh session.
    const variant = profile === null ? session : open(path, opts);
    const block =
      profile === null ? target : applyProfile(target, profile, target.headSpan, variant.report);
    if (block === undefined) return { diagnostics: variant.sorted(), summary: [] };
    const model = checkExperiment(block, variant.checkContext());
    if (hasErrors(variant.diagnostics)) return { diagnostics: variant.sorted(), summary: [] };
    const graph = lowerExperiment(model, { ...lowerOpts, profile });
    return {
      diagnostics: variant.sorted(),
      project: session.project,
      ir: IrDocument.parse(graph),
      summary: summarize(graph),
    };
  }
  const expanded = ablationVariants(session, target, opts.profile);
  if (expanded === undefined) return { diagnostics: session.sorted(), summary: [] };
  const models = expanded.rows.map((row) => checkExperiment(row.block, ctx));
  if (hasErrors(session.diagnostics)) return { diagnostics: session.sorted(), summary: [] };
  const rows = expanded.rows.map((row, index) => {
    const graph = lowerExperiment(models[index], { ...lowerOpts, profile: expanded.profile });
    return {
      name: row.name ?? "",
      index,
      seeds: Array.from({ length: expanded.seeds }, (_, i) => graph.seed + i),
      graph,
    };
  });
  const first = rows[0]?.graph;
  const ir: IrDocument = {
    version: IR_VERSION,
    kind: "ablation",
    name: nameOf(target) ?? "",
    base: target.of?.name ?? "",
    source,
    profile: expanded.profile,
    seeds: expanded.seeds,
    baseline: rows[expanded.baseline]?.name ?? "",
    columns: [...(first?.evaluate?.benchmarks ?? []), "avg"],
    rows,
  };
  return {
    ...checked,
    ir: IrDocument.parse(ir),
    summary: rows.flatMap((r) => summarize(r.graph).map((l) => `[${r.name}] ${l}`)),
  };
}

/** A usage problem (not a diagnostic of the file): the CLI exits 2. */
export class UsageError extends Error {}

/** What one response is: a single pass, or the memory agent's trajectory of K + 1 steps (§2.3). */
function stageShape(n: Extract<ExperimentIr["schedule"][number], { kind: "stage" }>): string {
  const agent = n.nodes.find((x) => x.kind === "rollout")?.agent;
  if (!agent) return `input ${n.input} + output ${n.output}`;
  const reading = readingSteps(n.input, agent.chunk, agent.max_chunks);
  return `memory agent: ${reading} reading steps of chunk ${agent.chunk} + memory ${agent.memory}, then an answer of ${n.output}`;
}

function summarize(g: ExperimentIr): string[] {
  return g.schedule.map((n) =>
    n.kind === "stage"
      ? `stage ${n.name}: ${n.steps} steps × ${n.derived.prompts_per_step} prompts × G ${n.derived.responses_per_step / n.derived.prompts_per_step} = ${n.derived.responses_per_step} responses/step (${n.derived.responses_per_worker} per worker), ≤ ${n.derived.max_tokens_per_step} tokens/step (${stageShape(n)})`
      : `merge ${n.name}: ${n.op}(${n.models.join(", ")})${n.base === null ? "" : ` base ${n.base}`}`,
  );
}
