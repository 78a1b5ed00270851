// Cross-field RL rules (QLX5xxx): the mistakes verl/TRL/OpenRLHF users find hours into a run —
// batches that do not divide, group baselines with one sample, KL applied twice, inverted
// clip ranges, learning rates that collapse entropy, thresholds that can never trigger.
import { diag } from "../../language/diagnostics.ts";
import type { BlockModel, ExperimentModel } from "../check.ts";
import { call, num, str, type Val } from "../values.ts";
import type { CheckInput } from "./context.ts";

const f = (b: BlockModel | undefined, name: string): Val | undefined => b?.fields.get(name);

export function checkBatchDivisible(m: ExperimentModel, { report }: CheckInput): void {
  const batch = num(f(m.root, "batch"));
  const group = num(f(m.rollout, "group"));
  const dp = num(f(m.root, "data_parallel"));
  if (
    batch !== undefined &&
    group !== undefined &&
    dp !== undefined &&
    (batch * group) % dp !== 0
  ) {
    report(
      diag("QLX5001", f(m.root, "data_parallel")?.span ?? m.node.headSpan, {
        responses: batch * group,
        dp,
      }),
    );
  }
  const mini = num(f(m.root, "mini_batch"));
  if (batch !== undefined && mini !== undefined && batch % mini !== 0) {
    report(diag("QLX5010", f(m.root, "mini_batch")?.span ?? m.node.headSpan, { mini, batch }));
  }
}

export function checkGroupBaseline(m: ExperimentModel, { report }: CheckInput): void {
  const adv = call(f(m.root, "advantage"));
  const group = num(f(m.rollout, "group"));
  if (adv === undefined || group === undefined || group >= 2) return;
  const usesGroup =
    adv.fn === "rloo" ||
    (adv.fn === "grpo" &&
      (str(adv.args.get("baseline")) === "group_mean" || str(adv.args.get("std")) === "group"));
  if (usesGroup)
    report(diag("QLX5002", f(m.rollout, "group")?.span ?? adv.span, { group, estimator: adv.fn }));
}

export function checkLoss(m: ExperimentModel, { report }: CheckInput): void {
  const loss = call(f(m.root, "loss"));
  if (loss === undefined) return;
  const a = (name: string) => num(loss.args.get(name));
  const kl = a("kl") ?? 0;
  const klReward = a("kl_reward") ?? 0;
  if (kl > 0 && klReward > 0) report(diag("QLX5005", loss.span, {}));
  const low = a("clip_low");
  const high = a("clip_high");
  if (low !== undefined && high !== undefined && high < low)
    report(diag("QLX5006", loss.args.get("clip_high")?.span ?? loss.span, { low, high }));
  if ((a("updates_per_batch") ?? 1) > 1 && low === 0 && high === 0)
    report(diag("QLX5007", loss.span, {}));
  if (kl === 0 && klReward === 0 && loss.written.has("kl_estimator"))
    report(diag("QLX5017", loss.args.get("kl_estimator")?.span ?? loss.span, {}));
}

function isTiny(m: ExperimentModel): boolean {
  return m.models.some((x) => call(f(x, "init"))?.fn === "tiny");
}

/** ln |V| of the smallest declared vocabulary, when every model declares one (tiny models). */
function maxEntropy(m: ExperimentModel): number | undefined {
  const vocabs = m.models.map((x) => num(call(f(x, "init"))?.args.get("vocab")));
  if (vocabs.length === 0 || vocabs.some((v) => v === undefined)) return undefined;
  return Math.log(Math.min(...(vocabs as number[])));
}

export function checkLearningRate(m: ExperimentModel, { report }: CheckInput): void {
  const opt = call(f(m.root, "optimizer"));
  const lr = num(opt?.args.get("lr"));
  const pretrained = m.models.some((x) => f(x, "init")?.k === "str");
  const limit = 1e-4;
  if (opt !== undefined && lr !== undefined && pretrained && !isTiny(m) && lr > limit) {
    report(diag("QLX5008", opt.args.get("lr")?.span ?? opt.span, { lr, limit }));
  }
}

export function checkEntropyControl(m: ExperimentModel, { report }: CheckInput): void {
  const control = call(f(m.root, "control"));
  const ceiling = maxEntropy(m);
  if (control !== undefined) {
    const low = num(control.args.get("low"));
    const high = num(control.args.get("high"));
    if (low !== undefined && high !== undefined && low >= high)
      report(diag("QLX5009", control.span, { low, high }));
    if (ceiling !== undefined && high !== undefined && high > ceiling)
      report(
        diag("QLX5013", control.args.get("high")?.span ?? control.span, {
          value: high,
          max: ceiling,
        }),
      );
  }
  const clip = call(f(m.root, "clip"));
  const when = clip?.args.get("when");
  if (ceiling !== undefined && when?.k === "pred" && when.value > ceiling) {
    report(diag("QLX5013", when.span, { value: when.value, max: ceiling }));
  }
}

export function checkSampler(m: ExperimentModel, { report }: CheckInput): void {
  const sampler = call(f(m.root, "sampler"));
  if (sampler?.fn !== "task_balanced" && sampler?.fn !== "pass_rate_binned") return;
  const over = sampler.args.get("over");
  const count = over?.k === "list" ? over.items.length : m.tasks.length;
  if (sampler.fn === "task_balanced" && count < 2 && count > 0) {
    report(diag("QLX5011", sampler.span, { tasks: count }));
    return;
  }
  const batch = num(f(m.root, "batch"));
  if (batch !== undefined && count > 1 && batch % count !== 0)
    report(diag("QLX5012", f(m.root, "batch")?.span ?? sampler.span, { batch, tasks: count }));
}

export function checkTemperature(m: ExperimentModel, { report }: CheckInput): void {
  const t = num(f(m.rollout, "temperature"));
  const group = num(f(m.rollout, "group")) ?? 1;
  if (t !== undefined && group > 1 && t < 0.2)
    report(
      diag("QLX5018", f(m.rollout, "temperature")?.span ?? m.node.headSpan, { temperature: t }),
    );
}

export function checkWarmup(m: ExperimentModel, { report }: CheckInput): void {
  const train = f(m.root, "train");
  if (train?.k === "bool" && !train.v) return;
  if (isTiny(m) && m.warmup === undefined) {
    const tiny = m.models.find((x) => call(f(x, "init"))?.fn === "tiny");
    report(diag("QLX5015", f(tiny, "init")?.span ?? m.node.headSpan, {}));
  }
}

export function checkTinyShape(model: BlockModel, { report }: CheckInput): void {
  const init = call(f(model, "init"));
  if (init?.fn !== "tiny") return;
  const dim = num(init.args.get("dim"));
  const heads = num(init.args.get("heads"));
  if (dim !== undefined && heads !== undefined && dim % heads !== 0)
    report(diag("QLX5014", init.span, { dim, heads }));
}
