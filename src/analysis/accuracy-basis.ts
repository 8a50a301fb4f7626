/**
 * Which accuracy a law reads. A study holds two kinds of top-1: published full-validation figures
 * (from the catalog, for every model, random-weight exports included) and measurements on the
 * dataset it was given (the kit's 1,300-image sample runs 6 to 13 points above full-val). A law or
 * frontier over models must read one kind for all its points: mixing them ranks models by where
 * their figure came from rather than by how good they are.
 */
export type AccuracyBasis = 'published' | 'measured_full_val' | 'measured_sample';
export type MeasuredBasis = Exclude<AccuracyBasis, 'published'>;

/** The ImageNet validation set the published figures are on: a measurement over all of it is full-val. */
export const FULL_VAL_IMAGES = 50_000;

export interface PublishedInput {
  model_id: string;
  published_top1: number | null;
  /** Where the published figure comes from (a paper, a model card); null when the catalog did not say. */
  published_source?: string | null;
}

export interface MeasuredInput {
  model_id: string;
  device: string;
  top1: number | null;
  n_images: number;
}

/** One model's top-1 on the basis a law reads, with where it comes from. */
export interface BasisAccuracy {
  model_id: string;
  top1: number;
  basis: AccuracyBasis;
  /** Images measured (null for published figures). */
  n_images: number | null;
  source: string | null;
}

export interface LawAccuracy {
  basis: AccuracyBasis;
  byModel: Map<string, BasisAccuracy>;
  /** Why this basis, in words, for notes in fits.parquet and the report. */
  reason: string;
}

export const measuredBasis = (nImages: number): MeasuredBasis => (nImages >= FULL_VAL_IMAGES ? 'measured_full_val' : 'measured_sample');

/**
 * The one basis of a device's laws over `modelIds`: the published top-1 when every model has one
 * (SPEC's laws are about full-val accuracy, and only published figures cover random-weight
 * exports); otherwise the measured one, on that device, for the models measured (a sample and a
 * full-val measurement are different bases too: the larger set wins, the others are left out).
 */
export function lawAccuracy(
  modelIds: readonly string[], models: readonly PublishedInput[], measured: readonly MeasuredInput[], device: string,
): LawAccuracy {
  const published = new Map(models.filter((m) => m.published_top1 !== null && Number.isFinite(m.published_top1)).map((m) => [m.model_id, m]));
  if (modelIds.length > 0 && modelIds.every((id) => published.has(id))) {
    return {
      basis: 'published',
      byModel: new Map(modelIds.map((id) => {
        const m = published.get(id)!;
        return [id, { model_id: id, top1: m.published_top1!, basis: 'published' as const, n_images: null, source: m.published_source ?? null }];
      })),
      reason: 'published full-validation top-1 of every model',
    };
  }
  const wanted = new Set(modelIds);
  const mine = measured.filter((a) => a.device === device && wanted.has(a.model_id) && a.top1 !== null && Number.isFinite(a.top1));
  const basis: MeasuredBasis = mine.some((a) => measuredBasis(a.n_images) === 'measured_full_val') ? 'measured_full_val' : 'measured_sample';
  const kept = mine.filter((a) => measuredBasis(a.n_images) === basis);
  const missing = modelIds.filter((id) => !published.has(id));
  return {
    basis,
    byModel: new Map(kept.map((a) => [a.model_id, { model_id: a.model_id, top1: a.top1!, basis, n_images: a.n_images, source: null }])),
    reason: `measured on ${device} (${basis === 'measured_full_val' ? 'full validation set' : 'a sample'}): no published top-1 for ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`,
  };
}

/**
 * Each device's law accuracy, over the models the study has on that device (timed or measured
 * there): a random-weight export is timed but never measured, and is on the laws only through
 * its published figure.
 */
export function lawsByDevice(input: {
  models: readonly PublishedInput[]; accuracy: readonly MeasuredInput[]; latency: readonly { model_id: string; device: string }[];
}): Map<string, LawAccuracy> {
  const known = new Set(input.models.map((m) => m.model_id));
  const onDevice = new Map<string, Set<string>>();
  for (const r of [...input.latency, ...input.accuracy]) {
    if (!known.has(r.model_id)) continue;
    const ids = onDevice.get(r.device) ?? new Set<string>();
    ids.add(r.model_id);
    onDevice.set(r.device, ids);
  }
  return new Map([...onDevice.keys()].sort().map((device) =>
    [device, lawAccuracy([...onDevice.get(device)!].sort(), input.models, input.accuracy, device)]));
}
