// `npm run bench -- engine [--threads N] [--cases small,large,rollout] [--steps N]`
// `npm run bench -- engine --render`: rewrites bench/RESULTS.md's table from engine.json.
// Times the qlx tensor engine against the same model in PyTorch (bench/engine/peer.py, run
// in this invocation on OpenBLAS): training step (issue 4 sizes), KV-cache rollout, and the
// SGEMM peak. Writes bench/results/engine.json and the generated table in bench/RESULTS.md.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { modelConfig, type ModelConfig } from "../../runtime/model/config.ts";
import {
  LOSS,
  rollout,
  sgemmGflops,
  trainStep,
  trainStepFlops,
  type RolloutCase,
  type TrainTiming,
  type TrainCase,
} from "./qlx.ts";
import {
  writeEngineResults,
  writeResultsTable,
  type EngineResults,
  type PeerResults,
} from "./report.ts";

const here = new URL("./", import.meta.url);

const small = modelConfig({ layers: 4, dim: 256, heads: 4, vocab: 512, context: 512 });
const large = modelConfig({ layers: 8, dim: 512, heads: 8, vocab: 512, context: 1024 });

function parseArgs(args: string[]): { threads: number; cases: Set<string>; steps: number } {
  const get = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  return {
    threads: Number(get("--threads") ?? availableParallelism()),
    cases: new Set((get("--cases") ?? "small,large,rollout").split(",")),
    steps: Number(get("--steps") ?? 3),
  };
}

/** The directory of Debian's OpenMP OpenBLAS, so torch does not load the reference BLAS. */
function openblasDir(): string | undefined {
  const r = spawnSync("dpkg", ["-L", "libopenblas0-openmp"], { encoding: "utf8" });
  const lib = r.stdout?.split("\n").find((l) => l.endsWith("/libblas.so.3"));
  return lib ? dirname(lib) : undefined;
}

function blasEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => k.startsWith("OPENBLAS_") || k.startsWith("OMP_"),
    ) as [string, string][],
  );
}

