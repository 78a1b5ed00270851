// Numerical parity: the generated qlx_verl functions (Python + Debian's torch, float64) against
// the built-in RL library on the shared vectors. Rounding differs only in summation order
// (torch reduces pairwise), so values agree to ~1e-12; masks and states agree exactly.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { computeAdvantages, type GrpoStd } from "../../runtime/rl/advantages.ts";
import { AepoController, aepoFragment } from "../../runtime/rl/aepo.ts";
import { lossWeights, type LossAggregation } from "../../runtime/rl/aggregation.ts";
import { negativeGradientClip } from "../../runtime/rl/clipping.ts";
import { policyLoss } from "../../runtime/rl/policyLoss.ts";
import { offsetsFromLengths } from "../../runtime/rl/ragged.ts";
import { generateRlVectors, type RlVectors } from "./rl-vectors.ts";

const vectorsPath = fileURLToPath(new URL("../fixtures/vectors/rl-parity.json", import.meta.url));
const parityScript = fileURLToPath(new URL("./parity.py", import.meta.url));

type Py = any;

function closeTo(got: number, want: number, what: string): void {
  const tol = 1e-12 * Math.max(1, Math.abs(want));
  expect(Math.abs(got - want) <= tol, `${what}: python ${got} vs runtime ${want}`).toBe(true);
}

function allClose(got: readonly number[], want: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < got.length; i++) closeTo(got[i]!, want[i]!, `${what}[${i}]`);
}

function metricsClose(got: Record<string, number>, want: Record<string, number>, what: string) {
  expect(Object.keys(got).sort(), `${what}: metric names`).toEqual(Object.keys(want).sort());
  for (const k of Object.keys(want)) closeTo(got[k]!, want[k]!, `${what} ${k}`);
}

