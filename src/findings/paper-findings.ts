/**
 * The findings of the two papers the study rebuilds (Canziani et al. 2016's four in its abstract,
 * Bianco et al. 2018's six in its conclusions), each decided from a study's tables by a rule
 * stated beside it: reproduced, contradicted, inconclusive (the interval straddles the rule's
 * threshold) or untestable here (the study lacks what it needs, e.g. a power sensor or a GPU).
 * Every number comes from the Parquet (fits.parquet's laws and intervals, frontiers.parquet's
 * points, latency.parquet's cells); nothing is tuned by hand.
 */
import type { FitRow, FrontierRow } from '../analysis/analyze.js';
import { bootstrapOverModels } from '../analysis/bootstrap.js';
import { linearFit } from '../analysis/regression.js';
import { latencyIntervals } from '../report/latency-interval.js';
import type { StudyData } from '../report/load-study.js';

export type Verdict = 'reproduced' | 'contradicted' | 'inconclusive' | 'untestable';

export interface DeviceVerdict {
  device: string;
  verdict: Verdict;
  /** The numbers that decide it, in words. */
  evidence: string[];
}

export interface Finding {
  paper: 'Canziani et al. 2016' | 'Bianco et al. 2018';
  claim: string;
  /** How the verdict is decided, with its thresholds. */
  rule: string;
  devices: DeviceVerdict[];
}

/** Real-time, as Bianco counts it: 30 images/s. */
export const REAL_TIME_IMAGES_PER_S = 30;

