import path from 'node:path';
import type { ResizeFilter } from '../prepare/crop-image.js';
import type { Geometry } from '../prepare/geometry.js';
import { listImageSource } from '../prepare/image-sources.js';
import { prepareDataset, type DatasetManifest } from '../prepare/prepare.js';
import { InputError } from '../errors.js';

export interface PrepareCommandOptions {
  images: string;
  labels?: string;
  synsets?: string;
  set: string;
  geometry: string;
  out: string;
  filter: string;
  limit?: number;
  processes?: number;
  json?: boolean;
}

const FILTERS: ResizeFilter[] = ['linear', 'cubic', 'lanczos3'];
const SETS = ['val_227', 'val_orig', 'all'] as const;
const say = (line: string) => process.stderr.write(`dnnbench: ${line}\n`);

/** "256/224,342/299" → geometries; each crop no larger than its resize. */
export function parseGeometries(text: string): Geometry[] {
  const out = text.split(',').map((part) => {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(part);
    if (!m) throw new InputError(`--geometry: "${part}" is not RESIZE/CROP (e.g. 256/224)`);
    const resize = Number(m[1]);
    const crop = Number(m[2]);
    if (resize < 1 || crop < 1 || crop > resize) throw new InputError(`--geometry: ${part} needs 1 ≤ crop ≤ resize`);
    return { resize, crop };
  });
  const keys = out.map((g) => `${g.resize}/${g.crop}`);
  if (new Set(keys).size !== keys.length) throw new InputError('--geometry lists a geometry twice');
  return out;
}


/**
 * `dnnbench prepare`: lists and labels the images once, then one dataset per geometry in
 * OUT/<resize>-<crop>-<filter>/ (Arrow shards + manifest.json). Run again, it rebuilds only what
 * changed; interrupted, it resumes after the last finished shard.
 */
export async function prepareCommand(opts: PrepareCommandOptions): Promise<void> {
  const filter = opts.filter as ResizeFilter;
  if (!FILTERS.includes(filter)) throw new InputError(`--filter must be one of ${FILTERS.join(', ')}`);
  if (!(SETS as readonly string[]).includes(opts.set)) throw new InputError(`--set must be one of ${SETS.join(', ')}`);
  for (const key of ['limit', 'processes'] as const) {
    const n = opts[key];
    if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new InputError(`--${key} must be a positive integer`);
  }
  const geometries = parseGeometries(opts.geometry);
  const source = await listImageSource({
    images: opts.images, labels: opts.labels, synsets: opts.synsets, set: opts.set as (typeof SETS)[number], limit: opts.limit,
  });
  say(`${source.images.length} labelled images (${source.layout} layout)${source.failed.length ? `, ${source.failed.length} without a label` : ''}; labels: ${source.labelSource}`);

  const results: { dir: string; manifest: DatasetManifest; built: number; reused: number; seconds: number }[] = [];
  for (const geometry of geometries) {
    const name = `${geometry.resize}-${geometry.crop}-${filter}`;
    const tty = process.stderr.isTTY;
    const { dir, manifest, stats } = await prepareDataset({
      images: source.images, failedInputs: source.failed, geometry, resizeFilter: filter, labelSource: source.labelSource,
      outDir: path.join(opts.out, name), processes: opts.processes,
      onShard: (done, total) => { if (tty) process.stderr.write(`\rdnnbench: ${name}: shard ${done}/${total}`); },
    });
    if (tty) process.stderr.write('\n');
    const rate = stats.built ? `, ${(source.images.length / stats.seconds).toFixed(0)} images/s` : '';
    say(`${name}: ${manifest.n} images in ${manifest.shards.length} shards (${stats.built} built, ${stats.reused} unchanged) in ${stats.seconds.toFixed(1)} s${rate} → ${dir}`);
    const decodeFailures = manifest.failed.length - source.failed.length;
    if (manifest.failed.length) {
      say(`${name}: ${manifest.failed.length} images left out (${decodeFailures} undecodable, ${source.failed.length} unlabelled), listed in ${path.join(dir, 'manifest.json')}:`);
      for (const f of manifest.failed.slice(0, 5)) say(`  ${f.file}: ${f.reason}`);
      if (manifest.failed.length > 5) say(`  ... and ${manifest.failed.length - 5} more`);
    }
    results.push({ dir, manifest, ...stats });
  }
  if (opts.json) {
    console.log(JSON.stringify(results.map((r) => ({
      dir: r.dir, geometry: r.manifest.geometry, filter: r.manifest.resizeFilter, n: r.manifest.n, failed: r.manifest.failed.length,
      shards: r.manifest.shards.length, built: r.built, reused: r.reused, seconds: r.seconds, key: r.manifest.key,
    })), null, 1));
  }
}
