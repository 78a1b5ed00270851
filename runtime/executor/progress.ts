// What a user sees while a run trains: a progress bar per stage on a terminal (step, ETA,
// reward, entropy), or one plain line every few steps when output is piped or logged, and a
// summary table at the end.
import cliProgress from "cli-progress";

export interface StepView {
  readonly step: number;
  readonly reward?: number;
  readonly entropy?: number;
  readonly extra?: string;
}

export interface Progress {
  startStage(name: string, total: number): void;
  step(view: StepView): void;
  /** A line that must not be lost in the bar (evaluation results, warnings). */
  log(line: string): void;
  endStage(): void;
}

function fmt(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(3);
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, every = 10): Progress {
  return stream.isTTY ? barProgress(stream) : lineProgress(stream, every);
}

function barProgress(stream: NodeJS.WriteStream): Progress {
  let bar: cliProgress.SingleBar | undefined;
  return {
    startStage(name, total) {
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${name.padEnd(14)} {bar} {value}/{total} | ETA {eta_formatted} | reward {reward} | entropy {entropy} {extra}`,
          hideCursor: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { reward: "–", entropy: "–", extra: "" });
    },
    step(v) {
      bar?.update(v.step, { reward: fmt(v.reward), entropy: fmt(v.entropy), extra: v.extra ?? "" });
    },
    log(line) {
      if (bar) {
        // cli-progress redraws on the next update; write above it.
        stream.write(`\r\x1b[K${line}\n`);
      } else stream.write(`${line}\n`);
    },
    endStage() {
      bar?.stop();
      bar = undefined;
    },
  };
}

function lineProgress(stream: NodeJS.WriteStream, every: number): Progress {
  let stage = "";
  let total = 0;
  let started = 0;
  return {
    startStage(name, t) {
      stage = name;
      total = t;
      started = performance.now();
      stream.write(`[${stage}] ${total} steps\n`);
    },
    step(v) {
      if (v.step % every !== 0 && v.step !== total) return;
      const elapsed = (performance.now() - started) / 1000;
      const eta = v.step > 0 ? (elapsed / v.step) * (total - v.step) : 0;
      stream.write(
        `[${stage}] step ${v.step}/${total} reward ${fmt(v.reward)} entropy ${fmt(v.entropy)}` +
          ` eta ${eta.toFixed(0)}s${v.extra ? ` ${v.extra}` : ""}\n`,
      );
    },
    log(line) {
      stream.write(`${line}\n`);
    },
    endStage() {},
  };
}

/** A plain-text table with aligned columns (numbers right-aligned). */
export function textTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const isNum = (s: string) => /^[-+]?[\d.]+/.test(s);
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i > 0 && isNum(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  return [line(head), rule, ...rows.map(line)].join("\n");
}