const f = (v: number | null | undefined, digits = 2): string => (v == null || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const pct = (v: number | null | undefined): string => (v == null || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(1)}%`);
const ci = (r: FitRow | undefined, show: (v: number | null) => string): string =>
  (r?.ci_low != null && r.ci_high != null ? ` [${show(r.ci_low)}, ${show(r.ci_high)}]` : ' (no interval)');

/** A fit's parameter row at (device, batch), the fit-wide row (model_id null). */
function param(fits: readonly FitRow[], fit: string, name: string, device: string, batch: number | null): FitRow | undefined {
  return fits.find((r) => r.fit === fit && r.param === name && r.device === device && r.batch_size === batch && r.model_id === null);
}

/**
 * Decides a claim that a value lies on one side of a threshold from its 95% interval: the whole
 * interval on the claim's side reproduces it, the whole interval on the other side contradicts it,
 * an interval across the threshold is inconclusive. Without an interval the point value decides.
 */
function side(value: number, low: number | null | undefined, high: number | null | undefined, claimBelow: boolean, threshold: number): Verdict {
  const lo = low ?? value;
  const hi = high ?? value;
  if (claimBelow) return hi < threshold ? 'reproduced' : lo >= threshold ? 'contradicted' : 'inconclusive';
  return lo > threshold ? 'reproduced' : hi <= threshold ? 'contradicted' : 'inconclusive';
}

/** Several batch sizes' verdicts in one: all alike gives that one; a mix is inconclusive. */
function combine(verdicts: Verdict[]): Verdict {
  const testable = verdicts.filter((v) => v !== 'untestable');
  if (testable.length === 0) return 'untestable';
  return testable.every((v) => v === testable[0]) ? testable[0]! : 'inconclusive';
}

interface DeviceView {
  device: string;
  batches: number[];
  fits: FitRow[];
  frontiers: FrontierRow[];
  latency: StudyData['latency'];
}

function views(s: StudyData): DeviceView[] {
  const devices = [...new Set([...s.latency.map((l) => l.device), ...s.fits.map((r) => r.device).filter((d): d is string => d !== null)])].sort();
  return devices.map((device) => {
    const latency = s.latency.filter((l) => l.device === device && l.status === 'ok');
    return {
      device, latency,
      batches: [...new Set(latency.map((l) => Number(l.batch_size)))].sort((a, b) => a - b),
      fits: s.fits.filter((r) => r.device === device),
      frontiers: s.frontiers.filter((r) => r.device === device),
    };
  });
}

// --- Canziani et al. 2016 ---------------------------------------------------------------------

const POWER_CV = 0.1;
function powerIndependent(v: DeviceView): DeviceVerdict {
  const mean = param(v.fits, 'power', 'mean_w', v.device, null);
  const byBatch = param(v.fits, 'power', 'cv_across_batches', v.device, null);
  const byModel = param(v.fits, 'power', 'cv_across_models', v.device, null);
  if (!mean || mean.value === null || byBatch?.value == null || byModel?.value == null) {
    return { device: v.device, verdict: 'untestable', evidence: [`no power measured: ${mean?.note ?? 'no power fit'}`] };
  }
  return {
    device: v.device,
    verdict: combine([side(byBatch.value, byBatch.ci_low, byBatch.ci_high, true, POWER_CV), side(byModel.value, byModel.ci_low, byModel.ci_high, true, POWER_CV)]),
    evidence: [
      `mean power ${f(mean.value, 1)} W${ci(mean, (x) => f(x, 1))} over ${mean.n} cells`,
      `CV across batch sizes ${pct(byBatch.value)}${ci(byBatch, pct)}; across models ${pct(byModel.value)}${ci(byModel, pct)}`,
    ],
  };
}

const HYPERBOLA_R2 = 0.8;
/** top1 = A − k/x on the frontier: the hyperbola holds when k > 0 (interval above 0) and it fits the frontier (R² ≥ 0.8). */
function hyperbola(v: DeviceView, fit: string, what: string): DeviceVerdict {
  const evidence: string[] = [];
  const verdicts = v.batches.map((b): Verdict => {
    const a = param(v.fits, fit, 'A', v.device, b);
    const k = param(v.fits, fit, 'k', v.device, b);
    if (!a || !k || a.value === null || k.value === null || (a.status !== 'ok' && a.status !== 'exact')) {
      if (a?.status === 'no_data' && evidence.length === 0) evidence.push(`${a.note ?? 'no data'}`);
      return 'untestable';
    }
    const kSide = side(k.value, k.ci_low, k.ci_high, false, 0);
    const verdict = a.status === 'exact' || a.r2 === null ? 'inconclusive'
      : kSide === 'reproduced' && a.r2 >= HYPERBOLA_R2 ? 'reproduced' : kSide === 'contradicted' || a.r2 < 0.5 ? 'contradicted' : 'inconclusive';
    evidence.push(`batch ${b}: A = ${f(a.value, 3)}${ci(a, (x) => f(x, 3))}, k = ${f(k.value, 3)}${ci(k, (x) => f(x, 3))} ${k.unit}, R² ${f(a.r2, 2)} on ${a.n} frontier models (${a.accuracy_basis ?? 'no'} top-1) → ${verdict}`);
    return verdict;
  });
  if (verdicts.length === 0) evidence.push(`no ${what} measured`);
  return { device: v.device, verdict: combine(verdicts), evidence };
}

const OPS_LOO = 0.25;
/** Operations predict time when the line fits (R² ≥ 0.9) and predicts a left-out model within 25% (LOO mean relative error). */
function opsPredictTime(v: DeviceView): DeviceVerdict {
  const evidence: string[] = [];
  const verdicts = v.batches.map((b): Verdict => {
    const a = param(v.fits, 'ops_time', 'a_ms_per_gflop', v.device, b);
    const loo = param(v.fits, 'ops_time_loo', 'mape', v.device, b);
    const logLoo = param(v.fits, 'ops_time_loglog_loo', 'mape', v.device, b);
    const lev = v.fits.find((r) => r.fit === 'ops_time_without_max_leverage' && r.param === 'a_ms_per_gflop' && r.batch_size === b);
    if (!a || a.value === null || a.r2 === null || !loo || loo.value === null) return 'untestable';
    const verdict = a.r2 < 0.9 ? 'contradicted' : side(loo.value, loo.ci_low, loo.ci_high, true, OPS_LOO);
    evidence.push(`batch ${b}: a = ${f(a.value, 2)}${ci(a, (x) => f(x, 2))} ms/GFLOP, R² ${f(a.r2, 3)}, LOO error ${pct(loo.value)}${ci(loo, pct)}`
      + `${logLoo?.value != null ? `; log–log LOO ${pct(logLoo.value)}` : ''}`
      + `${lev?.value != null ? `; without ${lev.model_id} a = ${f(lev.value, 2)}, R² ${f(lev.r2, 3)}` : ''} → ${verdict}`);
    return verdict;
  });
  return { device: v.device, verdict: combine(verdicts), evidence };
}

// --- Bianco et al. 2018 -----------------------------------------------------------------------

const NO_LINEAR_R2 = 0.5;
/**
 * "No linear relationship" between top-1 and a model's size (GFLOPs or parameters): R² of the
 * line top-1 ~ x over every model, with a bootstrap interval over models; below 0.5 reproduces.
 * Also the share of model pairs ordered against the claim's opposite (more x, lower top-1).
 */
function noLinearRelation(v: DeviceView, frontier: string, what: string): DeviceVerdict {
  const pts = v.frontiers.filter((r) => r.frontier === frontier && r.batch_size === null);
  if (pts.length < 3) return { device: v.device, verdict: 'untestable', evidence: [`${pts.length} models with a top-1 on this device`] };
  const r2 = (s: readonly FrontierRow[]) => linearFit(s.map((p) => p.x_value), s.map((p) => p.top1))?.r2 ?? null;
  const value = r2(pts);
  if (value === null) return { device: v.device, verdict: 'untestable', evidence: [`every model has the same ${what}`] };
  const boot = bootstrapOverModels(pts, 1, (s) => [r2(s)], `findings\u0000${frontier}\u0000${v.device}`);
  const [low, high] = boot.intervals[0] ?? [null, null];
  let pairs = 0;
  let against = 0;
  for (let i = 0; i < pts.length; i++) {
    for (let j = i + 1; j < pts.length; j++) {
      const [p, q] = [pts[i]!, pts[j]!];
      if (p.x_value === q.x_value || p.top1 === q.top1) continue;
      pairs++;
      if ((p.x_value - q.x_value) * (p.top1 - q.top1) < 0) against++;
    }
  }
  return {
    device: v.device,
    verdict: side(value, low, high, true, NO_LINEAR_R2),
    evidence: [
      `R² of top-1 ~ ${what} over ${pts.length} models: ${f(value, 2)}${low !== null ? ` [${f(low, 2)}, ${f(high, 2)}]` : ` (${boot.note})`} (${pts[0]!.accuracy_basis ?? 'no'} top-1)`,
      `${against} of ${pairs} model pairs (${pct(pairs ? against / pairs : null)}) have more ${what} and a lower top-1`,
    ],
  };
}

/** The throughput bound falls: its slope per decade of images/s is below 0 (interval below 0). */
function throughputBound(v: DeviceView): DeviceVerdict {
  const evidence: string[] = [];
  const verdicts = v.batches.map((b): Verdict => {
    const s = param(v.fits, 'accuracy_throughput_bound', 'slope_per_log10_images_per_s', v.device, b);
    if (!s || s.value === null || s.status !== 'ok') return 'untestable';
    const verdict = side(s.value, s.ci_low, s.ci_high, true, 0);
    evidence.push(`batch ${b}: ${f(s.value * 100, 1)} points of top-1 per decade of images/s${ci(s, (x) => f(x === null ? null : x * 100, 1))}, on ${s.n} frontier models (${s.accuracy_basis ?? 'no'} top-1) → ${verdict}`);
    return verdict;
  });
  return { device: v.device, verdict: combine(verdicts), evidence };
}

const DENSITY_RATIO = 2;
/** Parameters used unequally: the best model's top-1 per million parameters is at least twice the worst's. */
function unequalDensity(v: DeviceView): DeviceVerdict {
  const rows = v.fits.filter((r) => r.fit === 'accuracy_density' && r.model_id !== null && r.value !== null && r.value > 0)
    .sort((a, b) => b.value! - a.value! || a.model_id!.localeCompare(b.model_id!));
  if (rows.length < 2) return { device: v.device, verdict: 'untestable', evidence: [`${rows.length} models with a top-1 and parameters`] };
  const best = rows[0]!;
  const worst = rows[rows.length - 1]!;
  const ratio = best.value! / worst.value!;
  return {
    device: v.device,
    verdict: ratio >= DENSITY_RATIO ? 'reproduced' : ratio < 1.25 ? 'contradicted' : 'inconclusive',
    evidence: [`top-1 per million parameters: best ${best.model_id} ${f(best.value, 4)}, worst ${worst.model_id} ${f(worst.value, 4)}: ${f(ratio, 1)}× over ${rows.length} models (${best.accuracy_basis ?? 'no'} top-1)`],
  };
}

const isGpu = (device: string) => /^gpu/.test(device);
const isEmbedded = (device: string) => /^jetson/.test(device);

/** Which models reach 30 images/s at batch 1, counted by the low end of the throughput's interval when there is one. */
function realTime(v: DeviceView): { reach: string[]; total: number; batch: number | null } {
  const batch = v.batches[0] ?? null;
  const cells = v.latency.filter((l) => Number(l.batch_size) === batch);
  const reach = cells.filter((l) => (latencyIntervals(l)?.images_per_s.low ?? Number(l.images_per_s)) >= REAL_TIME_IMAGES_PER_S).map((l) => l.model_id).sort();
  return { reach, total: cells.length, batch };
}

function superRealTime(all: DeviceView[]): DeviceVerdict[] {
  const gpus = all.filter((v) => isGpu(v.device));
  const boards = all.filter((v) => isEmbedded(v.device));
  return all.map((v) => {
    const rt = realTime(v);
    const evidence = [`${rt.reach.length} of ${rt.total} models reach ${REAL_TIME_IMAGES_PER_S} images/s at batch ${rt.batch ?? '–'} (interval's low end)`
      + `${rt.reach.length && rt.reach.length <= 12 ? `: ${rt.reach.join(', ')}` : ''}`];
    if (gpus.length === 0 || boards.length === 0) {
      evidence.push(`the claim compares a high-end GPU with an embedded board; this study has ${gpus.length} GPU and ${boards.length} Jetson devices`);
      return { device: v.device, verdict: 'untestable' as const, evidence };
    }
    const gpuShare = Math.min(...gpus.map((g) => { const r = realTime(g); return r.total ? r.reach.length / r.total : 0; }));
    const boardShare = Math.max(...boards.map((g) => { const r = realTime(g); return r.total ? r.reach.length / r.total : 0; }));
    evidence.push(`share reaching real time: GPUs ≥ ${pct(gpuShare)}, embedded boards ≤ ${pct(boardShare)}`);
    return { device: v.device, verdict: gpuShare >= 0.9 && boardShare < gpuShare ? 'reproduced' as const : 'contradicted' as const, evidence };
  });
}

