import type { TopLevelSpec } from 'vega-lite';
import { param, type DeviceData, type LatencyPoint, type ModelPoint } from './chart-data.js';
import {
  axisOf, channel, familyColor, fitLine, H, intervalBars, labelLayer, placeholder, radiusOf, W, type Axis, type Encoding, type Layer,
} from './chart-parts.js';
import type { FigureTable } from './figure-csv.js';
import type { Family } from './model-family.js';

/**
 * The report's figures, by stable names: each figure's HTML anchor is `<device>-<name>` and its
 * data is written as `figures/<device>/<name>.csv`.
 */
export const FIGURE_NAMES = [
  'top1-vs-gflops', 'time-vs-batch', 'gflops-vs-time', 'top1-vs-time', 'top1-vs-images-per-s',
  'memory-vs-size', 'power-vs-batch', 'top1-vs-energy', 'accuracy-density',
  // Drawn only for a study with serving results (src/report/serving-chart.ts).
  'server-p99-vs-qps',
  // Drawn only for a device with precision or runtime variants (src/report/variants-figure.ts).
  'variants',
] as const;
export type FigureName = (typeof FIGURE_NAMES)[number];

/** One figure of the report: its name, anchor, caption, Vega-Lite spec, and the rows it plots (its CSV). */
export interface Chart {
  name: FigureName;
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
  table: FigureTable;
}

type Drawn = { spec: TopLevelSpec; table: FigureTable };

/** The area of a plain point (Vega's `size`). */
const POINT = 70;

/** Every point names its model, family and label; accuracy figures add the accuracy's basis, N and source. */
const WHO = ['model_id', 'family', 'label'] as const;
const TOP1 = ['top1', 'top1_basis', 'top1_n_images', 'top1_source'] as const;

const empty = (title: string, message: string, columns: readonly string[]): Drawn => ({ spec: placeholder(title, message), table: { columns, rows: [] } });

/** The figure's title, with the accuracy basis as its subtitle on accuracy figures. */
const titled = (text: string, d: DeviceData) => ({ text, subtitle: d.accuracy.label });

const top1Axis = (values: readonly (number | null)[]): Axis => axisOf('top1', 'top-1', 'linear', values, H, { format: '.0%' });

const tooltip = (...fields: [string, string?][]) => fields.map(([field, format]) => ({ field, ...(format ? { format } : {}) }));

/** Points coloured by family, each labelled where its label fits, over any bars and fit lines. */
function pointLayers<P extends ModelPoint | LatencyPoint>(
  pts: readonly P[], x: Axis, y: Axis, color: Encoding['color'], tip: ReturnType<typeof tooltip>, under: Layer[] = [],
): Layer[] {
  return [
    ...under,
    { data: { values: [...pts] }, mark: { type: 'point', filled: true, size: POINT, opacity: 0.85 }, encoding: { x: channel(x), y: channel(y), color, tooltip: tip } },
    ...labelLayer(pts.map((p) => ({ label: p.label, x: Number(p[x.field as keyof P]), y: Number(p[y.field as keyof P]), radius: radiusOf(POINT) })), x, y),
  ];
}

function top1VsGflops(d: DeviceData, families: readonly Family[]): Drawn {
  const columns = [...WHO, 'gflops', 'mparams', ...TOP1];
  const pts = d.modelPoints.filter((p) => p.top1 !== null);
  if (pts.length === 0) return empty('Top-1 vs GFLOPs', 'no accuracy on this device', columns);
  const x = axisOf('gflops', 'GFLOPs per image', 'log', pts.map((p) => p.gflops), W);
  const y = top1Axis(pts.map((p) => p.top1));
  const maxParams = Math.max(...pts.map((p) => p.mparams));
  const range: [number, number] = [40, 1600];
  const area = (m: number): number => range[0] + ((range[1] - range[0]) * m) / maxParams;
  return {
    table: { columns, rows: pts },
    spec: {
      title: titled('Top-1 vs GFLOPs (bubble area: parameters)', d), width: W, height: H,
      layer: [
        {
          data: { values: pts }, mark: { type: 'circle', opacity: 0.65, stroke: 'black', strokeWidth: 0.5 },
          encoding: {
            x: channel(x), y: channel(y), color: familyColor(families),
            size: { field: 'mparams', type: 'quantitative', title: 'M params', scale: { domain: [0, maxParams], range }, legend: { tickCount: 4 } },
            tooltip: tooltip(['model_id'], ['family'], ['gflops', '.3f'], ['mparams', '.2f'], ['top1', '.2%'], ['top1_basis']),
          },
        },
        ...labelLayer(pts.map((p) => ({ label: p.label, x: p.gflops, y: p.top1!, radius: radiusOf(area(p.mparams)) })), x, y),
      ],
    },
  };
}