function runPeer(request: unknown): PeerResults {
  const dir = openblasDir();
  const env = { ...process.env };
  if (dir) env["LD_LIBRARY_PATH"] = [dir, env["LD_LIBRARY_PATH"]].filter(Boolean).join(":");
  // ORT runs with spinning off (runtime/tensor/session.ts); the peer's OpenMP threads wait
  // passively too. On a shared 2-core machine spinning OpenMP threads made a torch training
  // step ~4× slower, which would flatter qlx. An explicit setting in the environment wins.
  env["OMP_WAIT_POLICY"] ??= "PASSIVE";
  const r = spawnSync(
    "/usr/bin/python3",
    [fileURLToPath(new URL("peer.py", here)), JSON.stringify(request)],
    {
      encoding: "utf8",
      env,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (r.status !== 0)
    throw new Error(`bench engine: the PyTorch peer failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as PeerResults;
}

const peerConfig = (c: ModelConfig) => ({ ...c });

export async function main(args: string[]): Promise<void> {
  if (args.includes("--render")) {
    const saved = new URL("../results/engine.json", import.meta.url);
    writeResultsTable(JSON.parse(readFileSync(saved, "utf8")) as EngineResults);
    return;
  }
  const { threads, cases, steps } = parseArgs(args);
  // Other processes on a shared machine slow both sides unevenly; the 1-minute load average
  // goes into the results so a reader can tell a quiet run from a busy one.
  const loadStart = loadavg()[0]!;
  const trainCases: { name: string; tc: TrainCase }[] = [];
  if (cases.has("small"))
    trainCases.push({
      name: "L4 d256 H4 V512 ctx512 batch8",
      tc: { config: small, batch: 8, warmup: 1, steps },
    });
  if (cases.has("large"))
    trainCases.push({
      name: "L8 d512 H8 V512 ctx1024 batch4",
      tc: { config: large, batch: 4, warmup: 1, steps },
    });
  const rolloutCase: RolloutCase | undefined = cases.has("rollout")
    ? { config: small, sequences: 64, prompt: 128, newTokens: 128, temperature: 0.7, topP: 0.95 }
    : undefined;

  console.log(
    `engine bench: ${threads} threads on ${cpus()[0]?.model ?? "unknown CPU"}; OPENBLAS/OMP env ${JSON.stringify(blasEnv())}`,
  );
  // Each qlx measurement is followed at once by the same measurement in a fresh peer process,
  // so both sides of a ratio see about the same machine load (it drifts on a shared machine).
  const peerRun = (train: readonly TrainCase[], rollout?: RolloutCase) =>
    runPeer({
      threads,
      seed: 1,
      train: train.map((tc) => ({
        config: peerConfig(tc.config),
        batch: tc.batch,
        steps: tc.steps,
        warmup: tc.warmup,
        loss: LOSS,
      })),
      rollout: rollout ? { ...rollout, config: peerConfig(rollout.config) } : undefined,
    });
  const ortGflops = await sgemmGflops(threads);
  const peer = peerRun([]);
  console.log(`ORT MatMul 1024³: ${ortGflops.toFixed(1)} GFLOP/s`);
  console.log(`peer: torch ${peer.torch}, ${peer.threads} threads, BLAS ${peer.blas.join(" ")}`);
  console.log(
    `peer SGEMM 1024³ (OpenBLAS): ${peer.sgemm_gflops.toFixed(1)} GFLOP/s; env ${JSON.stringify(peer.env)}`,
  );

  const qlxTrain: TrainTiming[] = [];
  const peerTrain: PeerResults["train"][number][] = [];
  for (const { name, tc } of trainCases) {
    const q = await trainStep(tc, threads);
    const p = peerRun([tc]).train[0]!;
    console.log(
      `train ${name}: qlx median ${q.medianS.toFixed(3)} s, PyTorch ${p.median_s.toFixed(3)} s`,
    );
    qlxTrain.push(q);
    peerTrain.push(p);
  }
  const qlxRollout = rolloutCase ? await rollout(rolloutCase, threads) : undefined;
  const peerRollout = rolloutCase ? peerRun([], rolloutCase).rollout : undefined;
  if (qlxRollout && peerRollout) {
    console.log(
      `rollout: qlx ${qlxRollout.tokensPerS.toFixed(0)} new tokens/s, PyTorch ${peerRollout.tokens_per_s.toFixed(0)}`,
    );
  }

  const peak = Math.max(ortGflops, peer.sgemm_gflops);
  const results: EngineResults = {
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      logicalCpus: cpus().length,
      threads,
      env: blasEnv(),
      loadAverage: { start: loadStart, end: loadavg()[0]! },
    },
    sgemm: { ortGflops, openblasGflops: peer.sgemm_gflops, peakGflops: peak },
    peer: { torch: peer.torch, threads: peer.threads, blas: peer.blas, env: peer.env },
    flopFormula:
      "3 × (2·B·T·P_mm + 4·B·T²·dim·layers), P_mm = layers·(4·dim² + 3·dim·ffn) + dim·vocab (full T×T attention, backward = 2 × forward)",
    train: trainCases.map(({ name, tc }, i) => {
      const q = qlxTrain[i]!;
      const p = peerTrain[i]!;
      const flops = trainStepFlops(tc.config, tc.batch);
      return {
        name,
        config: tc.config,
        batch: tc.batch,
        flops,
        qlx: q,
        torch: { medianS: p.median_s, minS: p.min_s, steps: p.steps, loss: p.loss },
        speedup: p.median_s / q.medianS,
        fractionOfPeak: flops / q.medianS / 1e9 / peak,
      };
    }),
    rollout:
      rolloutCase && qlxRollout && peerRollout
        ? {
            case: rolloutCase,
            qlx: qlxRollout,
            torch: {
              seconds: peerRollout.seconds,
              newTokens: peerRollout.new_tokens,
              tokensPerS: peerRollout.tokens_per_s,
            },
            speedup: qlxRollout.tokensPerS / peerRollout.tokens_per_s,
          }
        : undefined,
  };
  writeEngineResults(results);
}
