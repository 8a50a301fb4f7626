import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';

const WNID = /\bn\d{8}\b/;
export const isWnid = (s: string) => /^n\d{8}$/.test(s);

/**
 * The class index of every ImageNet-1k synset: its position in the sorted list of the 1000 wnids
 * (SPEC.md §2: 0 = n01440764 tench), the order of Caffe, torchvision and the ONNX zoo.
 */
export interface SynsetIndex {
  /** The 1000 wnids, sorted: class i is sorted[i]. */
  sorted: string[];
  /** Where the list came from, for the manifest's label source. */
  source: string;
  indexOf(wnid: string): number | undefined;
}

/** Builds the index from any list holding the 1000 ImageNet-1k wnids, in any order. */
export function synsetIndex(wnids: string[], source: string): SynsetIndex {
  const unique = new Set(wnids);
  if (unique.size !== wnids.length) {
    const dup = wnids.find((w, i) => wnids.indexOf(w) !== i);
    throw new InputError(`${source}: synset ${dup} is listed twice`);
  }
  if (wnids.length !== 1000) throw new InputError(`${source}: lists ${wnids.length} synsets, ImageNet-1k has 1000`);
  const sorted = [...wnids].sort();
  const map = new Map(sorted.map((w, i) => [w, i]));
  return { sorted, source, indexOf: (w) => map.get(w) };
}

export interface SynsetFileEntry {
  /** The line's leading integer, when it has one (an index or a devkit ILSVRC2012_ID). */
  number: number | undefined;
  wnid: string;
  line: number;
}

/**
 * Reads a list of synsets, one per line, taking the first `n########` token of each line: the
 * kit's `labels/synsets.tsv` (`index<TAB>wnid<TAB>names`), Kaggle's `LOC_synset_mapping.txt`
 * (`wnid names`), Caffe's `synset_words.txt`, a devkit-order list (`ILSVRC2012_ID wnid` or one
 * wnid per line). Blank lines and lines starting with `#` are skipped.
 */
export async function readSynsetFile(file: string): Promise<SynsetFileEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read synset list ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const out: SynsetFileEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = WNID.exec(line);
    if (!m) throw new InputError(`${file}:${i + 1}: no synset id (n########) in "${line.slice(0, 60)}"`);
    const lead = /^(\d+)\s/.exec(line);
    out.push({ number: lead ? Number(lead[1]) : undefined, wnid: m[0], line: i + 1 });
  });
  return out;
}

/** The sorted-order index from a synset file (any order: it is sorted here). */
export async function synsetIndexFromFile(file: string): Promise<SynsetIndex> {
  return synsetIndex((await readSynsetFile(file)).map((e) => e.wnid), file);
}

/**
 * The devkit's order: ILSVRC2012_ID (1..1000, as `ILSVRC2012_validation_ground_truth.txt` uses)
 * → wnid. Lines with a leading integer give the ID explicitly (`1 n02119789 ...`); otherwise line
 * k is ID k. This is the order of `meta.mat`'s first 1000 synsets, which is NOT sorted by wnid
 * (ID 1 is n02119789 kit fox), so the devkit IDs must be mapped, never used as indices.
 */
export async function devkitOrderFromFile(file: string): Promise<Map<number, string>> {
  const entries = await readSynsetFile(file);
  const explicit = entries.every((e) => e.number !== undefined);
  const byId = new Map<number, string>();
  entries.forEach((e, k) => {
    const id = explicit ? e.number! : k + 1;
    if (!Number.isInteger(id) || id < 1 || id > 1000) throw new InputError(`${file}:${e.line}: ILSVRC2012_ID ${id} is outside 1..1000`);
    if (byId.has(id)) throw new InputError(`${file}:${e.line}: ILSVRC2012_ID ${id} is listed twice`);
    byId.set(id, e.wnid);
  });
  synsetIndex([...byId.values()], file); // 1000 distinct synsets, or a clear error
  return byId;
}
