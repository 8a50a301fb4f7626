import { readFileSync } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/settings.js';
import { InputError } from '../errors.js';
import type { ModelOutput, ModelRef, Preprocessing } from '../spec/study-spec.js';

export interface CatalogEntry {
  id: string;
  architecture: string;
  family: string;
  precision: string;
  source: { kit?: string; url?: string; sha256?: string; bytes?: number };
  preprocessing: Preprocessing;
  output: ModelOutput;
  published?: { top1?: number; top5?: number; source?: string };
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
}

/** The usual torchvision eval transform, assumed for a bare .onnx path that says nothing else. */
export const TORCHVISION_PREPROCESSING: Preprocessing = {
  resize: 256, crop: 224, channelOrder: 'RGB', scale: 'unit',
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'NCHW',
};

let cached: CatalogEntry[] | undefined;
export function loadCatalog(): CatalogEntry[] {
  cached ??= (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'data/catalog.json'), 'utf8')) as { models: CatalogEntry[] }).models;
  return cached;
}

/** Turns a spec's model reference (kit id, catalog id or path) into a file on disk plus its preprocessing. */
export async function resolveModel(ref: ModelRef, kit: string): Promise<ResolvedModel> {
  const entry = typeof ref === 'string' ? loadCatalog().find((m) => m.id === ref) : undefined;
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

async function mustExist(file: string, message: string): Promise<void> {
  try {
    await access(file);
    if (!(await stat(file)).isFile()) throw new Error('not a file');
  } catch {
    throw new InputError(message);
  }
}
