/**
 * Two studies side by side (two onnxruntime versions, two devices, two runs of one host): per
 * (model, batch) the ratio of p50 latencies B/A with a 95% interval that carries both runs'
 * uncertainty, and whether the change is significant or within noise.
 *
 * Each side's uncertainty is the standard error of ln(p50), from the best source it has:
 * 1. 'repetitions': the p50 of each of its R ≥ 2 repetitions (latency_repetitions.parquet). The
 *    repetitions are the independent units (runs within one share its process, its warm-up and its
 *    minute of the host), so the standard error is their spread, sd(ln p50_r)/√R, with R − 1
 *    degrees of freedom: a t test on the repetition medians, on the log scale because a speed-up
 *    multiplies latencies. Only this source sees the run-to-run noise directly.
 * 2. 'cell intervals': latency.parquet's p50_ci_low_ms/p50_ci_high_ms (a study whose repetitions
 *    table is missing): half the interval's log-width over its quantile, t(R−1) when the table
 *    says how many repetitions it had, else z.
 * 3. 'within-run': the bootstrap of the median over the raw runs (latency_samples.parquet), what
 *    studies without repetitions have. It knows nothing of run-to-run noise, which on shared hosts
 *    is several times larger: rows built on it say so.
 * The interval is exp(ln ratio ± q·√(se_A² + se_B²)), q the t quantile at the Welch-Satterthwaite
 * degrees of freedom (z when both sides' are unbounded), centred on the ratio of the cells' p50s.
 *
 * One cell alone (compareCell): significant = the interval excludes 1 (p < 0.05) AND |ratio − 1| ≥
 * minChange (default 1%, as criterion.rs's noise threshold): a change can be real and still too
 * small to act on, and with thousands of runs a within-run interval excludes 1 for a 0.3% wobble.
 *
 * Many cells at once (compareCells, what `dnnbench compare` does): the p-values are held to a 5%
 * false discovery rate over the cells compared (Benjamini-Hochberg), then the same minChange. At 5%
 * per cell, two runs of one truth would show one "change" in twenty cells: a papers study has 231, so
 * a regression check would fail on noise every time. With Benjamini-Hochberg, when nothing changed
 * the chance of reporting any change at all is at most 5%; when many cells changed, it still finds
 * them (it is far less strict than Bonferroni). The row's interval stays the cell's own 95% one,
 * so a cell's interval can just exclude 1 and the change still be within noise: its q_value says by
 * how much it missed.
 *
 * The shift every cell shares: on a shared VM the host's speed moves by a few percent between two
 * runs minutes apart, and it moves every cell the same way (docs/BENCHMARKS.md, "Repetitions"). No
 * interval of one run can know the next run's host, so compareCells also gives the median B/A over
 * the cells with a distribution-free interval (commonShift), and each cell's ratio relative to it,
 * tested the same way: a cell that changed more than the others. compare cannot tell a host shift
 * from a change every cell shares (a slower onnxruntime, fewer threads), so `significant` and the
 * regression check stay on the plain ratio; the relative columns say which reading fits. The speed
 * probe can tell them apart (it moves with the host, not with the runtime): the host-adjusted columns
 * test each cell's ratio over the probe's, and `regressions(…, 'host-adjusted')` decides on them.
 */
import type { SpeedRatio } from './host-speed.js';
import { p50Distribution } from '../stats/repetition-stats.js';
import { studentT975, twoSidedStudentP, Z_975 } from '../stats/quantiles.js';
import { medianWithInterval } from '../stats/sign-test.js';

// compare used to hold these; synthetic studies, bench-prepare and their tests import them from here.

/** What one study knows of one cell's p50. */
export interface CompareCell {
  model_id: string;
  batch_size: number;
  /** The device's runtime variant (docs/VARIANTS.md); null where it has none. Cells pair only with the same variant. */
  variant?: string | null;
  p50_ms: number;
  /** p50 of each clean repetition (latency_repetitions.parquet); [] for older studies. */
  repetition_p50_ms: readonly number[];
  /** latency.parquet's 95% interval of the p50, when it has one. */
  ci_low_ms: number | null;
  ci_high_ms: number | null;
  /** Repetitions behind that interval (latency.parquet `repetitions`), when known. */
  repetitions: number | null;
  /** Raw timed runs (latency_samples.parquet). */
  samples: readonly number[];
}

