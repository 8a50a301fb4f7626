/**
 * What the papers' laws and frontiers are fitted on when a study has variants (docs/VARIANTS.md):
 * one point per model, as the papers had. A precision variant (tools/variants) is its parent with
 * other numerics, and a device's runtime variants time the same model several ways; counted as
 * models of their own they would weigh the fits toward whatever was varied. So the fits take parent
 * models only, and each device's reference runtime variant (its first); variants.parquet sets the
 * rest beside them, and the report's numbers show every row. A study may ask for its precision
 * variants as points of their own (`laws.precisionVariants`).
 */
import type { RuntimeVariant, StudySpec } from '../study/study-spec.js';

/** Each device's runtime variants from the study's spec JSON, for devices that list them. */
export function runtimeVariantsOf(specJson: string): Map<string, RuntimeVariant[]> {
  const devices = (JSON.parse(specJson) as Partial<Pick<StudySpec, 'devices'>>).devices ?? [];
  return new Map(devices.filter((d) => d.variants?.length).map((d) => [d.queue, d.variants!]));
}

export interface LawOptions {
  /** Precision variants as models of their own (the spec's `laws.precisionVariants`); runtime variants stay at the reference. */
  precisionVariants: boolean;
}

/** The spec's `laws` options, from its JSON (absent in studies written before them: parents only). */
export function lawOptionsOf(specJson: string | null | undefined): LawOptions {
  const laws = specJson ? (JSON.parse(specJson) as Partial<Pick<StudySpec, 'laws'>>).laws : undefined;
  return { precisionVariants: laws?.precisionVariants ?? false };
}

/** What the filter reads of each row: cells and rows read back from Parquet both have it. */
interface LawTables {
  models: readonly { model_id: string; variant_of?: string | null }[];
  accuracy: readonly { model_id: string }[];
  latency: readonly { model_id: string; device: string; variant?: string | null }[];
}

export function lawInputs<T extends LawTables>(
  input: T, runtimeVariants: ReadonlyMap<string, readonly RuntimeVariant[]>, options: LawOptions = { precisionVariants: false },
): T {
  // A runtime variant times the same model again, so even when asked the laws take one runtime variant.
  const parents = new Set(input.models.filter((m) => options.precisionVariants || m.variant_of == null).map((m) => m.model_id));
  const reference = (device: string) => runtimeVariants.get(device)?.[0]?.name ?? null;
  return {
    ...input,
    models: input.models.filter((m) => parents.has(m.model_id)),
    accuracy: input.accuracy.filter((a) => parents.has(a.model_id)),
    latency: input.latency.filter((l) => parents.has(l.model_id) && (l.variant ?? null) === reference(l.device)),
  };
}
