import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { kitDir } from '../config/settings.js';
import { InputError } from '../errors.js';
import { kitImages, type LabelledImage } from './kit.js';
import { devkitOrderFromFile, isWnid, readSynsetFile, synsetIndex, synsetIndexFromFile, type SynsetIndex } from './synsets.js';

/**
 * The layouts of the ILSVRC2012 validation set people have on disk (docs/DATASET.md):
 * - `kit`: this project's kit (a folder with manifest.json and images/);
 * - `imagefolder`: one folder per synset, `val/n01440764/*.JPEG` (torchvision's ImageFolder);
 * - `flat`: all files in one folder, labelled by a file given with `labels`:
 *   the devkit's `ILSVRC2012_validation_ground_truth.txt` (with `synsets`: the devkit's synset order),
 *   Kaggle's `LOC_val_solution.csv`, the kit's `ILSVRC2012_val_ground_truth_50k.txt`
 *   (`name index`), or `name wnid` / one wnid per line.
 */
export type Layout = 'kit' | 'imagefolder' | 'flat';

export interface SourceOptions {
  images: string;
  labels?: string;
  /** A list of the 1000 wnids; for the devkit's ground truth, in the devkit's ILSVRC2012_ID order. */
  synsets?: string;
  /** Kit set when `images` is a kit. */
  set?: 'val_227' | 'val_orig' | 'all';
  limit?: number;
  /** Kit whose labels/synsets.tsv is the fallback synset list (default DNNBENCH_KIT). */
  kit?: string;
}

export interface FailedInput {
  id: string;
  file: string;
  reason: string;
}

export interface ImageSource {
  layout: Layout;
  images: LabelledImage[];
  /** Inputs that cannot be used (no label): recorded in the manifest's failed list. */
  failed: FailedInput[];
  /** Where the labels came from and how they were mapped to sorted-synset indices. */
  labelSource: string;
}

const IMAGE_EXT = /\.(jpe?g|png)$/i;
const idOf = (file: string) => path.basename(file).replace(/\.[^.]+$/, '');
const valId = (k: number) => `ILSVRC2012_val_${String(k).padStart(8, '0')}`;

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/** Lists and labels the images of a folder in any of the supported layouts. */
export async function listImageSource(opts: SourceOptions): Promise<ImageSource> {
  const dir = path.resolve(opts.images);
  if (!(await isDir(dir))) throw new InputError(`image folder ${dir} does not exist or is not a folder`);
  if (await isKit(dir)) {
    if (opts.labels) throw new InputError(`${dir} is a dnnbench kit (it has manifest.json): its labels come from the manifest, leave out --labels`);
    const images = await kitImages(dir, opts.set ?? 'val_227', opts.limit);
    return { layout: 'kit', images, failed: [], labelSource: `kit manifest ${path.join(dir, 'manifest.json')} (class_index: sorted-synset order)` };
  }
  const entries = await readdir(dir, { withFileTypes: true });
  const synsetDirs = entries.filter((e) => e.isDirectory() && isWnid(e.name)).map((e) => e.name).sort();
  const files: { file: string; wnid?: string }[] = [];
  for (const e of entries) if (e.isFile() && IMAGE_EXT.test(e.name)) files.push({ file: path.join(dir, e.name) });
  for (const wnid of synsetDirs) {
    for (const e of await readdir(path.join(dir, wnid), { withFileTypes: true })) {
      if (e.isFile() && IMAGE_EXT.test(e.name)) files.push({ file: path.join(dir, wnid, e.name), wnid });
    }
  }
  if (files.length === 0) throw new InputError(`no images (.JPEG, .jpg, .png) in ${dir} or in synset folders (n########) below it`);

  // One id per image: the file name without extension, unique across the whole set.
  const byId = new Map<string, { file: string; wnid?: string }>();
  for (const f of files) {
    const id = idOf(f.file);
    const seen = byId.get(id);
    if (seen) throw new InputError(`duplicate image id ${id}: ${seen.file} and ${f.file}`);
    byId.set(id, f);
  }
  let ids = [...byId.keys()].sort();
  if (opts.limit) ids = ids.slice(0, opts.limit);

  const layout: Layout = opts.labels || synsetDirs.length === 0 ? 'flat' : 'imagefolder';
  let lookupSynsets: () => Promise<SynsetIndex> = () => fallbackSynsets(opts, synsetDirs, undefined);
  if (layout === 'imagefolder') {
    const index = await lookupSynsets();
    const images: LabelledImage[] = [];
    for (const id of ids) {
      const f = byId.get(id)!;
      if (!f.wnid) throw new InputError(`${f.file} lies beside the synset folders of ${dir}: an ImageFolder layout keeps every image in its class folder (or give --labels)`);
      const label = index.indexOf(f.wnid);
      if (label === undefined) throw new InputError(`folder ${path.join(dir, f.wnid)} is not one of the 1000 ImageNet-1k synsets (list: ${index.source})`);
      images.push({ id, file: f.file, label });
    }
    return { layout, images, failed: [], labelSource: `ImageFolder synset folders of ${dir}, index = position in sorted synsets (${index.source})` };
  }

  if (!opts.labels) {
    throw new InputError(
      `${dir} holds images but no synset folders: give --labels FILE, one of the devkit's ILSVRC2012_validation_ground_truth.txt ` +
      '(with --synsets FILE, the devkit synset order), Kaggle\'s LOC_val_solution.csv, or the kit\'s labels/ILSVRC2012_val_ground_truth_50k.txt',
    );
  }
  lookupSynsets = () => fallbackSynsets(opts, synsetDirs, opts.labels);
  const labels = await readLabelFile(path.resolve(opts.labels), opts, lookupSynsets);
  const images: LabelledImage[] = [];
  const failed: FailedInput[] = [];
  for (const id of ids) {
    const f = byId.get(id)!;
    const label = labels.byId.get(id);
    if (label === undefined) failed.push({ id, file: f.file, reason: `no label for ${id} in ${labels.file}` });
    else images.push({ id, file: f.file, label });
  }
  if (images.length === 0) {
    throw new InputError(`none of the ${ids.length} images in ${dir} has a label in ${labels.file} (ids such as ${ids[0]}): is it the label file of these images?`);
  }
  return { layout, images, failed, labelSource: labels.description };
}