/** The batch sizes measured, ascending, as axis ticks. */
const batchesOf = (pts: readonly { batch_size: number }[]): number[] => [...new Set(pts.map((p) => p.batch_size))].sort((a, b) => a - b);

/**
 * One line per model across batch sizes, coloured by family and labelled right of its last batch.
 * The x axis runs three doublings past the largest batch, to leave the labels room.
 */
function perBatchLines(
  pts: readonly LatencyPoint[], yField: 'per_image_ms' | 'power_avg_w', yTitle: string, yType: 'linear' | 'log', families: readonly Family[],
  interval?: ['per_image_ci_low_ms', 'per_image_ci_high_ms'],
): Layer[] {
  const batches = batchesOf(pts);
  const x = axisOf('batch_size', 'batch size', 'log', [...batches, 8 * batches.at(-1)!], W, { values: batches });
  const ys = pts.flatMap((p) => [p[yField], ...(interval ? [p[interval[0]], p[interval[1]]] : [])]);
  const y = axisOf(yField, yTitle, yType, ys, H);
  const color = familyColor(families);
  const last = new Map(pts.map((p) => [p.model_id, p])); // sorted by model, then batch: the last row is the largest batch
  return [
    ...(interval ? intervalBars(pts, 'y', interval[0], interval[1], { x, y }, color) : []),
    {
      data: { values: [...pts] }, mark: { type: 'line', point: true, strokeWidth: 1.2 },
      encoding: { x: channel(x), y: channel(y), color, detail: { field: 'model_id' }, tooltip: tooltip(['model_id'], ['family'], ['batch_size'], [yField, '.3f']) },
    },
    ...labelLayer([...last.values()].map((p) => ({ label: p.label, x: p.batch_size, y: Number(p[yField]), radius: 3 })), x, y, ['right']),
  ];
}

function timeVsBatch(d: DeviceData, families: readonly Family[]): Drawn {
  const columns = [...WHO, 'batch_size', 'per_image_ms', 'per_image_ci_low_ms', 'per_image_ci_high_ms'];
  if (d.latency.length === 0) return empty('Time per image vs batch size', 'no latency measured on this device', columns);
  return {
    table: { columns, rows: d.latency },
    spec: {
      title: 'Time per image vs batch size', width: W, height: H,
      layer: perBatchLines(d.latency, 'per_image_ms', 'time per image (ms, p50 / batch)', 'log', families, ['per_image_ci_low_ms', 'per_image_ci_high_ms']),
    },
  };
}

/**
 * The two batch sizes the ops→time figure shows: the smallest, and the largest at which as many
 * models were measured as at any batch (so no model drops out for running out of memory).
 */
function opsTimeBatches(pts: readonly LatencyPoint[]): number[] {
  const counts = new Map<number, number>();
  for (const p of pts) counts.set(p.batch_size, (counts.get(p.batch_size) ?? 0) + 1);
  const most = Math.max(...counts.values());
  const batches = batchesOf(pts);
  const large = batches.filter((b) => counts.get(b) === most).at(-1)!;
  return [...new Set([batches[0]!, large])];
}