const GPU_MEMORY_FLOOR = 0.6e9;
/** Even the smallest model needs about 0.6 GB of GPU memory: the least GPU memory peak of any cell. */
function gpuMemoryFloor(v: DeviceView): DeviceVerdict {
  const gpu = v.latency.filter((l) => l.gpu_memory_peak_bytes != null).map((l) => ({ id: l.model_id, b: Number(l.batch_size), bytes: Number(l.gpu_memory_peak_bytes) }));
  if (gpu.length === 0) {
    const rss = v.latency.filter((l) => l.rss_peak_bytes != null).map((l) => ({ id: l.model_id, bytes: Number(l.rss_peak_bytes) })).sort((a, b) => a.bytes - b.bytes)[0];
    return {
      device: v.device, verdict: 'untestable',
      evidence: [`no GPU memory measured on this device${rss ? `; for comparison, the smallest process peak (RSS) is ${rss.id}'s ${f(rss.bytes / 1e6, 0)} MB` : ''}`],
    };
  }
  const least = gpu.sort((a, b) => a.bytes - b.bytes)[0]!;
  return {
    device: v.device,
    verdict: least.bytes >= GPU_MEMORY_FLOOR * 0.75 ? 'reproduced' : 'contradicted',
    evidence: [`least GPU memory peak: ${least.id} at batch ${least.b}, ${f(least.bytes / 1e9, 2)} GB (the paper: about 0.6 GB; reproduced at ≥ 0.45 GB)`],
  };
}

/** Every finding of both papers, decided on every device of the study. */
export function paperFindings(s: StudyData): Finding[] {
  const all = views(s);
  const each = (fn: (v: DeviceView) => DeviceVerdict) => all.map(fn);
  return [
    {
      paper: 'Canziani et al. 2016', claim: 'Power consumption is independent of batch size and architecture.',
      rule: `reproduced when the coefficient of variation of average power across batch sizes and across models are both below ${POWER_CV * 100}% (their 95% intervals entirely below); contradicted when either interval lies above`,
      devices: each(powerIndependent),
    },
    {
      paper: 'Canziani et al. 2016', claim: 'Accuracy and inference time are in a hyperbolic relationship.',
      rule: `top-1 = A − k / (ms per image) on the Pareto frontier, per batch size: reproduced when k's interval is above 0 and R² ≥ ${HYPERBOLA_R2}; contradicted when k's interval is below 0 or R² < 0.5; the batch sizes must agree`,
      devices: each((v) => hyperbola(v, 'accuracy_time_hyperbolic', 'latency')),
    },
    {
      paper: 'Canziani et al. 2016', claim: 'An energy constraint is an upper bound on the maximum achievable accuracy and model complexity.',
      rule: 'the hyperbola top-1 = A − k / (J per image) on the energy frontier, decided as the time hyperbola',
      devices: each((v) => hyperbola(v, 'energy_bound', 'energy')),
    },
    {
      paper: 'Canziani et al. 2016', claim: 'The number of operations is a reliable estimate of the inference time.',
      rule: `ms per image = a · GFLOPs + b per batch size: reproduced when R² ≥ 0.9 and the leave-one-out error (mean relative error predicting each model from the others) is below ${OPS_LOO * 100}% over its whole interval; contradicted when R² < 0.9 or that interval lies above ${OPS_LOO * 100}%`,
      devices: each(opsPredictTime),
    },
    {
      paper: 'Bianco et al. 2018', claim: 'Recognition accuracy does not increase as the number of operations increases (no linear relationship).',
      rule: `R² of the line top-1 ~ GFLOPs over every model: reproduced when its 95% interval (bootstrap over models) is below ${NO_LINEAR_R2}; contradicted when above`,
      devices: each((v) => noLinearRelation(v, 'top1_vs_gflops', 'GFLOPs')),
    },
    {
      paper: 'Bianco et al. 2018', claim: 'There is no linear relationship between model complexity (parameters) and accuracy.',
      rule: `R² of the line top-1 ~ M parameters over every model, decided as for operations`,
      devices: each((v) => noLinearRelation(v, 'top1_vs_params', 'parameters')),
    },
    {
      paper: 'Bianco et al. 2018', claim: 'The desired throughput places an upper bound on the achievable accuracy.',
      rule: 'the line above every (log10 images/s, top-1) point touching the frontier: reproduced when its slope\'s interval is below 0 at every batch size; contradicted when above',
      devices: each(throughputBound),
    },
    {
      paper: 'Bianco et al. 2018', claim: 'Not all models use their parameters with the same level of efficiency.',
      rule: `accuracy density (top-1 per million parameters): reproduced when the best model's is at least ${DENSITY_RATIO}× the worst's; contradicted below 1.25×`,
      devices: each(unequalDensity),
    },
    {
      paper: 'Bianco et al. 2018', claim: 'Almost all models reach super real-time on a high-end GPU; only some on an embedded board.',
      rule: `models reaching ${REAL_TIME_IMAGES_PER_S} images/s at batch 1 (low end of the interval): reproduced when ≥ 90% do on every GPU and a smaller share on every Jetson; needs both kinds of device`,
      devices: superRealTime(all),
    },
    {
      paper: 'Bianco et al. 2018', claim: 'Even models of very low complexity need a minimum of about 0.6 GB of GPU memory.',
      rule: 'the least GPU memory peak of any cell: reproduced at ≥ 0.45 GB (three quarters of the paper\'s figure); needs a GPU',
      devices: each(gpuMemoryFloor),
    },
  ];
}