export type IntervalBasis = 'repetitions' | 'cell intervals' | 'within-run';

/** Weakest first: a row's interval is as good as its weaker side's. */
const BASIS_ORDER: readonly IntervalBasis[] = ['within-run', 'cell intervals', 'repetitions'];

export interface CompareRow {
  model_id: string;
  device_a: string;
  device_b: string;
  batch_size: number;
  variant: string | null;
  p50_a_ms: number;
  p50_b_ms: number;
  /** p50 B / p50 A: below 1, B is faster. */
  ratio: number;
  /** 95% interval of the ratio; null when a side has no way to know its noise. */
  ratio_low: number | null;
  ratio_high: number | null;
  /** Two-sided p-value of "no change" (the t test behind the interval); null without an interval. */
  p_value: number | null;
  /** Benjamini-Hochberg adjusted p-value over the cells compared together (compareCell alone: the p-value). */
  q_value: number | null;
  significant: boolean;
  verdict: 'faster' | 'slower' | 'within noise' | 'no interval';
  /** Standard error of ln(ratio) and its degrees of freedom (null: unbounded, the normal's); null without an interval. */
  log_se: number | null;
  df: number | null;
  /** compareCells: B/A over the median B/A of the cells compared (commonShift); null with fewer than 3 cells with intervals. */
  relative_ratio: number | null;
  /** Whether relative_ratio differs from 1 by the same rule as `significant` (its own false discovery rate over the cells). */
  relative_significant: boolean | null;
  /**
   * The host's speed B/A by the compute probe (analysis/host-speed.ts) on this row's devices; null
   * when either study has no probe readings.
   */
  host_speed_ratio: number | null;
  /** ratio / host_speed_ratio: the change with the host's move taken out; null as above. */
  host_adjusted_ratio: number | null;
  /** Whether host_adjusted_ratio differs from 1 by the same rule as `significant`, the probe's uncertainty added to the cell's. */
  host_adjusted_significant: boolean | null;
  /** Where the interval's noise came from (the weaker side's source). */
  basis: IntervalBasis | null;
  repetitions_a: number | null;
  repetitions_b: number | null;
  runs_a: number;
  runs_b: number;
}

export interface CompareOptions {
  /** Smallest |ratio − 1| reported as significant (default 0.01). */
  minChange?: number;
  /** Bootstrap resamples for within-run sides (default 1000). */
  resamples?: number;
  /** compareCells: the false discovery rate its significance holds (default 0.05). */
  falseDiscoveryRate?: number;
  /** compareCells: the host's speed B/A on these devices by the probe, for the host-adjusted columns. */
  hostSpeed?: Pick<SpeedRatio, 'ratio' | 'logSe'> | null;
}

/** One side's ln(p50) standard error and its degrees of freedom (Infinity when the quantile is z). */
interface LogUncertainty {
  se: number;
  df: number;
  basis: IntervalBasis;
  repetitions: number | null;
}

function sampleSd(xs: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < xs.length; i++) mean += xs[i]!;
  mean /= xs.length;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) ss += (xs[i]! - mean) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

function uncertainty(c: CompareCell, resamples: number, seed: number): LogUncertainty | null {
  const R = c.repetition_p50_ms.length;
  if (R >= 2) return { se: sampleSd(c.repetition_p50_ms.map(Math.log)) / Math.sqrt(R), df: R - 1, basis: 'repetitions', repetitions: R };
  if (c.ci_low_ms !== null && c.ci_high_ms !== null && c.ci_low_ms > 0 && c.ci_high_ms >= c.ci_low_ms) {
    const reps = c.repetitions !== null && c.repetitions >= 2 ? c.repetitions : null;
    const q = reps ? studentT975(reps - 1) : Z_975;
    // One repetition's interval is a bootstrap of its runs: within-run noise only.
    const basis = c.repetitions === 1 ? 'within-run' : 'cell intervals';
    return { se: Math.log(c.ci_high_ms / c.ci_low_ms) / 2 / q, df: reps ? reps - 1 : Infinity, basis, repetitions: c.repetitions };
  }
  if (c.samples.length >= 2) {
    return { se: sampleSd(p50Distribution([c.samples], { resamples, seed }).logDeviations), df: Infinity, basis: 'within-run', repetitions: null };
  }
  return null;
}

