// `npx tsx bench/merge.ts [--values N] [--models M] [--threads T] [--python PATH]`: decides whether merges should
// run on typed arrays or through the ONNX tensor engine, and measures the streaming file merge.
// For one tensor of N float32 values and M models it times
//   - a plain copy of the M + 1 input tensors (the memory-bandwidth floor),
//   - each merge on typed arrays (runtime/merge/tensorMerge.ts),
//   - linear and task_arithmetic as an ONNX graph on ORT's CPU provider (inputs fed zero-copy,
//     output read back), the engine path mergeFiles.ts takes for those two (engineMerge.ts),
//   - the same two merges and SCE in PyTorch (OpenBLAS, this invocation), whose SGEMM GFLOP/s
//     is printed so that a slow peer shows,
// and a streaming merge of a synthetic safetensors checkpoint (engine and typed-array paths)
// against reading those files.
// Writes bench/results/merge.json.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "../runtime/rng.ts";
import { Graph, compile, op } from "../runtime/tensor/index.ts";
import { mergeTensor, type MergeMethod } from "../runtime/merge/tensorMerge.ts";
import { mergeSafetensorsFiles } from "../runtime/merge/mergeFiles.ts";
import { SafetensorsReader, writeSafetensors } from "../runtime/io/safetensors.ts";

function arg(args: string[], flag: string, fallback: number): number {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** Median seconds over `reps` runs after one warm-up. */
async function time(reps: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    ts.push((performance.now() - t0) / 1000);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]!;
}

const PEER = `
import json, sys, time, torch
n, m, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
def med(fn, reps=5):
    fn(); ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return sorted(ts)[len(ts) // 2]
a = torch.randn(1024, 1024); b = torch.randn(1024, 1024)
gflops = 2 * 1024**3 / med(lambda: a @ b) / 1e9
base = torch.randn(n); models = [base + 0.1 * torch.randn(n) for _ in range(m)]
def linear(): return torch.stack(models).mean(0)
def task_arithmetic(): return base + torch.stack([x - base for x in models]).sum(0)
def sce():
    tv = torch.stack([x - base for x in models])
    var = torch.var(tv, dim=0, unbiased=False)
    k = int(torch.count_nonzero(var).item() * 0.5)
    mask = torch.zeros_like(var); mask[torch.topk(var, k).indices] = 1
    tv = tv * mask
    sign = (tv.sum(0) >= 0).float() * 2 - 1
    erase = tv.sign() == sign
    w = (tv ** 2).mean(1); w = w / w.sum()
    ew = w.unsqueeze(-1) * erase
    return base + (tv * ew).sum(0) / ew.sum(0).clamp(min=1e-6)
print(json.dumps({"sgemmGflops": gflops, "torch": torch.__version__, "threads": torch.get_num_threads(),
  "linear": med(linear), "task_arithmetic": med(task_arithmetic), "sce_0.5": med(sce)}))
`;

function openblasDir(): string | undefined {
  const r = spawnSync("dpkg", ["-L", "libopenblas0-openmp"], { encoding: "utf8" });
  const lib = r.stdout?.split("\n").find((l) => l.endsWith("/libblas.so.3"));
  return lib ? path.dirname(lib) : undefined;
}