function runPythonParity(vectorsFile: string): Py {
  const r = spawnSync("/usr/bin/python3", [parityScript, vectorsFile, "cpu"], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`parity.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

let vectors: RlVectors;
let py: Py;

beforeAll(() => {
  const generated = generateRlVectors();
  const text = JSON.stringify(generated) + "\n";
  if (process.env["QLX_UPDATE_GOLDEN"] === "1") writeFileSync(vectorsPath, text);
  vectors = JSON.parse(readFileSync(vectorsPath, "utf8"));
  // QLX_VERL_PARITY_RESULT: compare results parity.py produced elsewhere (e.g. on CUDA tensors on
  // a GPU machine: `python3 test/verl/parity.py test/fixtures/vectors/rl-parity.json cuda`).
  const precomputed = process.env["QLX_VERL_PARITY_RESULT"];
  py =
    precomputed === undefined
      ? runPythonParity(vectorsPath)
      : JSON.parse(readFileSync(precomputed, "utf8"));
});

describe("shared RL vectors", () => {
  it("are reproducible from their seed (QLX_UPDATE_GOLDEN=1 rewrites them)", () => {
    expect(generateRlVectors()).toEqual(vectors);
  });
});

describe("qlx_verl advantages = runtime/rl/advantages", () => {
  it("grpo (group, batch, task_batch Eq. 7, none), rloo, reinforce_plus_plus", () => {
    vectors.advantages.forEach((c, k) => {
      const responses = c.groups.map((g, i) => ({ groupIndex: g, task: c.tasks[i]! }));
      for (const std of ["group", "batch", "task_batch", "none"] as GrpoStd[]) {
        const ts = computeAdvantages(c.rewards, responses, { kind: "grpo", std });
        allClose(py.advantages[k][`grpo_${std}`], ts.advantages, `${c.name} grpo ${std}`);
        if (std === "task_batch") metricsClose(py.advantages[k].task_metrics, ts.metrics, c.name);
      }
      const rloo = computeAdvantages(c.rewards, responses, { kind: "rloo" });
      allClose(py.advantages[k].rloo, rloo.advantages, `${c.name} rloo`);
      const rpp = computeAdvantages(
        c.rewards,
        responses,
        { kind: "reinforce_plus_plus" },
        c.tokenCounts,
      );
      allClose(py.advantages[k].reinforce_plus_plus, rpp.advantages, `${c.name} rpp`);
    });
  });

  it("never yields NaN on the degenerate cases", () => {
    for (const c of py.advantages) {
      for (const [name, values] of Object.entries(c)) {
        if (Array.isArray(values)) expect(values.every(Number.isFinite), name).toBe(true);
      }
    }
  });
});

describe("qlx_verl masks = runtime/rl/clipping (Eq. 8-9)", () => {
  it("token and sequence level, above and below τ", () => {
    vectors.batches.forEach((b, k) => {
      const offsets = offsetsFromLengths(b.lengths);
      for (const level of ["token", "sequence"] as const) {
        for (const when of ["above", "below"] as const) {
          for (const threshold of vectors.thresholds) {
            const ts = negativeGradientClip(b.advantages, b.entropies, offsets, {
              level,
              when,
              threshold,
            });
            const got = py.clip[k][`${level}-${when}-${threshold}`];
            const what = `batch ${k} ${level} ${when} ${threshold}`;
            expect(got.keep, what).toEqual(Array.from(ts.keep));
            metricsClose(got.metrics, ts.metrics, what);
          }
        }
      }
    });
  });
});

describe("qlx_verl AEPO = runtime/rl/aepo (Eq. 11)", () => {
  it("the hysteresis controller over a run of steps", () => {
    vectors.aepo.forEach((run, k) => {
      const ctl = new AepoController({ low: run.low, high: run.high });
      run.steps.forEach((b, s) => {
        const ts = ctl.step(b.advantages, b.entropies, offsetsFromLengths(b.lengths));
        const got = py.aepo[k][s];
        const what = `run ${k} step ${s}`;
        expect(got.keep, what).toEqual(Array.from(ts.keep));
        metricsClose(got.metrics, ts.metrics, what);
        expect(got.state.negatives_masked, what).toBe(ts.state.negativesMasked);
        expect(got.state.steps, what).toBe(ts.state.steps);
      });
    });
    // The vectors must exercise both transitions, or this test proves little.
    const states = py.aepo[0].map((s: Py) => s.metrics["aepo/state"]);
    expect(states).toContain(0);
    expect(states).toContain(1);
  });

  it("the authors' fragment, with and without world-size truncation", () => {
    vectors.batches.forEach((b, k) => {
      for (const worldSize of [1, 2]) {
        const ts = aepoFragment(
          b.advantages,
          b.rewards,
          b.entropies,
          offsetsFromLengths(b.lengths),
          {
            low: 0.3,
            high: 1.0,
            worldSize,
          },
        );
        const got = py.fragment[k][String(worldSize)];
        expect(got.keep, `batch ${k} ws ${worldSize}`).toEqual(Array.from(ts.keep));
        metricsClose(got.metrics, ts.metrics, `fragment batch ${k} ws ${worldSize}`);
      }
    });
  });
});

describe("qlx_verl loss = runtime/rl aggregation + policy loss", () => {
  it("aggregation weights of every mode, with masked tokens and a wholly masked response", () => {
    vectors.losses.forEach((c, k) => {
      const offsets = offsetsFromLengths(c.lengths);
      const keep = Uint8Array.from(c.keep);
      for (const mode of [
        "token_mean",
        "seq_mean_token_sum",
        "seq_mean_token_mean",
        "seq_mean_token_sum_norm",
      ] as LossAggregation[]) {
        const ts = lossWeights(offsets, keep, { mode, normLength: vectors.normLength });
        allClose(py.losses[k].weights[mode], ts, `${c.name} ${mode}`);
      }
    });
  });

  it("Σ w·term with PPO clip, dual clip, k1/k2/k3 KL and entropy bonus", () => {
    vectors.losses.forEach((c, k) => {
      const weights = lossWeights(offsetsFromLengths(c.lengths), Uint8Array.from(c.keep), {
        mode: "token_mean",
      });
      const opts = {
        clipLow: c.clipLow,
        clipHigh: c.clipHigh,
        dualClip: c.dualClip,
        klCoef: c.klCoef,
        klEstimator: c.klEstimator,
        entropyCoef: c.entropyCoef,
      };
      const ts = policyLoss({ ...c, weights }, opts);
      closeTo(py.losses[k].loss, ts.loss, `${c.name} loss`);
      metricsClose(py.losses[k].metrics, ts.metrics, c.name);
      // The clips must bind somewhere in the vectors.
      expect(ts.metrics["loss/clip_frac"]).toBeGreaterThan(0);

      // The verl worker patch: keep mask carried in the advantages, verl's signature.
      if (c.dualClip > 1) {
        const pgOnly = policyLoss({ ...c, weights }, { ...opts, klCoef: 0, entropyCoef: 0 });
        closeTo(py.losses[k].verl_pg_loss, pgOnly.loss, `${c.name} verl pg_loss`);
        closeTo(py.losses[k].verl_pg_clipfrac, pgOnly.metrics["loss/clip_frac"]!, "clipfrac");
        closeTo(py.losses[k].verl_ppo_kl, pgOnly.metrics["loss/ppo_kl"]!, "ppo_kl");
        closeTo(
          py.losses[k].verl_pg_clipfrac_lower,
          pgOnly.metrics["loss/dual_clip_frac"]!,
          "clipfrac_lower",
        );
      }
    });
  });
});
