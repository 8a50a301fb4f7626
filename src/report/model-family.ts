/**
 * The report colours models by family, as Canziani's and Bianco's figures do: one hue per family,
 * so a figure of 30-odd models has about a dozen legend entries, and the same family has the same
 * hue in every figure and every study.
 */
export interface Family {
  name: string;
  color: string;
}

/**
 * The families, in legend order (roughly the order they appeared), each with the names that mark
 * it in an architecture string or a model id. ResNeXt and Wide ResNet share a family of their own:
 * both widen ResNet's blocks, and folding them into ResNet would hide what the width buys.
 */
const FAMILIES: readonly (Family & { marks: readonly string[] })[] = [
  { name: 'AlexNet', color: '#8c564b', marks: ['alexnet'] },
  { name: 'VGG', color: '#bcbd22', marks: ['vgg'] },
  { name: 'GoogLeNet / Inception', color: '#17becf', marks: ['googlenet', 'inception'] },
  { name: 'ResNet', color: '#1f77b4', marks: ['resnet'] },
  { name: 'ResNeXt / Wide ResNet', color: '#9467bd', marks: ['resnext', 'wideresnet'] },
  { name: 'DenseNet', color: '#ff7f0e', marks: ['densenet'] },
  { name: 'SqueezeNet', color: '#d62728', marks: ['squeezenet'] },
  { name: 'MobileNet', color: '#2ca02c', marks: ['mobilenet'] },
  { name: 'ShuffleNet', color: '#e377c2', marks: ['shufflenet'] },
  { name: 'MnasNet', color: '#a6761d', marks: ['mnasnet'] },
  { name: 'EfficientNet', color: '#f5c200', marks: ['efficientnet'] },
  { name: 'RegNet', color: '#000000', marks: ['regnet'] },
  { name: 'ConvNeXt', color: '#7a0177', marks: ['convnext'] },
];

const OTHER_FAMILY: Family = { name: 'other', color: '#aaaaaa' };

const ALL: readonly Family[] = [...FAMILIES, OTHER_FAMILY];

/** Lower case, letters and digits only: "Wide ResNet-50-2" and "wide_resnet50_2" read the same. */
const normalise = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * The family a name marks, or null. The mark found first in the name wins (the longer one on a
 * tie): "Inception-ResNet-v2" is an Inception, "Wide ResNet-50-2" a Wide ResNet, and a mention
 * further on ("EfficientNet-B0 (MobileNet blocks)") does not change the family.
 */
function familyIn(name: string): Family | null {
  const text = normalise(name);
  let best: { family: Family; at: number; length: number } | null = null;
  for (const family of FAMILIES) {
    for (const mark of family.marks) {
      const at = text.indexOf(mark);
      if (at < 0) continue;
      if (!best || at < best.at || (at === best.at && mark.length > best.length)) best = { family, at, length: mark.length };
    }
  }
  return best?.family ?? null;
}

/** A model's family from models.parquet's `architecture`, else from its id; "other" when neither names a known family. */
export function modelFamily(architecture: string | null | undefined, modelId: string): Family {
  return (architecture ? familyIn(architecture) : null) ?? familyIn(modelId) ?? OTHER_FAMILY;
}

/** The families of these models, in legend order: the colour scale's domain and range. */
export function familiesPresent(names: Iterable<string>): Family[] {
  const present = new Set(names);
  return ALL.filter((f) => present.has(f.name));
}

/**
 * A model's name as the figures label it: its id without the exporter's `tv_` prefix and an
 * `_opsetNN` suffix (tv_resnet50 → resnet50). The id itself where two models would read the same.
 */
export function shortNames(modelIds: readonly string[]): Map<string, string> {
  const short = (id: string): string => id.replace(/^tv_/, '').replace(/_opset\d+$/, '') || id;
  const counts = new Map<string, number>();
  for (const id of modelIds) counts.set(short(id), (counts.get(short(id)) ?? 0) + 1);
  return new Map(modelIds.map((id) => [id, counts.get(short(id))! > 1 ? id : short(id)]));
}
