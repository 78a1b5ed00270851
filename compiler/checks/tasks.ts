// Task rules: every task has a reward, and a `judge` reward has a judge to call.
import { diag } from "../../language/diagnostics.ts";
import type { BlockModel } from "../check.ts";
import type { Val } from "../values.ts";
import type { CheckInput } from "./context.ts";

export function checkTaskReward(task: BlockModel, { report }: CheckInput): void {
  if (task.fields.get("reward")?.k === "absent")
    report(diag("QLX5003", task.node.headSpan, { task: task.name }));
}

function judgeCall(v: Val | undefined): Val | undefined {
  if (v?.k !== "call") return undefined;
  if (v.fn === "judge") return v;
  const parts = v.args.get("rewards");
  return parts?.k === "list" ? parts.items.map(judgeCall).find((x) => x !== undefined) : undefined;
}

export function checkJudgeDeclared(task: BlockModel, { model, report }: CheckInput): void {
  const j = judgeCall(task.fields.get("reward"));
  if (j !== undefined && model.judge === undefined) report(diag("QLX5004", j.span, {}));
}
