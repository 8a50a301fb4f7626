/**
 * Checks our profile of an exported torchvision model against torchvision's published figures
 * (SPEC.md §2: MACs within 2%; issue 12: parameters equal, or the difference explained exactly).
 *
 * Parameters, from published num_params to our count, term by term:
 *   − auxiliary heads that torchvision counts but inference never runs (Inception-v3's AuxLogits);
 *   − modules the eval forward never calls (none in the papers' list);
 *   − BatchNorm folded by the exporter into the preceding convolution: BN's scale and shift
 *     (2·C) become the convolution's bias (C), so −C per folded BN (−2·C if the conv had a bias);
 *   + scalar float constants of formulas, which our rule counts as data tensors (GELU's √2, 1 and
 *     ½ in ConvNeXt; GoogLeNet/Inception-v3's input rescaling): not learned, but float and read as data.
 */
import { constantTensors, consumers } from '../onnx/graph-utils.js';
import type { GraphProto } from '../onnx/onnx-types.js';
import { isLearned } from './params.js';
import type { ModelProfile } from './profile.js';
import type { ExportSidecar } from '../study/export-sidecar.js';

/** SPEC.md §2: our MACs must match a published figure within this fraction. */
export const MACS_TOLERANCE = 0.02;

export interface ExportCheck {
  id: string;
  torchvision: string;
  inputSize: number;
  publishedGmacs: number;
  macs: number;
  /** ours / published − 1. */
  macsDiff: number;
  /** Our MACs rounded as torchvision rounds its figure (3 decimals of G) equal the published one. */
  macsEqualWhenRounded: boolean;
  macsOk: boolean;
  flops: number;
  uncountedOps: string[];
  publishedParams: number;
  auxHeadParams: number;
  unusedParams: number;
  foldedBnLayers: number;
  foldedBnParamsRemoved: number;
  scalarConstants: number;
  expectedParams: number;
  params: number;
  /** The exported module holds exactly the published count less its auxiliary heads. */
  moduleMatchesPublished: boolean;
  paramsOk: boolean;
}

/** Rank-0 float tensors that our parameter rule counts as learned (constants of formulas). */
export function countScalarConstants(graph: GraphProto): number {
  const uses = consumers(graph);
  let n = 0;
  for (const [name, t] of constantTensors(graph)) {
    if (t.dims.length === 0 && isLearned(t, uses.get(name) ?? [])) n += 1;
  }
  return n;
}

export function checkExport(sidecar: ExportSidecar, profile: ModelProfile, graph: GraphProto): ExportCheck {
  const acc = sidecar.param_accounting;
  const pub = sidecar.published;
  const scalarConstants = countScalarConstants(graph);
  const expectedParams = pub.params - acc.aux_head_params - acc.unused_params - acc.folded_bn_params_removed + scalarConstants;
  const macsDiff = profile.macs / (pub.gmacs * 1e9) - 1;
  return {
    id: sidecar.id,
    torchvision: sidecar.source.torchvision,
    inputSize: sidecar.preprocessing.crop,
    publishedGmacs: pub.gmacs,
    macs: profile.macs,
    macsDiff,
    macsEqualWhenRounded: (profile.macs / 1e9).toFixed(3) === pub.gmacs.toFixed(3),
    macsOk: Math.abs(macsDiff) <= MACS_TOLERANCE && profile.uncounted_ops.length === 0,
    flops: profile.flops,
    uncountedOps: profile.uncounted_ops,
    publishedParams: pub.params,
    auxHeadParams: acc.aux_head_params,
    unusedParams: acc.unused_params,
    foldedBnLayers: acc.folded_bn_layers,
    foldedBnParamsRemoved: acc.folded_bn_params_removed,
    scalarConstants,
    expectedParams,
    params: profile.params,
    moduleMatchesPublished: acc.module_params === pub.params - acc.aux_head_params,
    paramsOk: profile.params === expectedParams,
  };
}
