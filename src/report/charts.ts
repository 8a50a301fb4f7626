import type { TopLevelSpec } from 'vega-lite';
import { param, type DeviceData } from './chart-data.js';

/** One figure of the report: an id (also the HTML anchor), a caption, and its Vega-Lite spec. */
export interface Chart {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

const W = 520;
const H = 320;

/** A chart that says why there is nothing to draw, so every figure of the papers has its place. */
function placeholder(title: string, message: string): TopLevelSpec {
  return {
    title, width: W, height: 80, data: { values: [{ message }] },
    mark: { type: 'text', fontSize: 13, color: '#666', limit: W - 20 }, encoding: { text: { field: 'message' } },
  };
}

/** The same colour for a model in every figure. */
const modelColor = (models: string[]) => ({ field: 'model_id', type: 'nominal' as const, title: 'model', scale: { domain: models } });

type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];
type Encoding = NonNullable<Extract<Layer, { mark: unknown }>['encoding']>;
type LatencyPoint = DeviceData['latency'][number];
type IntervalField = 'per_image_ci_low_ms' | 'per_image_ci_high_ms' | 'images_per_s_ci_low' | 'images_per_s_ci_high';

/**
 * The report draws every latency with its interval: error bars from `low` to `high` along `axis`
 * (drawn on the points' own scale, `value` being the points' channel on that axis), for the points
 * that have one. Studies from before repetitions have none: their points stand alone, and there
 * is no layer.
 */
function intervalBars(
  points: readonly LatencyPoint[], axis: 'x' | 'y', low: IntervalField, high: IntervalField,
  channels: { value: NonNullable<Encoding['x']>; other: NonNullable<Encoding['x']>; color: Encoding['color'] },
): Layer[] {
  const values = points.filter((p) => p[low] !== null && p[high] !== null);
  if (values.length === 0) return [];
  const { value, other, color } = channels;
  const encoding: Encoding = axis === 'y'
    ? { x: other, y: { ...value, field: low }, y2: { field: high }, color }
    : { y: other, x: { ...value, field: low }, x2: { field: high }, color };
  return [{ data: { values }, mark: { type: 'errorbar', ticks: true }, encoding }];
}

/** What the latency figures' bars are, or why they have none. */
const intervalNote = (d: DeviceData): string => (d.latency.some((l) => l.per_image_ci_low_ms !== null)
  ? 'Bars: the 95% interval of each p50 over its repetitions.'
  : 'No intervals: these cells were measured before repetitions.');

function top1VsGflops(d: DeviceData, models: string[]): TopLevelSpec {
  const pts = d.modelPoints.filter((p) => p.top1 !== null);
  if (pts.length === 0) return placeholder('Top-1 vs GFLOPs', 'no accuracy measured on this device');
  return {
    title: 'Top-1 vs GFLOPs (bubble area: parameters)', width: W, height: H, data: { values: pts },
    mark: { type: 'circle', opacity: 0.7, stroke: 'black', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'gflops', type: 'quantitative', title: 'GFLOPs per image', scale: { type: 'log' } },
      y: { field: 'top1', type: 'quantitative', title: 'top-1', axis: { format: '.0%' }, scale: { zero: false } },
      size: { field: 'mparams', type: 'quantitative', title: 'M params', scale: { range: [60, 2000] } },
      color: modelColor(models),
      tooltip: [{ field: 'model_id' }, { field: 'gflops', format: '.3f' }, { field: 'mparams', format: '.2f' }, { field: 'top1', format: '.2%' }],
    },
  };
}

function timeVsBatch(d: DeviceData, models: string[]): TopLevelSpec {
  if (d.latency.length === 0) return placeholder('Time per image vs batch size', 'no latency measured on this device');
  const x = { field: 'batch_size', type: 'quantitative' as const, title: 'batch size', scale: { type: 'log' as const, base: 2 }, axis: { values: [...new Set(d.latency.map((l) => l.batch_size))] } };
  const y = { field: 'per_image_ms', type: 'quantitative' as const, title: 'time per image (ms, p50 / batch)', scale: { type: 'log' as const } };
  const color = modelColor(models);
  return {
    title: 'Time per image vs batch size', width: W, height: H,
    layer: [
      {
        data: { values: d.latency }, mark: { type: 'line', point: true },
        encoding: { x, y, color, tooltip: [{ field: 'model_id' }, { field: 'batch_size' }, { field: 'per_image_ms', format: '.3f' }] },
      },
      ...intervalBars(d.latency, 'y', 'per_image_ci_low_ms', 'per_image_ci_high_ms', { value: y, other: x, color }),
    ],
  };
}