async function isKit(dir: string): Promise<boolean> {
  return (await stat(path.join(dir, 'manifest.json')).catch(() => undefined))?.isFile() === true && (await isDir(path.join(dir, 'images')));
}

/**
 * The sorted synset list, from the first of: --synsets; Kaggle's LOC_synset_mapping.txt beside the
 * label file; the image folder's 1000 synset folders; the kit's labels/synsets.tsv.
 */
async function fallbackSynsets(opts: SourceOptions, synsetDirs: string[], labelsFile: string | undefined): Promise<SynsetIndex> {
  if (opts.synsets) return synsetIndexFromFile(path.resolve(opts.synsets));
  if (labelsFile) {
    const kaggle = path.join(path.dirname(path.resolve(labelsFile)), 'LOC_synset_mapping.txt');
    if (await stat(kaggle).catch(() => undefined)) return synsetIndexFromFile(kaggle);
  }
  if (synsetDirs.length === 1000) return synsetIndex(synsetDirs, `the 1000 synset folders of ${path.resolve(opts.images)}`);
  const kitSynsets = path.join(opts.kit ?? kitDir(), 'labels', 'synsets.tsv');
  if (await stat(kitSynsets).catch(() => undefined)) {
    const entries = await readSynsetFile(kitSynsets);
    const index = synsetIndex(entries.map((e) => e.wnid), kitSynsets);
    const bad = entries.find((e) => e.number !== undefined && index.indexOf(e.wnid) !== e.number);
    if (bad) throw new InputError(`${kitSynsets}:${bad.line}: index ${bad.number} of ${bad.wnid} is not its position in the sorted synset list (${index.indexOf(bad.wnid)})`);
    return index;
  }
  throw new InputError(
    `need the list of the 1000 ImageNet-1k synsets to turn synset ids into class indices: give --synsets FILE ` +
    `(e.g. Kaggle's LOC_synset_mapping.txt or the kit's labels/synsets.tsv), or set DNNBENCH_KIT (looked for ${kitSynsets})`,
  );
}

interface LabelFile {
  file: string;
  byId: Map<string, number>;
  description: string;
}

type LineFormat = 'kaggle' | 'devkit' | 'wnid-per-line' | 'name-index' | 'name-wnid';

