import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';

/** One labelled validation image: class index in the sorted-synset order (SPEC.md §2). */
export interface LabelledImage {
  id: string;
  file: string;
  label: number;
}

interface KitManifest {
  images: { list: { file: string; class_index: number; split: string }[] };
}

/** Reads the kit's manifest; a missing kit gets a message saying what to set, not an ENOENT. */
async function readKitManifest(kit: string): Promise<KitManifest> {
  const file = path.join(kit, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new InputError(
      `no kit at ${kit} (looked for ${file}). Set DNNBENCH_KIT to the folder holding manifest.json, models/ and images/, ` +
      'or give a study spec whose models are .onnx paths and whose dataset.kit names such a folder.',
    );
  }
  try {
    return JSON.parse(text) as KitManifest;
  } catch (err) {
    throw new InputError(`kit manifest ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The kit's labelled images of one set, sorted by image id so that `limit` picks a stable subset. */
export async function kitImages(kit: string, set: 'val_227' | 'val_orig' | 'all', limit?: number): Promise<LabelledImage[]> {
  const manifest = await readKitManifest(kit);
  const images = manifest.images.list
    .filter((img) => img.split === 'val' && (set === 'all' || img.file.startsWith(`images/${set}/`)))
    .map((img) => {
      if (!Number.isInteger(img.class_index) || img.class_index < 0 || img.class_index > 999) {
        throw new InputError(`kit manifest: image ${img.file} has label ${img.class_index}, outside 0..999`);
      }
      return { id: path.basename(img.file).replace(/\.[A-Za-z]+$/, ''), file: path.join(kit, img.file), label: img.class_index };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (images.length === 0) throw new InputError(`kit ${kit} lists no validation images in set ${set}`);
  return limit ? images.slice(0, limit) : images;
}