function gflopsVsTime(d: DeviceData): TopLevelSpec {
  if (d.latency.length === 0) return placeholder('GFLOPs vs time per image', 'no latency measured on this device');
  const batches = [...new Set(d.latency.map((l) => l.batch_size))].sort((a, b) => a - b);
  const xs = d.latency.map((l) => l.gflops);
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  const lines = batches.flatMap((b) => {
    const a = param(d.fits, 'ops_time', 'a_ms_per_gflop', b);
    const c = param(d.fits, 'ops_time', 'b_ms', b);
    return a === null || c === null ? [] : [lo, hi].map((g) => ({ batch_size: b, gflops: g, per_image_ms: a * g + c }));
  });
  const color = { field: 'batch_size', type: 'nominal' as const, title: 'batch', scale: { domain: batches } };
  const x = { field: 'gflops', type: 'quantitative' as const, title: 'GFLOPs per image' };
  const y = { field: 'per_image_ms', type: 'quantitative' as const, title: 'time per image (ms)' };
  return {
    title: 'Time per image vs GFLOPs, with the linear fit per batch size', width: W, height: H,
    layer: [
      {
        data: { values: d.latency }, mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x, y, color,
          tooltip: [{ field: 'model_id' }, { field: 'batch_size' }, { field: 'gflops', format: '.3f' }, { field: 'per_image_ms', format: '.3f' }],
        },
      },
      ...intervalBars(d.latency, 'y', 'per_image_ci_low_ms', 'per_image_ci_high_ms', { value: y, other: x, color }),
      {
        data: { values: lines }, mark: { type: 'line', strokeDash: [4, 3] },
        encoding: { x: { field: 'gflops', type: 'quantitative' }, y: { field: 'per_image_ms', type: 'quantitative' }, color, detail: { field: 'batch_size' } },
      },
    ],
  };
}

function top1VsThroughput(d: DeviceData, models: string[]): TopLevelSpec {
  const pts = d.latency.filter((l) => l.batch_size === d.batch && l.top1 !== null);
  if (pts.length === 0) return placeholder('Top-1 vs images/s', 'needs accuracy and latency on this device');
  const slope = param(d.fits, 'accuracy_throughput_bound', 'slope_per_log10_images_per_s', d.batch);
  const icpt = param(d.fits, 'accuracy_throughput_bound', 'intercept', d.batch);
  const ips = pts.map((p) => p.images_per_s);
  const bound = slope === null || icpt === null ? [] : [Math.min(...ips), Math.max(...ips)].map((x) => ({ images_per_s: x, top1: icpt + slope * Math.log10(x) }));
  const x = { field: 'images_per_s', type: 'quantitative' as const, title: 'images per second', scale: { type: 'log' as const } };
  const y = { field: 'top1', type: 'quantitative' as const, title: 'top-1', axis: { format: '.0%' }, scale: { zero: false } };
  return {
    title: `Top-1 vs images/s at batch ${d.batch}, with the upper bound`, width: W, height: H,
    layer: [
      { data: { values: pts }, mark: { type: 'point', filled: true, size: 80 }, encoding: { x, y, color: modelColor(models), tooltip: [{ field: 'model_id' }, { field: 'images_per_s', format: '.1f' }, { field: 'top1', format: '.2%' }] } },
      ...intervalBars(pts, 'x', 'images_per_s_ci_low', 'images_per_s_ci_high', { value: x, other: y, color: modelColor(models) }),
      { data: { values: bound }, mark: { type: 'line', color: '#c00', strokeDash: [6, 3] }, encoding: { x, y } },
    ],
  };
}