function gflopsVsTime(d: DeviceData, families: readonly Family[]): Drawn {
  const columns = [...WHO, 'batch_size', 'gflops', 'per_image_ms', 'per_image_ci_low_ms', 'per_image_ci_high_ms'];
  if (d.latency.length === 0) return empty('Time per image vs GFLOPs', 'no latency measured on this device', columns);
  const shown = opsTimeBatches(d.latency);
  const pts = d.latency.filter((l) => shown.includes(l.batch_size));
  const x = axisOf('gflops', 'GFLOPs per image', 'linear', pts.map((p) => p.gflops), W);
  const y = axisOf('per_image_ms', 'time per image (ms)', 'linear', pts.flatMap((p) => [p.per_image_ms, p.per_image_ci_low_ms, p.per_image_ci_high_ms]), H);
  const [lo, hi] = x.scale.domain;
  const lines = shown.flatMap((b) => {
    const a = param(d.fits, 'ops_time', 'a_ms_per_gflop', b);
    const c = param(d.fits, 'ops_time', 'b_ms', b);
    return a === null || c === null ? [] : [lo, hi].map((g) => ({ batch_size: b, gflops: g, per_image_ms: a * g + c }));
  });
  const color = familyColor(families);
  const shape = { field: 'batch_size', type: 'nominal' as const, title: 'batch', scale: { domain: shown, range: ['circle', 'square'] } };
  const dash = { field: 'batch_size', type: 'nominal' as const, title: 'fit at batch', scale: { domain: shown, range: [[6, 3], [2, 2]] } };
  return {
    table: { columns, rows: pts },
    spec: {
      title: `Time per image vs GFLOPs at batch ${shown.join(' and ')}, with the linear fits`, width: W, height: H,
      layer: [
        ...intervalBars(pts, 'y', 'per_image_ci_low_ms', 'per_image_ci_high_ms', { x, y }, color),
        {
          data: { values: pts }, mark: { type: 'point', filled: true, size: POINT, opacity: 0.85 },
          encoding: { x: channel(x), y: channel(y), color, shape, tooltip: tooltip(['model_id'], ['family'], ['batch_size'], ['gflops', '.3f'], ['per_image_ms', '.3f']) },
        },
        ...(lines.length ? [{
          data: { values: lines }, mark: { type: 'line' as const, color: '#555', clip: true },
          encoding: { x: channel(x), y: channel(y), strokeDash: dash, detail: { field: 'batch_size' } },
        }] : []),
        // Labels at the smallest batch only: the same model at both batches would say its name twice.
        ...labelLayer(pts.filter((p) => p.batch_size === shown[0]).map((p) => ({ label: p.label, x: p.gflops, y: p.per_image_ms, radius: radiusOf(POINT) })), x, y),
      ],
    },
  };
}

/** The points of a single-batch accuracy figure: the smallest batch, with top-1 on the figures' basis. */
const accuracyAtBatch = (d: DeviceData): LatencyPoint[] => d.latency.filter((l) => l.batch_size === d.batch && l.top1 !== null);

function top1VsTime(d: DeviceData, families: readonly Family[]): Drawn {
  const columns = [...WHO, 'batch_size', 'per_image_ms', 'per_image_ci_low_ms', 'per_image_ci_high_ms', ...TOP1];
  const pts = accuracyAtBatch(d);
  if (pts.length === 0) return empty('Top-1 vs time per image', 'needs accuracy and latency on this device', columns);
  const x = axisOf('per_image_ms', 'time per image (ms)', 'log', pts.flatMap((p) => [p.per_image_ms, p.per_image_ci_low_ms, p.per_image_ci_high_ms]), W);
  const y = top1Axis(pts.map((p) => p.top1));
  const A = param(d.fits, 'accuracy_time_hyperbolic', 'A', d.batch);
  const k = param(d.fits, 'accuracy_time_hyperbolic', 'k', d.batch);
  const [lo, hi] = x.scale.domain;
  const curve = A === null || k === null ? [] : Array.from({ length: 40 }, (_, i) => {
    const t = lo * (hi / lo) ** (i / 39);
    return { per_image_ms: t, top1: A - k / t };
  });
  const color = familyColor(families);
  return {
    table: { columns, rows: pts },
    spec: {
      title: titled(`Top-1 vs time per image at batch ${d.batch}, with the hyperbolic fit on the frontier`, d), width: W, height: H,
      layer: pointLayers(pts, x, y, color, tooltip(['model_id'], ['family'], ['per_image_ms', '.3f'], ['top1', '.2%'], ['top1_basis']), [
        ...intervalBars(pts, 'x', 'per_image_ci_low_ms', 'per_image_ci_high_ms', { x, y }, color),
        ...fitLine(curve, x, y),
      ]),
    },
  };
}

