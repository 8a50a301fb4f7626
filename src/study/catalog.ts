import { readFileSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/settings.js';
import { InputError } from '../errors.js';
import type { ModelOutput, ModelRef, Preprocessing } from './study-spec.js';
import { exportedFiles, readExportSidecar } from './export-sidecar.js';
import { readVariantSidecar, splitVariantId, variantFiles } from './variant-sidecar.js';

export { PRECISION_RECIPES } from './variant-sidecar.js';

export interface CatalogEntry {
  id: string;
  architecture: string;
  family: string;
  precision: string;
  /** `torchvision`: an architecture exported by tools/export into the model cache (docs/EXPORT.md). */
  source: { kit?: string; url?: string; sha256?: string; bytes?: number; torchvision?: string; weights?: string };
  preprocessing: Preprocessing;
  output: ModelOutput;
  /** `gmacs`: torchvision's "GFLOPS", which count multiply-adds. */
  published?: { top1?: number; top5?: number; source?: string; params?: number; gmacs?: number; file_mb?: number };
  caveat?: string;
}

/** A model a study will run: where its file is and how to feed it. Small and serialisable. */
export interface ResolvedModel {
  id: string;
  path: string;
  preprocessing: Preprocessing;
  output: ModelOutput;
  /** Where the preprocessing came from: the catalog, the spec, or the torchvision default. */
  preprocessingSource: 'catalog' | 'spec' | 'default-torchvision';
  architecture?: string;
  /** fp32, fp16, int8 ...: the catalog's word; for a bare path, the input's dtype is used instead. */
  precision?: string;
  /**
   * 'random': an architecture exported with random weights (tools/export): good for every measure
   * but accuracy, which a study must not evaluate; its top-1 is `publishedTop1`, labelled published.
   */
  weights?: 'pretrained' | 'random';
  publishedTop1?: number;
  /** A precision variant made by tools/variants (docs/VARIANTS.md): its parent, recipe and calibration images. */
  variantOf?: string;
  recipe?: string;
  calibrationImageIds?: string[];
}

/** The usual torchvision eval transform, assumed for a bare .onnx path that says nothing else. */
export const TORCHVISION_PREPROCESSING: Preprocessing = {
  resize: 256, crop: 224, channelOrder: 'RGB', scale: 'unit',
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'NCHW',
};

/** The hand-written catalog, then the one tools/export generates for the torchvision architectures. */
const CATALOG_FILES = ['data/catalog.json', 'data/torchvision-catalog.json'];

let cached: CatalogEntry[] | undefined;
export function loadCatalog(): CatalogEntry[] {
  cached ??= CATALOG_FILES.flatMap((f) => (JSON.parse(readFileSync(path.join(PROJECT_ROOT, f), 'utf8')) as { models: CatalogEntry[] }).models);
  return cached;
}

/** Turns a spec's model reference (kit id, catalog id or path) into a file on disk plus its preprocessing. */
export async function resolveModel(ref: ModelRef, kit: string): Promise<ResolvedModel> {
  const entry = typeof ref === 'string' ? loadCatalog().find((m) => m.id === ref) : undefined;
  if (entry?.source.torchvision) return resolveExported(entry);
  const variant = typeof ref === 'string' && !entry ? splitVariantId(ref) : undefined;
  if (variant && loadCatalog().some((m) => m.id === variant.parent)) return resolveVariant(ref as string, variant.parent, variant.recipe);
  if (entry) {
    if (!entry.source.kit) {
      throw new InputError(`model ${entry.id} is in the catalog but not on this machine: download ${entry.source.url ?? '(no URL)'} and name the file's path in the spec`);
    }
    const file = path.join(kit, entry.source.kit);
    await mustExist(file, `model ${entry.id} should be in the kit at ${file}, but that file is missing (set DNNBENCH_KIT to the kit folder)`);
    return { id: entry.id, path: file, preprocessing: entry.preprocessing, output: entry.output, preprocessingSource: 'catalog', architecture: entry.architecture, precision: entry.precision };
  }
  const file = path.resolve(typeof ref === 'string' ? ref : ref.path);
  if (typeof ref === 'string' && !ref.endsWith('.onnx') && !ref.includes('/')) {
    const known = loadCatalog().map((m) => m.id).join(', ');
    throw new InputError(`unknown model "${ref}": not a catalog id (known: ${known}) and not a path to an .onnx file`);
  }
  await mustExist(file, `model file ${file} does not exist`);
  const id = (typeof ref === 'object' && ref.id) || path.basename(file).replace(/\.onnx$/, '');
  const given = typeof ref === 'object' ? ref : undefined;
  return {
    id,
    path: file,
    preprocessing: given?.preprocessing ?? TORCHVISION_PREPROCESSING,
    output: given?.output ?? { classes: 1000, backgroundOffset: 0, kind: 'logits' },
    preprocessingSource: given?.preprocessing ? 'spec' : 'default-torchvision',
  };
}

/** An exported torchvision architecture (tools/export), from the model cache; its sidecar says how. */
async function resolveExported(entry: CatalogEntry): Promise<ResolvedModel> {
  const arch = entry.source.torchvision!;
  const files = exportedFiles(entry.id);
  const sidecar = await readExportSidecar(entry.id);
  if (!sidecar) {
    throw new InputError(
      `model ${entry.id} (torchvision ${arch}) has not been exported on this machine: ${files.onnx} or its sidecar ${path.basename(files.sidecar)} is missing or incomplete. `
      + `Export it with \`npm run export:models -- --arch ${arch} --random-weights\` (\`-- --all --random-weights\` exports every catalog architecture; `
      + 'leave out --random-weights where the pretrained weights can be downloaded). See docs/EXPORT.md.',
    );
  }
  // The sidecar's preprocessing is the one the file was exported for (its input size).
  return {
    id: entry.id, path: files.onnx, preprocessing: sidecar.preprocessing, output: entry.output, preprocessingSource: 'catalog',
    architecture: entry.architecture, precision: entry.precision, weights: sidecar.weights,
    ...(entry.published?.top1 !== undefined ? { publishedTop1: entry.published.top1 } : {}),
  };
}

/** A precision variant (tools/variants) from the model cache; its sidecar says how it is fed. */
async function resolveVariant(id: string, parent: string, recipe: string): Promise<ResolvedModel> {
  const sidecar = await readVariantSidecar(id);
  if (!sidecar) {
    throw new InputError(
      `model ${id} (the ${recipe} variant of ${parent}) has not been made on this machine: ${variantFiles(id).onnx} or its sidecar is missing or incomplete. `
      + `Make it with \`npm run variants:make -- --model ${parent} --recipe ${recipe}\` (docs/VARIANTS.md).`,
    );
  }
  return {
    id, path: variantFiles(id).onnx, preprocessing: sidecar.preprocessing, output: sidecar.output, preprocessingSource: 'catalog',
    architecture: loadCatalog().find((m) => m.id === parent)?.architecture, precision: sidecar.precision, weights: sidecar.weights,
    variantOf: parent, recipe,
    ...(sidecar.calibration ? { calibrationImageIds: sidecar.calibration.image_ids } : {}),
  };
}

async function mustExist(file: string, message: string): Promise<void> {
  try {
    await access(file);
    if (!(await stat(file)).isFile()) throw new Error('not a file');
  } catch {
    throw new InputError(message);
  }
}
