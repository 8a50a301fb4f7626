/**
 * The sidecar `<id>.json` that tools/variants/make_variants.py writes beside each precision
 * variant `<id>.onnx` in the model cache (docs/VARIANTS.md). Written after the .onnx file, so a
 * sidecar whose `bytes` match the file means the variant is complete.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { modelCacheDir } from './export-sidecar.js';
import type { ModelOutput, Preprocessing } from './study-spec.js';

/** The recipes tools/variants makes; a variant's id is `<parent id>.<recipe>`. */
export const PRECISION_RECIPES = ['fp16', 'int8-dynamic', 'int8-static'] as const;
export type PrecisionRecipe = (typeof PRECISION_RECIPES)[number];

export interface VariantSidecar {
  id: string;
  variant_of: string;
  recipe: PrecisionRecipe;
  /** Every argument of the converter or quantizer. */
  parameters: Record<string, unknown>;
  precision: 'fp16' | 'int8';
  parent: { id: string; file: string; sha256: string; bytes: number };
  file: string;
  bytes: number;
  sha256: string;
  /** The parent's: the variant is fed as its parent is. */
  preprocessing: Preprocessing;
  output: ModelOutput;
  weights: 'pretrained' | 'random';
  /** int8-static only: the held-out images it was calibrated on. */
  calibration: { set: string; rule: string; count: number; image_ids: string[]; ids_sha256: string } | null;
  output_check: { images: number; max_abs_diff: number; top1_agreement: number };
  tool_version: number;
  versions: Record<string, string>;
  seconds: number;
  made_at: string;
  cpu: { model: string; avx2?: boolean; avx512_vnni?: boolean; avx_vnni?: boolean };
}

export function variantFiles(id: string): { onnx: string; sidecar: string } {
  return { onnx: path.join(modelCacheDir(), `${id}.onnx`), sidecar: path.join(modelCacheDir(), `${id}.json`) };
}

/** `<parent>.<recipe>` split, when the id ends in a recipe. */
export function splitVariantId(id: string): { parent: string; recipe: PrecisionRecipe } | undefined {
  const recipe = PRECISION_RECIPES.find((r) => id.endsWith(`.${r}`));
  return recipe ? { parent: id.slice(0, -recipe.length - 1), recipe } : undefined;
}

/** The sidecar of a finished variant, or undefined when it is missing or incomplete. */
export async function readVariantSidecar(id: string): Promise<VariantSidecar | undefined> {
  const files = variantFiles(id);
  try {
    const sidecar = JSON.parse(await readFile(files.sidecar, 'utf8')) as VariantSidecar;
    return (await stat(files.onnx)).size === sidecar.bytes ? sidecar : undefined;
  } catch {
    return undefined;
  }
}
