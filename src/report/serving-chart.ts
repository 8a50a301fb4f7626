/**
 * The serving figure of a device (issue 21): every Server trial's p99 latency against the QPS it
 * was offered, with each model's latency bound, so the capacity search can be read off the plot:
 * the highest filled point under a model's rule is its capacity.
 */
import type { TopLevelSpec } from 'vega-lite';
import { axisOf, channel, H, placeholder, W, type Axis, type Encoding, type Layer } from './chart-parts.js';
import type { Chart } from './charts.js';
import type { ServedModel, ServingRun } from './serving-data.js';

/** One Server trial as the figure plots it and its CSV lists it. */
export type ServerPoint = {
  model_id: string;
  family: string;
  label: string;
  setting: string;
  search: number | null;
  trial: number | null;
  run_id: string;
  target_qps: number | null;
  achieved_qps: number;
  p99_ms: number | null;
  bound_ms: number | null;
  valid: boolean;
  latency_lower_bound: boolean;
  host_disturbed: boolean;
  /** The run's timing verdict; null in tables built before serving runs had one. */
  stability: string | null;
  invalid_reasons: string;
};

export const SERVER_FIGURE = 'server-p99-vs-qps';

const COLUMNS = [
  'model_id', 'family', 'label', 'setting', 'search', 'trial', 'run_id', 'target_qps', 'achieved_qps', 'p99_ms', 'bound_ms',
  'valid', 'latency_lower_bound', 'host_disturbed', 'stability', 'invalid_reasons',
] as const;

/** The area of a point (Vega's `size`), as the other figures' points. */
const POINT = 70;

