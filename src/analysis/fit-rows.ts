import type { TableRow } from '../results/schema.js';
import type { AccuracyBasis } from './accuracy-basis.js';
import type { Interval } from './bootstrap.js';

/**
 * fits.parquet is long: one row per (fit, scope, parameter), so a new fit or parameter adds rows,
 * never columns. A fit that cannot be made still writes its parameter rows, with null values and
 * a status and note that say why, so "too few points" is visible in the data, not an absence.
 */
export type FitRow = TableRow<'fits'>;
export type FitStatus = FitRow['status'];
export type FrontierRow = TableRow<'frontiers'>;

export interface Scope {
  fit: string;
  device: string | null;
  batch_size: number | null;
  model_id?: string | null;
}

/** One parameter: its name, value (null when the fit was not made), unit and 95% interval (null when none). */
export type Param = [name: string, value: number | null, unit: string, ci?: Interval];

/** Rows of one fit: every parameter with its value and interval; `accuracy_basis` for fits that read top-1. */
export function fitRows(
  scope: Scope, params: Param[],
  g: { r2: number | null; n: number; status: FitStatus; note?: string | null; accuracy_basis?: AccuracyBasis | null },
): FitRow[] {
  const finite = (v: number | null | undefined) => (v !== null && v !== undefined && Number.isFinite(v) ? v : null);
  return params.map(([param, value, unit, ci]) => ({
    fit: scope.fit, device: scope.device, batch_size: scope.batch_size, model_id: scope.model_id ?? null,
    param, value: finite(value), ci_low: finite(ci?.[0]), ci_high: finite(ci?.[1]), unit,
    r2: g.r2, n: g.n, status: g.status, note: g.note ?? null, accuracy_basis: g.accuracy_basis ?? null,
  }));
}

export function tooFew(n: number, need: number, what = 'points'): { status: FitStatus; note: string } {
  return { status: 'too_few_points', note: `${n} ${what}; the fit needs at least ${need}` };
}

/** Two notes in one column, either possibly absent. */
export function joinNotes(...notes: (string | null | undefined)[]): string | null {
  const kept = notes.filter((n): n is string => !!n);
  return kept.length ? kept.join('; ') : null;
}