/** Reads a label file in any of the supported formats (detected from its first line). */
export async function readLabelFile(file: string, opts: SourceOptions, synsets: () => Promise<SynsetIndex>): Promise<LabelFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read label file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const lines = text.split(/\r?\n/);
  const first = lines.find((l) => l.trim() !== '')?.trim() ?? '';
  let format: LineFormat;
  if (/^ImageId\s*,\s*PredictionString/i.test(first)) format = 'kaggle';
  else {
    const tokens = first.split(/\s+/);
    if (tokens.length === 1 && /^\d+$/.test(tokens[0]!)) format = 'devkit';
    else if (tokens.length === 1 && isWnid(tokens[0]!)) format = 'wnid-per-line';
    else if (tokens.length === 2 && /^-?\d+$/.test(tokens[1]!)) format = 'name-index';
    else if (tokens.length >= 2 && isWnid(tokens[1]!)) format = 'name-wnid';
    else throw new InputError(`${file}:1: unknown label format "${first.slice(0, 80)}" (docs/DATASET.md lists the accepted ones)`);
  }

  let toIndex: (value: string, where: string) => number;
  let description: string;
  if (format === 'devkit') {
    if (!opts.synsets) {
      throw new InputError(
        `${file} holds devkit ILSVRC2012_IDs (1..1000), which are not sorted-synset class indices: give --synsets FILE with the devkit's ` +
        'synset order (one wnid per ILSVRC2012_ID, written from meta.mat as docs/DATASET.md shows), or use the kit\'s labels/ILSVRC2012_val_ground_truth_50k.txt, which is already in class indices',
      );
    }
    const order = await devkitOrderFromFile(path.resolve(opts.synsets));
    const index = synsetIndex([...order.values()], path.resolve(opts.synsets));
    const byDevkitId = new Map([...order].map(([id, wnid]) => [id, index.indexOf(wnid)!]));
    toIndex = (raw, where) => {
      const id = Number(raw);
      const label = byDevkitId.get(id);
      if (label === undefined) throw new InputError(`${where}: ILSVRC2012_ID ${raw} is outside 1..1000`);
      return label;
    };
    description = `devkit ground truth ${file} (line k = ILSVRC2012_val_k, value = ILSVRC2012_ID), mapped through the devkit synset order ${path.resolve(opts.synsets)} to sorted-synset indices`;
  } else if (format === 'name-index') {
    toIndex = (raw, where) => {
      const label = Number(raw);
      if (!Number.isInteger(label) || label < 0 || label > 999) throw new InputError(`${where}: label ${raw} is outside 0..999`);
      return label;
    };
    description = `${file} (image name, sorted-synset class index 0..999)`;
  } else {
    const index = await synsets();
    toIndex = (wnid, where) => {
      const label = index.indexOf(wnid);
      if (label === undefined) throw new InputError(`${where}: synset ${wnid} is not one of the 1000 ImageNet-1k synsets (list: ${index.source})`);
      return label;
    };
    description = `${format === 'kaggle' ? 'Kaggle ' : ''}${file} (synset ids), index = position in sorted synsets (${index.source})`;
  }

  const byId = new Map<string, number>();
  const lineOf = new Map<string, number>();
  const header = format === 'kaggle' ? lines.findIndex((l) => l.trim() !== '') : -1;
  let k = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const where = `${file}:${i + 1}`;
    let id: string;
    let value: string;
    if (format === 'kaggle') {
      if (i === header) continue;
      const comma = line.indexOf(',');
      const wnid = comma > 0 ? line.slice(comma + 1).trim().split(/\s+/)[0] : undefined;
      if (!wnid || !isWnid(wnid)) throw new InputError(`${where}: expected "ImageId,n######## x y x y ...", got "${line.slice(0, 80)}"`);
      id = idOf(line.slice(0, comma).trim());
      value = wnid;
    } else if (format === 'devkit' || format === 'wnid-per-line') {
      if (/\s/.test(line)) throw new InputError(`${where}: expected one value per line, got "${line.slice(0, 80)}"`);
      id = valId(++k);
      value = line;
    } else {
      const tokens = line.split(/\s+/);
      if (tokens.length < 2) throw new InputError(`${where}: expected "image-name label", got "${line.slice(0, 80)}"`);
      id = idOf(tokens[0]!);
      value = tokens[1]!;
    }
    const label = toIndex(value, where);
    const prev = lineOf.get(id);
    if (prev !== undefined) throw new InputError(`${where}: image ${id} is labelled twice (first at line ${prev})`);
    lineOf.set(id, i + 1);
    byId.set(id, label);
  }
  if (byId.size === 0) throw new InputError(`label file ${file} holds no labels`);
  return { file, byId, description };
}