function top1VsThroughput(d: DeviceData, families: readonly Family[]): Drawn {
  const columns = [...WHO, 'batch_size', 'images_per_s', 'images_per_s_ci_low', 'images_per_s_ci_high', ...TOP1];
  const pts = accuracyAtBatch(d);
  if (pts.length === 0) return empty('Top-1 vs images/s', 'needs accuracy and latency on this device', columns);
  const x = axisOf('images_per_s', 'images per second', 'log', pts.flatMap((p) => [p.images_per_s, p.images_per_s_ci_low, p.images_per_s_ci_high]), W);
  const y = top1Axis(pts.map((p) => p.top1));
  const slope = param(d.fits, 'accuracy_throughput_bound', 'slope_per_log10_images_per_s', d.batch);
  const icpt = param(d.fits, 'accuracy_throughput_bound', 'intercept', d.batch);
  const bound = slope === null || icpt === null ? [] : x.scale.domain.map((v) => ({ images_per_s: v, top1: icpt + slope * Math.log10(v) }));
  const color = familyColor(families);
  return {
    table: { columns, rows: pts },
    spec: {
      title: titled(`Top-1 vs images/s at batch ${d.batch}, with the upper bound`, d), width: W, height: H,
      layer: pointLayers(pts, x, y, color, tooltip(['model_id'], ['family'], ['images_per_s', '.1f'], ['top1', '.2%'], ['top1_basis']), [
        ...intervalBars(pts, 'x', 'images_per_s_ci_low', 'images_per_s_ci_high', { x, y }, color),
        ...fitLine(bound, x, y),
      ]),
    },
  };
}

function memoryVsSize(d: DeviceData, families: readonly Family[]): Drawn {
  const columns = [...WHO, 'batch_size', 'weight_mb', 'rss_peak_mb'];
  const pts = d.latency.filter((l) => l.batch_size === d.batch && l.rss_peak_mb !== null);
  if (pts.length === 0) return empty('Memory vs model size', 'no memory measured on this device', columns);
  const m0 = param(d.fits, 'memory_size', 'm0_bytes', d.batch);
  const s = param(d.fits, 'memory_size', 's', d.batch);
  const maxWeight = Math.max(...pts.map((p) => p.weight_mb));
  // From zero weights, so the fit's intercept m0 (the paper's initial allocation) shows.
  const line = m0 === null || s === null ? [] : [0, maxWeight].map((w) => ({ weight_mb: w, rss_peak_mb: m0 / 1e6 + s * w }));
  const x = axisOf('weight_mb', 'weights (MB)', 'linear', [0, ...pts.map((p) => p.weight_mb)], W);
  const y = axisOf('rss_peak_mb', 'peak resident memory (MB)', 'linear', [...pts.map((p) => p.rss_peak_mb), ...line.map((l) => l.rss_peak_mb)], H);
  return {
    table: { columns, rows: pts },
    spec: {
      title: `Peak memory vs model size at batch ${d.batch}, with the linear fit`, width: W, height: H,
      layer: pointLayers(pts, x, y, familyColor(families), tooltip(['model_id'], ['family'], ['weight_mb', '.2f'], ['rss_peak_mb', '.1f']), fitLine(line, x, y)),
    },
  };
}

const powerNote = (d: DeviceData): string => d.latency.find((l) => l.power_note)?.power_note ?? 'no power source';

function powerVsBatch(d: DeviceData, families: readonly Family[]): Drawn {
  const columns = [...WHO, 'batch_size', 'power_avg_w'];
  const pts = d.latency.filter((l) => l.power_avg_w !== null);
  if (pts.length === 0) return empty('Power vs batch size', `no power data: ${powerNote(d)}`, columns);
  return {
    table: { columns, rows: pts },
    spec: { title: 'Average power vs batch size', width: W, height: H, layer: perBatchLines(pts, 'power_avg_w', 'average power (W)', 'linear', families) },
  };
}

function top1VsEnergy(d: DeviceData, families: readonly Family[]): Drawn {
  const columns = [...WHO, 'batch_size', 'energy_per_image_j', ...TOP1];
  const pts = accuracyAtBatch(d).filter((l) => l.energy_per_image_j !== null);
  if (pts.length === 0) return empty('Top-1 vs energy per image', `no energy data: ${powerNote(d)}`, columns);
  const x = axisOf('energy_per_image_j', 'energy per image (J)', 'log', pts.map((p) => p.energy_per_image_j), W);
  const y = top1Axis(pts.map((p) => p.top1));
  return {
    table: { columns, rows: pts },
    spec: {
      title: titled(`Top-1 vs energy per image at batch ${d.batch}`, d), width: W, height: H,
      layer: pointLayers(pts, x, y, familyColor(families), tooltip(['model_id'], ['family'], ['energy_per_image_j', '.4f'], ['top1', '.2%'], ['top1_basis'])),
    },
  };
}

