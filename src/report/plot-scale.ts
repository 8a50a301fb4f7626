/**
 * The figures' position scales, fixed here rather than left to Vega: direct labels are placed in
 * pixels before Vega draws (src/report/label-placement.ts), so both must map a value to the same
 * pixel. Each scale has an explicit domain (the data plus a margin) and no "nice" rounding.
 */
export interface PlotScale {
  type: 'linear' | 'log';
  domain: [number, number];
  /** Pixels the domain spans: the plot's width, or its height (drawn bottom to top). */
  length: number;
}

/** The share of the data's span added on each side, so no point sits on the frame. */
const MARGIN = 0.06;

/**
 * A scale over these values (nulls and, on a log scale, values ≤ 0 ignored), with a margin (none
 * below zero for values that are all ≥ 0). A single value gets a span around it; no value at all
 * gets [0, 1] (or [1, 10]).
 */
export function fitScale(type: PlotScale['type'], values: readonly (number | null)[], length: number): PlotScale {
  const vs = values.filter((v): v is number => v !== null && Number.isFinite(v) && (type === 'linear' || v > 0));
  if (vs.length === 0) return { type, domain: type === 'log' ? [1, 10] : [0, 1], length };
  const lo = Math.min(...vs);
  const hi = Math.max(...vs);
  if (type === 'log') {
    const [a, b] = lo === hi ? [Math.log10(lo) - 0.1, Math.log10(hi) + 0.1] : [Math.log10(lo), Math.log10(hi)];
    const pad = (b - a) * MARGIN;
    return { type, domain: [10 ** (a - pad), 10 ** (b + pad)], length };
  }
  const span = lo === hi ? Math.max(Math.abs(lo) * 0.1, 1e-3) : hi - lo;
  // Quantities that cannot be negative (times, sizes) keep an axis that does not go below zero.
  const from = lo >= 0 ? Math.max(0, lo - span * MARGIN) : lo - span * MARGIN;
  return { type, domain: [from, hi + span * MARGIN], length };
}

const t = (s: PlotScale, v: number): number => (s.type === 'log'
  ? (Math.log10(v) - Math.log10(s.domain[0])) / (Math.log10(s.domain[1]) - Math.log10(s.domain[0]))
  : (v - s.domain[0]) / (s.domain[1] - s.domain[0]));

/** A value's pixel along the x axis (0 = left). */
export const xPixel = (s: PlotScale, v: number): number => t(s, v) * s.length;

/** A value's pixel along the y axis (0 = top). */
export const yPixel = (s: PlotScale, v: number): number => (1 - t(s, v)) * s.length;

/** The value at a pixel along the axis (pixels from the left for x, from the top for y). */
export function valueAt(s: PlotScale, pixel: number, axis: 'x' | 'y'): number {
  const f = axis === 'x' ? pixel / s.length : 1 - pixel / s.length;
  return s.type === 'log'
    ? 10 ** (Math.log10(s.domain[0]) + f * (Math.log10(s.domain[1]) - Math.log10(s.domain[0])))
    : s.domain[0] + f * (s.domain[1] - s.domain[0]);
}

/** The scale as Vega-Lite takes it: this domain exactly. */
export const vegaScale = (s: PlotScale) => ({ type: s.type, domain: s.domain, nice: false, ...(s.type === 'linear' ? { zero: false } : {}) });