function top1VsTime(d: DeviceData, models: string[]): TopLevelSpec {
  const pts = d.latency.filter((l) => l.batch_size === d.batch && l.top1 !== null);
  if (pts.length === 0) return placeholder('Top-1 vs time per image', 'needs accuracy and latency on this device');
  const A = param(d.fits, 'accuracy_time_hyperbolic', 'A', d.batch);
  const k = param(d.fits, 'accuracy_time_hyperbolic', 'k', d.batch);
  const ts = pts.map((p) => p.per_image_ms);
  const [lo, hi] = [Math.min(...ts), Math.max(...ts)];
  const curve = A === null || k === null ? [] : Array.from({ length: 40 }, (_, i) => {
    const t = lo * (hi / lo) ** (i / 39);
    return { per_image_ms: t, top1: A - k / t };
  });
  const x = { field: 'per_image_ms', type: 'quantitative' as const, title: 'time per image (ms)', scale: { type: 'log' as const } };
  const y = { field: 'top1', type: 'quantitative' as const, title: 'top-1', axis: { format: '.0%' }, scale: { zero: false } };
  return {
    title: `Top-1 vs time per image at batch ${d.batch}, with the hyperbolic fit on the frontier`, width: W, height: H,
    layer: [
      { data: { values: pts }, mark: { type: 'point', filled: true, size: 80 }, encoding: { x, y, color: modelColor(models), tooltip: [{ field: 'model_id' }, { field: 'per_image_ms', format: '.3f' }, { field: 'top1', format: '.2%' }] } },
      ...intervalBars(pts, 'x', 'per_image_ci_low_ms', 'per_image_ci_high_ms', { value: x, other: y, color: modelColor(models) }),
      { data: { values: curve }, mark: { type: 'line', color: '#c00', strokeDash: [6, 3], clip: true }, encoding: { x, y } },
    ],
  };
}

function memoryVsSize(d: DeviceData, models: string[]): TopLevelSpec {
  const pts = d.latency.filter((l) => l.batch_size === d.batch && l.rss_peak_mb !== null);
  if (pts.length === 0) return placeholder('Memory vs model size', 'no memory measured on this device');
  const m0 = param(d.fits, 'memory_size', 'm0_bytes', d.batch);
  const s = param(d.fits, 'memory_size', 's', d.batch);
  const w = pts.map((p) => p.weight_mb);
  const line = m0 === null || s === null ? [] : [0, Math.max(...w)].map((x) => ({ weight_mb: x, rss_peak_mb: m0 / 1e6 + s * x }));
  const x = { field: 'weight_mb', type: 'quantitative' as const, title: 'weights (MB)' };
  const y = { field: 'rss_peak_mb', type: 'quantitative' as const, title: 'peak resident memory (MB)' };
  return {
    title: `Peak memory vs model size at batch ${d.batch}, with the linear fit`, width: W, height: H,
    layer: [
      { data: { values: pts }, mark: { type: 'point', filled: true, size: 80 }, encoding: { x, y, color: modelColor(models), tooltip: [{ field: 'model_id' }, { field: 'weight_mb', format: '.2f' }, { field: 'rss_peak_mb', format: '.1f' }] } },
      { data: { values: line }, mark: { type: 'line', color: '#c00', strokeDash: [6, 3] }, encoding: { x, y } },
    ],
  };
}

function powerVsBatch(d: DeviceData, models: string[]): TopLevelSpec {
  const pts = d.latency.filter((l) => l.power_avg_w !== null);
  if (pts.length === 0) return placeholder('Power vs batch size', `no power data: ${d.latency.find((l) => l.power_note)?.power_note ?? 'no power source'}`);
  return {
    title: 'Average power vs batch size', width: W, height: H, data: { values: pts }, mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'batch_size', type: 'quantitative', title: 'batch size', scale: { type: 'log', base: 2 }, axis: { values: [...new Set(pts.map((l) => l.batch_size))] } },
      y: { field: 'power_avg_w', type: 'quantitative', title: 'average power (W)' }, color: modelColor(models),
      tooltip: [{ field: 'model_id' }, { field: 'batch_size' }, { field: 'power_avg_w', format: '.2f' }],
    },
  };
}