/** The Welch-Satterthwaite degrees of freedom, rounded down (the safer side); Infinity for z. */
function combinedDf(a: LogUncertainty, b: LogUncertainty): number {
  const va = a.se ** 2;
  const vb = b.se ** 2;
  const denominator = va ** 2 / a.df + vb ** 2 / b.df;
  const df = denominator === 0 ? Infinity : (va + vb) ** 2 / denominator;
  return Number.isFinite(df) ? Math.max(1, Math.floor(df)) : Infinity;
}

/** B against A for one cell. */
export function compareCell(a: CompareCell, b: CompareCell, opts: CompareOptions = {}): Pick<CompareRow, 'ratio' | 'ratio_low' | 'ratio_high' | 'p_value' | 'q_value' | 'significant' | 'verdict' | 'log_se' | 'df' | 'basis' | 'repetitions_a' | 'repetitions_b'> {
  const minChange = opts.minChange ?? 0.01;
  const resamples = opts.resamples ?? 1000;
  const ratio = b.p50_ms / a.p50_ms;
  const ua = uncertainty(a, resamples, 1);
  const ub = uncertainty(b, resamples, 2);
  const repetitions = { repetitions_a: ua?.repetitions ?? null, repetitions_b: ub?.repetitions ?? null };
  if (!ua || !ub) return { ratio, ratio_low: null, ratio_high: null, p_value: null, q_value: null, significant: false, verdict: 'no interval', log_se: null, df: null, basis: null, ...repetitions };
  const df = combinedDf(ua, ub);
  const se = Math.sqrt(ua.se ** 2 + ub.se ** 2);
  const halfWidth = (Number.isFinite(df) ? studentT975(df) : Z_975) * se;
  const low = ratio * Math.exp(-halfWidth);
  const high = ratio * Math.exp(halfWidth);
  // The same test as the interval: p < 0.05 exactly when the interval excludes 1.
  const p = se > 0 ? twoSidedStudentP(Math.log(ratio) / se, df) : ratio === 1 ? 1 : 0;
  const significant = (low > 1 || high < 1) && Math.abs(ratio - 1) >= minChange;
  const basis = BASIS_ORDER[Math.min(BASIS_ORDER.indexOf(ua.basis), BASIS_ORDER.indexOf(ub.basis))]!;
  return {
    ratio, ratio_low: low, ratio_high: high, p_value: p, q_value: p, significant, verdict: verdictOf(significant, ratio),
    log_se: se, df: Number.isFinite(df) ? df : null, basis, ...repetitions,
  };
}

const verdictOf = (significant: boolean, ratio: number): CompareRow['verdict'] => (!significant ? 'within noise' : ratio < 1 ? 'faster' : 'slower');

/**
 * Benjamini-Hochberg adjusted p-values (q-values), in the input's order: the smallest false
 * discovery rate at which each would be reported, min over j ≥ rank of p_(j)·m/j.
 */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const q = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const [value, index] = order[rank - 1]!;
    // max: value · m / rank is never below value, but can round to just under it when rank = m.
    running = Math.min(running, Math.max(value, (value * m) / rank));
    q[index] = running;
  }
  return q;
}