/** Shapes for the scheduler settings; no upward triangle, which would read as a lower-bound caret. */
const SETTING_SHAPES = ['circle', 'square', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left'];

/** An open upward caret (an SVG path in Vega's unit square), drawn above a point whose p99 is only a lower bound. */
const CARET = 'M-1,0.6L0,-0.4L1,0.6';

/** A span of a decade or more reads better on a log axis (the capacity search doubles and halves its rate). */
function scaleType(values: readonly (number | null)[]): 'linear' | 'log' {
  const vs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (vs.length === 0 || Math.min(...vs) <= 0) return 'linear';
  return Math.max(...vs) / Math.min(...vs) >= 10 ? 'log' : 'linear';
}

/** Every Server trial on the device, by model, setting, search and trial. */
export function serverPoints(runs: readonly ServingRun[], device: string, models: ReadonlyMap<string, ServedModel>): ServerPoint[] {
  return runs
    .filter((r) => r.device === device && r.scenario === 'server')
    .map((r): ServerPoint => {
      const m = models.get(r.model_id);
      return {
        model_id: r.model_id, family: m?.family ?? 'other', label: m?.label ?? r.model_id, setting: r.setting, search: r.search, trial: r.trial,
        run_id: r.run_id, target_qps: r.target_qps, achieved_qps: r.achieved_qps, p99_ms: r.p99_ms, bound_ms: r.bound_ms, valid: r.valid,
        latency_lower_bound: r.latency_lower_bound, host_disturbed: r.host_disturbed, stability: r.stability ?? null, invalid_reasons: (r.invalid_reasons ?? []).join('; '),
      };
    })
    .sort((a, b) => a.model_id.localeCompare(b.model_id) || a.setting.localeCompare(b.setting)
      || (a.search ?? -1) - (b.search ?? -1) || (a.trial ?? -1) - (b.trial ?? -1));
}

const tooltip = [
  { field: 'model_id' }, { field: 'setting' }, { field: 'run_id' }, { field: 'target_qps', format: '.2f' }, { field: 'achieved_qps', format: '.2f' },
  { field: 'p99_ms', format: '.3f' }, { field: 'bound_ms', format: '.3f' }, { field: 'valid' }, { field: 'latency_lower_bound' }, { field: 'stability' }, { field: 'invalid_reasons' },
];

/** The trials drawn as points: filled when valid, hollow when not (Vega-Lite cannot encode `filled`, so two layers). */
function trialLayer(name: string, pts: readonly ServerPoint[], filled: boolean, x: Axis, y: Axis, color: Encoding['color'], shape: Encoding['shape']): Layer[] {
  if (pts.length === 0) return [];
  return [{
    name, data: { values: [...pts] },
    mark: { type: 'point', filled, size: POINT, opacity: filled ? 0.85 : 1, strokeWidth: 1.6 },
    encoding: { x: channel(x), y: channel(y), color, shape, tooltip },
  }];
}

/**
 * The figure: x the offered (target) QPS, y the p99 (ms), each on a log axis when its values span
 * a decade or more. Colour: the model (its family's hue, legend by short name); shape: the scheduler
 * setting; a thin line joins the trials of one search. Filled: a valid run; hollow: an invalid one.
 * A dashed rule per model at its latency bound; a caret above a point whose run was given up with
 * queries still waiting (its p99 is a lower bound). Its CSV lists every Server trial, those without
 * a p99 too.
 */
export function serverChart(device: string, runs: readonly ServingRun[], models: ReadonlyMap<string, ServedModel>): Chart {
  const slug = device.replace(/[^A-Za-z0-9_-]/g, '_');
  const all = serverPoints(runs, device, models);
  const pts = all.filter((p) => p.p99_ms !== null && p.target_qps !== null && p.target_qps > 0);
  const head = { name: SERVER_FIGURE, id: `${slug}-${SERVER_FIGURE}`, title: 'Server: p99 latency vs offered QPS' } as const;
  const table = { columns: COLUMNS, rows: all };
  if (pts.length === 0) {
    return { ...head, caption: 'No Server trial with a p99 on this device.', spec: placeholder(head.title, 'no Server trials on this device'), table };
  }
  const bounds = [...new Map(pts.filter((p) => p.bound_ms !== null).map((p) => [`${p.model_id}\u0000${p.bound_ms}`, p])).values()]
    .map((p) => ({ model_id: p.model_id, label: p.label, bound_ms: p.bound_ms }));
  const xs = pts.map((p) => p.target_qps);
  const ys = [...pts.map((p) => p.p99_ms), ...bounds.map((b) => b.bound_ms)];
  const x = axisOf('target_qps', 'offered load (target QPS)', scaleType(xs), xs, W);
  const y = axisOf('p99_ms', 'p99 latency (ms)', scaleType(ys), ys, H);
  const shown = [...new Set([...pts, ...bounds].map((p) => p.model_id))].sort().map((id) => models.get(id))
    .filter((m): m is ServedModel => m !== undefined);
  const color: Encoding['color'] = {
    field: 'label', type: 'nominal', title: 'model',
    scale: { domain: shown.map((m) => m.label), range: shown.map((m) => m.color) },
    // Whole, opaque swatches: the legend would otherwise take the faint search lines' opacity.
    legend: { symbolLimit: 0, labelLimit: 0, symbolType: 'circle', symbolOpacity: 1 },
  };
  const settings = [...new Set(pts.map((p) => p.setting))].sort();
  const shape: Encoding['shape'] = { field: 'setting', type: 'nominal', title: 'scheduler setting', scale: { domain: settings, range: SETTING_SHAPES } };
  const lowerBounds = pts.filter((p) => p.latency_lower_bound);
  const spec: TopLevelSpec = {
    title: { text: head.title, subtitle: 'filled: valid run · hollow: invalid · dashed: latency bound · ^: p99 is a lower bound' },
    width: W, height: H,
    layer: [
      {
        name: 'search_lines', data: { values: [...pts] }, mark: { type: 'line', strokeWidth: 1, opacity: 0.45 },
        encoding: { x: channel(x), y: channel(y), color, detail: [{ field: 'model_id' }, { field: 'setting' }, { field: 'search' }] },
      },
      ...(bounds.length ? [{
        name: 'latency_bounds', data: { values: bounds }, mark: { type: 'rule' as const, strokeDash: [6, 3], strokeWidth: 1.4 },
        encoding: { y: channel(y, 'bound_ms'), color, tooltip: [{ field: 'model_id' }, { field: 'bound_ms', format: '.3f' }] },
      }] : []),
      ...trialLayer('valid_runs', pts.filter((p) => p.valid), true, x, y, color, shape),
      ...trialLayer('invalid_runs', pts.filter((p) => !p.valid), false, x, y, color, shape),
      ...(lowerBounds.length ? [{
        name: 'lower_bounds', data: { values: lowerBounds },
        mark: { type: 'point' as const, shape: CARET, filled: false, size: POINT, strokeWidth: 1.6, yOffset: -10, opacity: 1 },
        encoding: { x: channel(x), y: channel(y), color, tooltip },
      }] : []),
    ],
  };
  const valid = pts.filter((p) => p.valid).length;
  const axes = [x.scale.type === 'log' ? 'x' : null, y.scale.type === 'log' ? 'y' : null].filter((a) => a !== null);
  const caption = [
    `p99 latency of every Server trial (${pts.length}, ${valid} valid) against the QPS it was offered (its Poisson schedule's rate).`,
    'Colour: the model (its family\'s hue); shape: the scheduler setting; a thin line joins the trials of one capacity search.',
    'Filled: a valid run (p99 within the bound, early stopping passed, minimum duration and queries met, not given up); hollow: an invalid one (its reasons in the serving-runs table).',
    'Dashed rule: the model\'s latency bound. A caret (^) above a point: the run was given up with queries still waiting, so its p99 is a lower bound (the true one is higher).',
    axes.length ? `Log scale on ${axes.join(' and ')} (the values span a decade or more).` : '',
  ].filter((s) => s !== '').join(' ');
  return { ...head, caption, spec, table };
}
