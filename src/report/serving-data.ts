/**
 * The serving tables (issue 21, docs/SERVING.md) as the report reads them, and who each served
 * model is on its figures. Read apart from the rest of the study (StudyData): the findings and the
 * laws never look at serving, and a study without a `serving:` section has nothing here.
 */
import type { ReadRow } from '../results/schema.js';
import { readResultTable } from './read-tables.js';
import { modelFamily, shortNames } from './model-family.js';

export type ServingRun = ReadRow<'serving'>;
export type CapacityRow = ReadRow<'serving_capacity'>;

export interface ServingData {
  /** serving.parquet: one row per run. */
  runs: ServingRun[];
  /** serving_capacity.parquet: one row per Server capacity search. */
  capacity: CapacityRow[];
}

/**
 * A results folder's serving tables; both empty for a study without `serving:` and for one written
 * before serving existed (no file: read as empty). The per-query table is not read: the runs'
 * percentiles already summarise it, and it can hold millions of rows.
 */
export async function loadServing(dir: string): Promise<ServingData> {
  const [runs, capacity] = await Promise.all([readResultTable(dir, 'serving'), readResultTable(dir, 'serving_capacity')]);
  return { runs, capacity };
}

export const hasServing = (s: ServingData): boolean => s.runs.length > 0 || s.capacity.length > 0;

/** The devices with serving results, sorted. */
export const servingDevices = (s: ServingData): string[] => [...new Set([...s.runs, ...s.capacity].map((r) => r.device))].sort();

/** A served model on the serving figure: its family and short name as on every other figure, and its own colour. */
export interface ServedModel {
  model_id: string;
  family: string;
  label: string;
  color: string;
}

/** `hex` moved a fraction `t` of the way to `to` (both `#rrggbb`). */
function mix(hex: string, to: string, t: number): string {
  const channel = (c: string, i: number) => parseInt(c.slice(1 + 2 * i, 3 + 2 * i), 16);
  const out = [0, 1, 2].map((i) => Math.round(channel(hex, i) + (channel(to, i) - channel(hex, i)) * t));
  return `#${out.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The k-th model of a family (from 0): the family's hue, then darker and lighter shades of it in
 * turn, so each model has a colour of its own and a family still reads as one hue.
 */
const shade = (hex: string, k: number): string => (k === 0 ? hex : mix(hex, k % 2 === 1 ? '#000000' : '#ffffff', Math.min(0.75, 0.4 * Math.ceil(k / 2))));

/**
 * Every served model's family, label and colour. Labels are the short names over all the study's
 * models (as the other figures label them); the colour is the family's (model-family.ts), shaded
 * apart within a family, in model-id order, so a model keeps its colour on every device's figure.
 */
export function servedModels(models: readonly Pick<ReadRow<'models'>, 'model_id' | 'architecture'>[], s: ServingData): Map<string, ServedModel> {
  const architecture = new Map(models.map((m) => [m.model_id, m.architecture]));
  const served = [...new Set([...s.runs, ...s.capacity].map((r) => r.model_id))].sort();
  const labels = shortNames([...new Set([...models.map((m) => m.model_id), ...served])]);
  const seen = new Map<string, number>();
  return new Map(served.map((id) => {
    const family = modelFamily(architecture.get(id), id);
    const k = seen.get(family.name) ?? 0;
    seen.set(family.name, k + 1);
    return [id, { model_id: id, family: family.name, label: labels.get(id)!, color: shade(family.color, k) }];
  }));
}
