// Statistics for ablation tables: Student-t confidence intervals over seeds, Welch's test of a
// row against the baseline, and the smallest difference a run could detect. The inverse t
// CDF is computed from the regularised incomplete beta function (Numerical Recipes §6.4),
// so no table of critical values is needed for any number of seeds.

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbt = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lbt) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lbt) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** CDF of Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** Quantile of Student's t: the t with CDF(t) = p. Bisection on the monotone CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be > 0, got ${df}`);
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Summary {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1); 0 when n < 2. */
  readonly sd: number;
  /** Half-width of the 95% t interval; NaN-free: Infinity when n < 2 (no spread known). */
  readonly ci95: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0) return { n, mean: 0, sd: 0, ci95: Infinity };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, sd: 0, ci95: Infinity };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd, ci95: studentTQuantile(0.975, n - 1) * (sd / Math.sqrt(n)) };
}

export interface NoiseModel {
  /** Pooled within-row seed-to-seed variance of a score, and its degrees of freedom. */
  readonly seedVariance: number;
  readonly seedDf: number;
  /** Binomial sampling variance of a score measured on `evalSize` items: p(1−p)/m. */
  readonly evalVariance: number;
}

/** The pooled within-group variance (0 with no degrees of freedom) and its degrees of freedom. */
export function pooledVariance(groups: readonly (readonly number[])[]): {
  variance: number;
  df: number;
} {
  let ss = 0;
  let df = 0;
  for (const g of groups) {
    if (g.length < 2) continue;
    const m = g.reduce((a, b) => a + b, 0) / g.length;
    ss += g.reduce((a, v) => a + (v - m) ** 2, 0);
    df += g.length - 1;
  }
  return { variance: df > 0 ? ss / df : 0, df };
}

/** Pool the seed-to-seed variance over rows (each row: its per-seed scores). */
export function noiseModel(
  rows: readonly (readonly number[])[],
  meanScore: number,
  evalSize: number,
): NoiseModel {
  const pooled = pooledVariance(rows);
  const p = Math.min(1, Math.max(0, meanScore));
  return {
    seedVariance: pooled.variance,
    seedDf: pooled.df,
    evalVariance: evalSize > 0 ? (p * (1 - p)) / evalSize : 0,
  };
}

/**
 * The smallest true difference between two rows of `seeds` runs each that a two-sided test at
 * α = 0.05 detects with 80% power: (t_{0.975} + t_{0.80}) · sqrt(2σ²_seed/n + 2σ²_eval).
 * The eval term is counted for both rows (conservative: it ignores that rows share items).
 */
export function minimumDetectableDifference(noise: NoiseModel, seeds: number): number {
  const df = Math.max(1, noise.seedDf);
  const t = studentTQuantile(0.975, df) + studentTQuantile(0.8, df);
  return t * Math.sqrt((2 * noise.seedVariance) / Math.max(1, seeds) + 2 * noise.evalVariance);
}

export interface Comparison {
  readonly difference: number;
  /** Half-width of the 95% interval of the difference. */
  readonly ci95: number;
  /** True when the 95% interval of the difference excludes 0. */
  readonly resolved: boolean;
}

/** Compare a row to the baseline: Welch's t interval with the eval-sampling variance added. */
export function compareToBaseline(
  row: readonly number[],
  base: readonly number[],
  noise: NoiseModel,
): Comparison {
  const a = summarize(row);
  const b = summarize(base);
  const va = (a.n >= 2 ? a.sd ** 2 : noise.seedVariance) / Math.max(1, a.n) + noise.evalVariance;
  const vb = (b.n >= 2 ? b.sd ** 2 : noise.seedVariance) / Math.max(1, b.n) + noise.evalVariance;
  const se = Math.sqrt(va + vb);
  const qa = (va * va) / Math.max(1, a.n - 1);
  const qb = (vb * vb) / Math.max(1, b.n - 1);
  const df = qa + qb > 0 ? (va + vb) ** 2 / (qa + qb) : Math.max(1, a.n + b.n - 2);
  const half = studentTQuantile(0.975, Math.max(1, df)) * se;
  const difference = a.mean - b.mean;
  return { difference, ci95: half, resolved: se > 0 && Math.abs(difference) > half };
}

/**
 * A row against the baseline when both ran on the same seeds: a paired t interval over the
 * per-seed differences. A seed fixes what the rows share — the warm-up checkpoint and the
 * evaluation draws — so the seed effect cancels in each difference. Each comparison uses its
 * own spread (rows need not share one: an untrained row reacts to a seed unlike a trained one).
 */
export function comparePaired(row: readonly number[], base: readonly number[]): Comparison {
  if (row.length !== base.length) {
    throw new Error(`comparePaired: ${row.length} vs ${base.length} seeds; pair the same seeds`);
  }
  const s = summarize(row.map((y, i) => y - base[i]!));
  return {
    difference: s.mean,
    ci95: s.ci95,
    resolved: Number.isFinite(s.ci95) && Math.abs(s.mean) > s.ci95,
  };
}

/**
 * The smallest true difference a paired comparison over `seeds` seeds detects at α = 0.05 with
 * 80% power, from the per-seed differences of every compared row (pooled variance):
 * (t_{0.975} + t_{0.80}) with seeds − 1 degrees of freedom, times sd / √seeds.
 */
export function pairedDetectableDifference(
  differences: readonly (readonly number[])[],
  seeds: number,
): number {
  const pooled = pooledVariance(differences);
  if (pooled.df === 0 || seeds < 2) return Infinity;
  const t = studentTQuantile(0.975, seeds - 1) + studentTQuantile(0.8, seeds - 1);
  return t * Math.sqrt(pooled.variance / seeds);
}