function top1VsEnergy(d: DeviceData, models: string[]): TopLevelSpec {
  const pts = d.latency.filter((l) => l.batch_size === d.batch && l.energy_per_image_j !== null && l.top1 !== null);
  if (pts.length === 0) return placeholder('Top-1 vs energy per image', `no energy data: ${d.latency.find((l) => l.power_note)?.power_note ?? 'no power source'}`);
  return {
    title: `Top-1 vs energy per image at batch ${d.batch}`, width: W, height: H, data: { values: pts }, mark: { type: 'point', filled: true, size: 80 },
    encoding: {
      x: { field: 'energy_per_image_j', type: 'quantitative', title: 'energy per image (J)', scale: { type: 'log' } },
      y: { field: 'top1', type: 'quantitative', title: 'top-1', axis: { format: '.0%' }, scale: { zero: false } }, color: modelColor(models),
      tooltip: [{ field: 'model_id' }, { field: 'energy_per_image_j', format: '.4f' }, { field: 'top1', format: '.2%' }],
    },
  };
}

function accuracyDensity(d: DeviceData, models: string[]): TopLevelSpec {
  const pts = d.modelPoints.filter((p) => p.top1 !== null && p.mparams > 0).map((p) => ({ ...p, density: p.top1! / p.mparams }));
  if (pts.length === 0) return placeholder('Accuracy density', 'no accuracy measured on this device');
  return {
    title: 'Accuracy density (top-1 per million parameters)', width: W, height: Math.max(120, 28 * pts.length), data: { values: pts }, mark: 'bar',
    encoding: {
      y: { field: 'model_id', type: 'nominal', title: null, sort: '-x' },
      x: { field: 'density', type: 'quantitative', title: 'top-1 / M params' }, color: { ...modelColor(models), legend: null },
      tooltip: [{ field: 'model_id' }, { field: 'density', format: '.4f' }, { field: 'top1', format: '.2%' }, { field: 'mparams', format: '.2f' }],
    },
  };
}

/** Every figure of the papers for one device, in the order the report shows them. */
export function deviceCharts(d: DeviceData, models: string[]): Chart[] {
  const slug = d.device.replace(/[^A-Za-z0-9_-]/g, '_');
  const c = (id: string, title: string, caption: string, spec: TopLevelSpec): Chart => ({ id: `${slug}-${id}`, title, caption, spec });
  return [
    c('top1-gflops', 'Top-1 vs GFLOPs', 'Bianco et al. Fig. 1: more operations do not mean more accuracy.', top1VsGflops(d, models)),
    c('time-batch', 'Time per image vs batch', `Canziani et al. Fig. 3: time per image falls with batch size until the device is saturated. ${intervalNote(d)}`, timeVsBatch(d, models)),
    c('gflops-time', 'GFLOPs vs time', `SPEC §3.1: time per image is linear in operations at a fixed batch size (fit per batch; R² and leave-one-out error in the fits table). ${intervalNote(d)}`, gflopsVsTime(d)),
    c('top1-time', 'Top-1 vs time', `SPEC §3.2: accuracy and time per image are hyperbolic on the Pareto frontier. ${intervalNote(d)}`, top1VsTime(d, models)),
    c('top1-throughput', 'Top-1 vs images/s', `SPEC §3.3, Bianco et al.: throughput puts an upper bound on accuracy. ${intervalNote(d)}`, top1VsThroughput(d, models)),
    c('memory-size', 'Memory vs model size', 'SPEC §3.5, Canziani et al. Fig. 7: peak memory = m0 + s · weight bytes.', memoryVsSize(d, models)),
    c('power-batch', 'Power vs batch', 'SPEC §3.6, Canziani et al. Fig. 6: power is about independent of batch size and architecture.', powerVsBatch(d, models)),
    c('top1-energy', 'Top-1 vs energy', 'SPEC §3.4: with power about constant, energy per image bounds accuracy.', top1VsEnergy(d, models)),
    c('density', 'Accuracy density', 'SPEC §3.7, Canziani et al. Fig. 10: not all models use their parameters equally well.', accuracyDensity(d, models)),
  ];
}
