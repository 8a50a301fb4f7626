/**
 * What the report's figures share: the family colour scale and its legend, fixed position scales,
 * direct labels, interval bars, and the placeholder of a figure with nothing to draw.
 */
import type { TopLevelSpec } from 'vega-lite';
import { ALL_SIDES, placeLabels, LABEL_FONT_SIZE, type LabelPoint, type Side } from './label-placement.js';
import type { Family } from './model-family.js';
import { fitScale, valueAt, vegaScale, xPixel, yPixel, type PlotScale } from './plot-scale.js';

export const W = 520;
export const H = 320;

export type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];
export type Encoding = NonNullable<Extract<Layer, { mark: unknown }>['encoding']>;
type PositionDef = NonNullable<Encoding['x']>;

/** A chart that says why there is nothing to draw, so every figure of the papers has its place. */
export function placeholder(title: string, message: string): TopLevelSpec {
  return {
    title, width: W, height: 80, data: { values: [{ message }] },
    mark: { type: 'text', fontSize: 13, color: '#666', limit: W - 20 }, encoding: { text: { field: 'message' } },
  };
}

/**
 * Colour by family: the same hue for a family in every figure (the study's families are the
 * domain), and a legend that shows every entry whole (0: no limit on entries or label width).
 */
export const familyColor = (families: readonly Family[]): Encoding['color'] => ({
  field: 'family', type: 'nominal', title: 'family',
  scale: { domain: families.map((f) => f.name), range: families.map((f) => f.color) },
  legend: { symbolLimit: 0, labelLimit: 0 },
});

/** One position axis of a figure: the field plotted, its title, and the fixed scale over the data. */
export interface Axis {
  field: string;
  title: string;
  scale: PlotScale;
  format?: string;
  /** Tick values to show (batch sizes); Vega's own otherwise. */
  values?: number[];
}

export const axisOf = (field: string, title: string, type: PlotScale['type'], values: readonly (number | null)[], length: number, extra?: Partial<Axis>): Axis =>
  ({ field, title, scale: fitScale(type, values, length), ...extra });

/** The Vega-Lite channel of an axis, plotting `field` (the axis's own field unless another layer plots bounds or labels). */
export function channel(a: Axis, field = a.field): PositionDef {
  const axis = { ...(a.format ? { format: a.format } : {}), ...(a.values ? { values: a.values } : {}) };
  return { field, type: 'quantitative', title: a.title, scale: vegaScale(a.scale), ...(Object.keys(axis).length ? { axis } : {}) };
}

/** A point mark's radius from its area (Vega's `size`), for keeping labels clear of it. */
export const radiusOf = (area: number): number => Math.sqrt(area / Math.PI);

/**
 * The layer of direct labels: the points that get one by the greedy rule of label-placement.ts,
 * drawn as text anchored at their left end. No layer when no label fits.
 */
export function labelLayer(
  points: readonly { label: string; x: number; y: number; radius: number }[], x: Axis, y: Axis, sides: readonly Side[] = ALL_SIDES,
): Layer[] {
  const inPixels: LabelPoint[] = [...points]
    .map((p) => ({ text: p.label, x: xPixel(x.scale, p.x), y: yPixel(y.scale, p.y), radius: p.radius }))
    .sort((a, b) => a.y - b.y || a.x - b.x);
  const values = placeLabels(inPixels, x.scale.length, y.scale.length, sides)
    .map((l) => ({ label: l.text, label_x: valueAt(x.scale, l.x, 'x'), label_y: valueAt(y.scale, l.y, 'y') }));
  if (values.length === 0) return [];
  return [{
    data: { values },
    mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: LABEL_FONT_SIZE, color: '#333' },
    encoding: { x: channel(x, 'label_x'), y: channel(y, 'label_y'), text: { field: 'label' } },
  }];
}

/**
 * The report draws every latency with its interval: error bars from `low` to `high` along the
 * `along` axis, for the points that have one. Studies from before repetitions have none: their
 * points stand alone, and there is no layer.
 */
export function intervalBars<P extends Record<string, unknown>>(
  points: readonly P[], along: 'x' | 'y', low: keyof P & string, high: keyof P & string, axes: { x: Axis; y: Axis }, color: Encoding['color'],
): Layer[] {
  const values = points.filter((p) => p[low] !== null && p[high] !== null);
  if (values.length === 0) return [];
  const encoding: Encoding = along === 'y'
    ? { x: channel(axes.x), y: channel(axes.y, low), y2: { field: high }, color }
    : { y: channel(axes.y), x: channel(axes.x, low), x2: { field: high }, color };
  return [{ data: { values: values as Record<string, unknown>[] }, mark: { type: 'errorbar', ticks: true }, encoding }];
}

/** Pairs of (x, y) joined as a dashed red line: a fit drawn over the points, clipped to the plot. */
export function fitLine(values: readonly Record<string, number>[], x: Axis, y: Axis, extra: Partial<Encoding> = {}): Layer[] {
  if (values.length === 0) return [];
  return [{
    data: { values: values as Record<string, number>[] }, mark: { type: 'line', color: '#c00', strokeDash: [6, 3], clip: true },
    encoding: { x: channel(x), y: channel(y), ...extra },
  }];
}
