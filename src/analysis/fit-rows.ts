import type { TableRow } from '../results/schema.js';

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

/** Rows of one fit: every parameter of `params` with its value (null when the fit was not made). */
export function fitRows(
  scope: Scope, params: [name: string, value: number | null, unit: string][],
  g: { r2: number | null; n: number; status: FitStatus; note?: string | null },
): FitRow[] {
  return params.map(([param, value, unit]) => ({
    fit: scope.fit, device: scope.device, batch_size: scope.batch_size, model_id: scope.model_id ?? null,
    param, value: value !== null && Number.isFinite(value) ? value : null, unit,
    r2: g.r2, n: g.n, status: g.status, note: g.note ?? null,
  }));
}

export function tooFew(n: number, need: number, what = 'points'): { status: FitStatus; note: string } {
  return { status: 'too_few_points', note: `${n} ${what}; the fit needs at least ${need}` };
}
