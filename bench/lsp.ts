// Language-server latency on a generated 5,000-line recipe (the recipe of bench/parse.ts),
// measured from a stdio client against `qlx lsp` as an editor would see it:
//   - didChange (a one-line edit) → publishDiagnostics for that version: an edit that keeps
//     the line's length (a step count, 200 → 201) and one that changes it (typing a digit),
//     which moves everything after it, and typing a new field on a new line (syntax errors at
//     most keystrokes),
//   - completion after `std = ` inside a call, on a checked file and sent with an edit,
//   - hover on a built-in (`aepo`).
// p50 and p95 over the runs are reported against the targets (p95 < 30 ms diagnostics,
// < 50 ms completion); reported, not asserted. Latency depends on what else the machine runs,
// so the load average is printed with it, and for the edits the server's CPU time per edit
// (from /proc, Linux only), which depends much less on load.
//   npx tsx bench/lsp.ts [--lines 5000] [--runs 30]     or     npm run bench -- lsp
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-jsonrpc/node";
import { generateRecipe } from "./parse.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** CPU time (user + system) the process has used, in ms; undefined off Linux. */
function cpuMs(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    const perSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));
    return (ticks / perSecond) * 1000;
  } catch {
    return undefined;
  }
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      lines: { type: "string", default: "5000" },
      runs: { type: "string", default: "30" },
    },
  });
  const runs = Number(values.runs);
  const base = generateRecipe(Number(values.lines));
  // A call whose `std = ` the completion requests complete, and an `aepo` to hover.
  const lines = base.split("\n");
  const stdLine = lines.findIndex((l) => l.includes("std = task_batch"));
  const stdChar = lines[stdLine]!.indexOf("std = ") + "std = ".length;
  const aepoLine = lines.findIndex((l) => l.includes("aepo("));
  const aepoChar = lines[aepoLine]!.indexOf("aepo") + 1;
  const editLine = lines.findIndex((l) => l.trim() === "steps = 200");

  const dir = mkdtempSync(join(tmpdir(), "qlx-bench-lsp-"));
  writeFileSync(join(dir, "qlx.project"), "");
  const uri = pathToFileURL(join(dir, "generated.qlx")).href;
  writeFileSync(fileURLToPath(uri), base);

  const child = spawn(process.execPath, [join(ROOT, "bin/qlx.js"), "lsp"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const rpc = createMessageConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  const published = new Map<number, () => void>();
  rpc.onNotification("textDocument/publishDiagnostics", (p: { version?: number }) => {
    if (p.version !== undefined) published.get(p.version)?.();
  });
  rpc.listen();
  await rpc.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
  await rpc.sendNotification("initialized", {});
  const diagnosticsOf = (version: number) =>
    new Promise<void>((resolve) => published.set(version, resolve));

  let version = 1;
  let ready = diagnosticsOf(version);
  await rpc.sendNotification("textDocument/didOpen", {
    textDocument: { uri, languageId: "qlx", version, text: base },
  });
  await ready;

  /** Times `runs` edits of the step line (after two that warm the JIT) and the CPU they took. */
  const timeEdits = async (line: (i: number) => string) => {
    const times: number[] = [];
    let cpuBefore: number | undefined;
    for (let i = 0; i < runs + 2; i++) {
      if (i === 2) cpuBefore = cpuMs(child.pid!);
      const edited = [...lines];
      edited[editLine] = line(i);
      version++;
      ready = diagnosticsOf(version);
      const t0 = performance.now();
      await rpc.sendNotification("textDocument/didChange", {
        textDocument: { uri, version },
        contentChanges: [{ text: edited.join("\n") }],
      });
      await ready;
      if (i >= 2) times.push(performance.now() - t0);
    }
    const cpuAfter = cpuMs(child.pid!);
    const cpu =
      cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / runs;
    return { times, cpu };
  };
  // The step count of one stage alternates, so each version differs: 201, 202, … keeps the
  // line's length; 2, 22, 222, … changes it each time.
  const sameLength = await timeEdits((i) => `      steps = ${201 + i}`);
  const newLength = await timeEdits((i) => `      steps = ${"2".repeat(1 + (i % 5))}`);
  // A new field typed on the line after, keystroke by keystroke: `m`, `mo`, … `model =` do not
  // parse (the stage is re-parsed with its errors), `model = p` … do.
  const field = "model = policy";
  const typing = await timeEdits(
    (i) => `      steps = 200\n      ${field.slice(0, 1 + (i % field.length))}`,
  );

  const timeRequest = async (method: string, position: { line: number; character: number }) => {
    const times: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      const t0 = performance.now();
      await rpc.sendRequest(method, { textDocument: { uri }, position });
      if (i >= 2) times.push(performance.now() - t0);
    }
    return times;
  };
  // Completion typed together with an edit: the request arrives before the re-check ran.
  const completionAfterEdit: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const edited = [...lines];
    edited[editLine] = `      steps = ${301 + i}`;
    version++;
    ready = diagnosticsOf(version);
    await rpc.sendNotification("textDocument/didChange", {
      textDocument: { uri, version },
      contentChanges: [{ text: edited.join("\n") }],
    });
    const t0 = performance.now();
    await rpc.sendRequest("textDocument/completion", {
      textDocument: { uri },
      position: { line: stdLine, character: stdChar },
    });
    if (i >= 2) completionAfterEdit.push(performance.now() - t0);
    await ready;
  }
  const completion = await timeRequest("textDocument/completion", {
    line: stdLine,
    character: stdChar,
  });
  const hover = await timeRequest("textDocument/hover", { line: aepoLine, character: aepoChar });
  await rpc.sendRequest("shutdown");
  await rpc.sendNotification("exit");
  rpc.dispose();

  const rows = [
    {
      op: "didChange → publishDiagnostics",
      samples: sameLength.times,
      targetP95: 30,
      cpu: sameLength.cpu,
    },
    {
      op: "didChange → publishDiagnostics, length changes",
      samples: newLength.times,
      targetP95: 30,
      cpu: newLength.cpu,
    },
    {
      op: "didChange → publishDiagnostics, typing a new field",
      samples: typing.times,
      targetP95: 30,
      cpu: typing.cpu,
    },
    { op: "completion", samples: completion, targetP95: 50 },
    { op: "completion right after an edit", samples: completionAfterEdit, targetP95: 50 },
    { op: "hover", samples: hover, targetP95: undefined },
  ].map((r) => ({
    op: r.op,
    p50: percentile(r.samples, 50),
    p95: percentile(r.samples, 95),
    targetP95: r.targetP95,
    ...("cpu" in r && r.cpu !== undefined ? { cpuMsPerEdit: r.cpu } : {}),
  }));
  console.log(
    `bench/lsp: ${lines.length - 1} lines, ${runs} runs each, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  const width = Math.max(...rows.map((r) => r.op.length)) + 1;
  console.log(`${"operation".padEnd(width)}  p50 ms   p95 ms   target p95   server CPU ms/edit`);
  for (const r of rows)
    console.log(
      `${r.op.padEnd(width)} ${r.p50.toFixed(1).padStart(7)}  ${r.p95.toFixed(1).padStart(7)}   ${(r.targetP95 === undefined ? "-" : `< ${r.targetP95}`).padEnd(12)} ${r.cpuMsPerEdit === undefined ? "" : r.cpuMsPerEdit.toFixed(1)}`,
    );
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(
    join(ROOT, "bench/results/lsp.json"),
    `${JSON.stringify({ lines: lines.length - 1, runs, loadavg: loadavg(), rows }, null, 2)}\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