function runPeer(
  python: string,
  n: number,
  m: number,
  threads: number,
): Record<string, number | string> {
  const env = { ...process.env };
  const dir = openblasDir();
  if (dir) env["LD_LIBRARY_PATH"] = [dir, env["LD_LIBRARY_PATH"]].filter(Boolean).join(":");
  const r = spawnSync(python, ["-c", PEER, String(n), String(m), String(threads)], {
    encoding: "utf8",
    env,
  });
  if (r.status !== 0)
    throw new Error(`bench merge: the PyTorch peer failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number | string>;
}

export async function main(args: string[]): Promise<void> {
  const n = arg(args, "--values", 4 * 1024 * 1024);
  const m = arg(args, "--models", 3);
  const threads = arg(args, "--threads", os.availableParallelism());
  const rng = Rng.stream(1, "bench", "merge");
  const base = Float32Array.from({ length: n }, () => rng.normal());
  const models = Array.from({ length: m }, () =>
    Float32Array.from(base, (b) => b + 0.1 * rng.normal()),
  );
  const mb = ((m + 1) * n * 4) / 1e6;
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k.startsWith("OPENBLAS_") || k.startsWith("OMP_")),
  );
  console.log(
    `merge bench: ${n} values × ${m} models + base (${mb.toFixed(0)} MB in), ${threads} threads, ${os.cpus()[0]?.model ?? "unknown CPU"}; OPENBLAS/OMP env ${JSON.stringify(env)}`,
  );

  const results: Record<string, number> = {};
  const report = (name: string, s: number) => {
    results[name] = s;
    console.log(
      `  ${name.padEnd(34)} ${(s * 1000).toFixed(1).padStart(8)} ms  ${(mb / s).toFixed(0).padStart(6)} MB/s of input`,
    );
  };

  const copy = new Float32Array(n);
  report(
    "copy inputs (bandwidth floor)",
    await time(5, () => [base, ...models].forEach((t) => copy.set(t))),
  );
  const methods: MergeMethod[] = [
    { kind: "linear" },
    { kind: "task_arithmetic" },
    { kind: "ties", density: 0.3 },
    { kind: "dare", density: 0.5, seed: 1 },
    { kind: "sce", topk: 0.5 },
    { kind: "sce", topk: 1 },
  ];
  for (const method of methods) {
    const label = `typed arrays ${method.kind}${"density" in method ? `(${method.density})` : "topk" in method ? `(${method.topk})` : ""}`;
    report(label, await time(3, () => mergeTensor(method, "w", base, models)));
  }

  // The engine path: the same arithmetic as one ONNX graph per merge, fed the host arrays.
  const g = new Graph();
  const baseIn = g.input("base", "float32", [n]);
  const modelIn = models.map((_, i) => g.input(`m${i}`, "float32", [n]));
  const linearOut = op.div(
    modelIn.reduce((s, t) => op.add(s, t)),
    m,
  );
  const taskOut = op.add(
    baseIn,
    modelIn.map((t) => op.sub(t, baseIn)).reduce((s, t) => op.add(s, t)),
  );
  const feeds = Object.fromEntries([["base", base], ...models.map((t, i) => [`m${i}`, t])]);
  for (const [name, out] of [
    ["linear", linearOut],
    ["task_arithmetic", taskOut],
  ] as const) {
    const graph = await compile({ out }, { device: "cpu", threads });
    report(`ORT engine ${name}`, await time(5, async () => (await graph.run(feeds))["out"]!.data));
    await graph.release();
  }

  const pyIndex = args.indexOf("--python");
  const peer = runPeer(pyIndex >= 0 ? args[pyIndex + 1]! : "/usr/bin/python3", n, m, threads);
  console.log(
    `  PyTorch ${peer["torch"]} peer, ${peer["threads"]} threads, SGEMM 1024³ ${Number(peer["sgemmGflops"]).toFixed(1)} GFLOP/s`,
  );
  for (const k of ["linear", "task_arithmetic", "sce_0.5"]) report(`PyTorch ${k}`, Number(peer[k]));

  // Streaming over files: a checkpoint of 16 tensors of n/16 values per model.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qlx-bench-merge-"));
  try {
    const per = Math.floor(n / 16);
    const write = (file: string, src: Float32Array) =>
      writeSafetensors(
        file,
        Array.from({ length: 16 }, (_, i) => ({
          name: `t${i}`,
          dtype: "F32" as const,
          shape: [per],
          data: src.subarray(i * per, (i + 1) * per),
        })),
      );
    const basePath = path.join(dir, "base.safetensors");
    write(basePath, base);
    const modelPaths = models.map((t, i) => {
      const p = path.join(dir, `m${i}.safetensors`);
      write(p, t);
      return p;
    });
    report(
      "read all files (IO floor)",
      await time(3, () => {
        for (const f of [basePath, ...modelPaths]) {
          const r = SafetensorsReader.open(f);
          for (const name of r.names()) r.readF32(name);
          r.close();
        }
      }),
    );
    const out = path.join(dir, "out.safetensors");
    for (const method of [
      { kind: "task_arithmetic" },
      { kind: "sce", topk: 0.5 },
    ] as MergeMethod[]) {
      const opts = { method, base: basePath, models: modelPaths, out, threads };
      report(`stream files ${method.kind}`, await time(3, () => mergeSafetensorsFiles(opts)));
    }
    const typed = {
      method: { kind: "task_arithmetic" } as MergeMethod,
      base: basePath,
      models: modelPaths,
      out,
      typedArraysOnly: true,
    };
    report(
      "stream files task_arithmetic (typed)",
      await time(3, () => mergeSafetensorsFiles(typed)),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const verdict =
    results["ORT engine task_arithmetic"]! < results["typed arrays task_arithmetic"]! * 0.8
      ? "the engine is faster for element-wise merges on this machine"
      : "typed arrays: the engine saves nothing on element-wise merges, which run at memory speed";
  console.log(`verdict: ${verdict}`);
  const outDir = fileURLToPath(new URL("./results/", import.meta.url));
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, "merge.json"),
    JSON.stringify(
      {
        values: n,
        models: m,
        threads,
        cpu: os.cpus()[0]?.model,
        env,
        peer,
        seconds: results,
        verdict,
      },
      null,
      2,
    ) + "\n",
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await main(process.argv.slice(2));
}
