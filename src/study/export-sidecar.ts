/**
 * The sidecar `<id>.json` that tools/export/export_torchvision.py writes beside each exported
 * `<id>.onnx` in the model cache (docs/EXPORT.md). Written after the .onnx file, so a sidecar whose
 * `bytes` match the file means the export finished.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { dataDir } from '../config/settings.js';
import type { ModelOutput, Preprocessing } from './study-spec.js';

export interface ExportSidecar {
  id: string;
  tool_version: number;
  file: string;
  bytes: number;
  sha256: string;
  architecture: string;
  family: string;
  weights: 'pretrained' | 'random';
  random_seed: number | null;
  source: { torchvision: string; weights: string; weights_url: string };
  preprocessing: Preprocessing;
  /** The resize filter torchvision evaluates these weights with (bilinear, bicubic). */
  interpolation: string;
  output: ModelOutput;
  /** torchvision's published figures; `gmacs` is its "GFLOPS", which count multiply-adds. */
  published: { top1: number; top5: number; params: number; gmacs: number; file_mb: number; source: string };
  /** Where the graph's parameter count comes from (tools/export/reconcile.py). */
  param_accounting: {
    module_params: number;
    unused_params: number;
    unused_modules: string[];
    folded_bn_layers: number;
    folded_bn_channels: number;
    folded_bn_params_removed: number;
    expected_onnx_params: number;
    aux_head_params: number;
  };
  shared_initializers: number;
  exporter: { opset: number; dynamo: boolean; do_constant_folding: boolean };
  versions: { torch: string; torchvision: string; onnx: string; python: string };
  export_seconds: number;
}

/** Where tools/export writes `<id>.onnx` and its sidecar `<id>.json`: <DNNBENCH_DATA>/cache/models. */
export function modelCacheDir(): string {
  return path.join(dataDir(), 'cache', 'models');
}

export function exportedFiles(id: string): { onnx: string; sidecar: string } {
  return { onnx: path.join(modelCacheDir(), `${id}.onnx`), sidecar: path.join(modelCacheDir(), `${id}.json`) };
}

/** The sidecar of a finished export, or undefined when the export is missing or incomplete. */
export async function readExportSidecar(id: string): Promise<ExportSidecar | undefined> {
  const files = exportedFiles(id);
  try {
    const sidecar = JSON.parse(await readFile(files.sidecar, 'utf8')) as ExportSidecar;
    return (await stat(files.onnx)).size === sidecar.bytes ? sidecar : undefined;
  } catch {
    return undefined;
  }
}