/** Rows for every (model, batch, variant) measured in both A (on deviceA) and B (on deviceB), in A's order. */
export function compareCells(
  a: readonly CompareCell[], b: readonly CompareCell[], devices: { a: string; b: string }, opts: CompareOptions = {},
): CompareRow[] {
  const keyOf = (c: CompareCell) => `${c.model_id}\u0000${c.batch_size}\u0000${c.variant ?? ''}`;
  const byKey = new Map(b.map((c) => [keyOf(c), c]));
  const rows: CompareRow[] = a.flatMap((ca) => {
    const cb = byKey.get(keyOf(ca));
    if (!cb) return [];
    return [{
      model_id: ca.model_id, device_a: devices.a, device_b: devices.b, batch_size: ca.batch_size, variant: ca.variant ?? null,
      p50_a_ms: ca.p50_ms, p50_b_ms: cb.p50_ms, ...compareCell(ca, cb, opts), relative_ratio: null, relative_significant: null,
      host_speed_ratio: null, host_adjusted_ratio: null, host_adjusted_significant: null,
      runs_a: ca.samples.length, runs_b: cb.samples.length,
    }];
  });
  const tested = rows.filter((r) => r.p_value !== null);
  const q = benjaminiHochberg(tested.map((r) => r.p_value!));
  const fdr = opts.falseDiscoveryRate ?? 0.05;
  const minChange = opts.minChange ?? 0.01;
  tested.forEach((r, i) => {
    r.q_value = q[i]!;
    r.significant = q[i]! < fdr && Math.abs(r.ratio - 1) >= minChange;
    r.verdict = verdictOf(r.significant, r.ratio);
  });
  const common = commonShift(rows);
  if (common) {
    const pRelative = tested.map((r) => pAgainst(r, common.ratio));
    const qRelative = benjaminiHochberg(pRelative);
    tested.forEach((r, i) => {
      r.relative_ratio = r.ratio / common.ratio;
      r.relative_significant = qRelative[i]! < fdr && Math.abs(r.relative_ratio - 1) >= minChange;
    });
  }
  if (opts.hostSpeed) {
    const speed = opts.hostSpeed;
    const pAdjusted = tested.map((r) => pAgainst(r, speed.ratio, speed.logSe));
    const qAdjusted = benjaminiHochberg(pAdjusted);
    for (const r of rows) {
      r.host_speed_ratio = speed.ratio;
      r.host_adjusted_ratio = r.ratio / speed.ratio;
    }
    tested.forEach((r, i) => {
      r.host_adjusted_significant = qAdjusted[i]! < fdr && Math.abs(r.host_adjusted_ratio! - 1) >= minChange;
    });
  }
  return rows;
}

/**
 * Two-sided p-value of "the row's B/A equals `reference`" (the shared move, the host's speed), with
 * the reference's own standard error on the log scale added to the row's.
 */
function pAgainst(r: CompareRow, reference: number, referenceLogSe = 0): number {
  const se = Math.sqrt(r.log_se! ** 2 + referenceLogSe ** 2);
  const t = Math.log(r.ratio / reference);
  return se > 0 ? twoSidedStudentP(t / se, r.df ?? Infinity) : t === 0 ? 1 : 0;
}

/** The shift the compared cells share: their median B/A, with a 95% interval for it. */
export interface CommonShift {
  cells: number;
  ratio: number;
  /** Order statistics of the cells' ratios (the sign test's interval for a median: no assumption on their spread); null below 6 cells. */
  ratio_low: number | null;
  ratio_high: number | null;
}

/** The median B/A of the rows with intervals; null with fewer than 3. */
export function commonShift(rows: readonly CompareRow[]): CommonShift | null {
  const ratios = rows.filter((r) => r.log_se !== null).map((r) => r.ratio);
  if (ratios.length < 3) return null;
  const m = medianWithInterval(ratios);
  return { cells: ratios.length, ratio: m.median, ratio_low: m.low, ratio_high: m.high };
}

/**
 * Cells significantly slower in B by more than pct percent (the point ratio above 1 + pct/100): by
 * the plain ratio, or ('host-adjusted') by the ratio over the host's speed by the probe, where a
 * move of the host between the runs is not a regression (rows without the probe's columns: none).
 */
export function regressions(rows: readonly CompareRow[], pct: number, basis: 'plain' | 'host-adjusted' = 'plain'): CompareRow[] {
  const over = 1 + pct / 100;
  return basis === 'plain'
    ? rows.filter((r) => r.significant && r.ratio > over)
    : rows.filter((r) => r.host_adjusted_significant === true && r.host_adjusted_ratio! > over);
}