function accuracyDensity(d: DeviceData, families: readonly Family[]): Drawn {
  const columns = [...WHO, 'density', 'mparams', ...TOP1];
  const pts = d.modelPoints.filter((p) => p.top1 !== null && p.mparams > 0).map((p) => ({ ...p, density: p.top1! / p.mparams }));
  if (pts.length === 0) return empty('Accuracy density', 'no accuracy on this device', columns);
  return {
    table: { columns, rows: pts },
    spec: {
      title: titled('Accuracy density (top-1 per million parameters)', d), width: W, height: Math.max(120, 16 * pts.length), data: { values: pts }, mark: 'bar',
      encoding: {
        y: { field: 'model_id', type: 'nominal', title: null, sort: '-x', axis: { labelLimit: 0 } },
        x: { field: 'density', type: 'quantitative', title: 'top-1 / M params' }, color: familyColor(families),
        tooltip: tooltip(['model_id'], ['family'], ['density', '.4f'], ['top1', '.2%'], ['mparams', '.2f'], ['top1_basis']),
      },
    },
  };
}

/** What the latency figures' bars are, or why they have none. */
const intervalNote = (d: DeviceData): string => (d.latency.some((l) => l.per_image_ci_low_ms !== null)
  ? 'Bars: the 95% interval of each p50 over its repetitions.'
  : 'No intervals: these cells were measured before repetitions.');

/** Where the accuracy figures' top-1 comes from, for their captions. */
const accuracyNote = (d: DeviceData): string => `Top-1 for every point: ${d.accuracy.reason} (${d.accuracy.basis}).`;

/** Every figure of the papers for one device, in the order the report shows them. */
export function deviceCharts(d: DeviceData, families: readonly Family[]): Chart[] {
  const slug = d.device.replace(/[^A-Za-z0-9_-]/g, '_');
  // Models of one family are told apart by their direct labels (and tooltips); the bars of the density figure name every model.
  const labels = (name: FigureName): string => (name === 'accuracy-density'
    ? 'Colour: family.'
    : 'Colour: family; a model is named beside its point where the name collides with no other label.');
  const c = (name: FigureName, title: string, caption: string, draw: (d: DeviceData, f: readonly Family[]) => Drawn): Chart =>
    ({ name, id: `${slug}-${name}`, title, caption: `${caption} ${labels(name)}`, ...draw(d, families) });
  return [
    c('top1-vs-gflops', 'Top-1 vs GFLOPs', `Bianco et al. Fig. 1: more operations do not mean more accuracy. ${accuracyNote(d)}`, top1VsGflops),
    c('time-vs-batch', 'Time per image vs batch', `Canziani et al. Fig. 3: time per image falls with batch size until the device is saturated. ${intervalNote(d)}`, timeVsBatch),
    c('gflops-vs-time', 'GFLOPs vs time', `SPEC §3.1: time per image is linear in operations at a fixed batch size (fit per batch; R² and leave-one-out error in the fits table; shape: batch). ${intervalNote(d)}`, gflopsVsTime),
    c('top1-vs-time', 'Top-1 vs time', `SPEC §3.2: accuracy and time per image are hyperbolic on the Pareto frontier. ${accuracyNote(d)} ${intervalNote(d)}`, top1VsTime),
    c('top1-vs-images-per-s', 'Top-1 vs images/s', `SPEC §3.3, Bianco et al.: throughput puts an upper bound on accuracy. ${accuracyNote(d)} ${intervalNote(d)}`, top1VsThroughput),
    c('memory-vs-size', 'Memory vs model size', 'SPEC §3.5, Canziani et al. Fig. 7: peak memory = m0 + s · weight bytes.', memoryVsSize),
    c('power-vs-batch', 'Power vs batch', 'SPEC §3.6, Canziani et al. Fig. 6: power is about independent of batch size and architecture.', powerVsBatch),
    c('top1-vs-energy', 'Top-1 vs energy', `SPEC §3.4: with power about constant, energy per image bounds accuracy. ${accuracyNote(d)}`, top1VsEnergy),
    c('accuracy-density', 'Accuracy density', `SPEC §3.7, Canziani et al. Fig. 10: not all models use their parameters equally well. ${accuracyNote(d)}`, accuracyDensity),
  ];
}
