import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DatasetManifest, ShardEntry } from './prepare.js';
import { InputError } from '../errors.js';
import { replaceAtomically } from '../fs/atomic-file.js';
import { childLocation, localPathOf, type Location } from '../results/location.js';
import { sha256File } from './sha256-file.js';

/**
 * A worker's local copies of a dataset's shards, keyed by content (`<sha256>.arrow` under the
 * cache folder), so that workers on other hosts read the shards from their own disk and a
 * re-prepared dataset can never be mistaken for the old one. A copy is written to a temporary
 * file, hashed on the way, and renamed into place only when its sha256 matches the manifest's:
 * a reader never sees half a shard. A cached copy is re-hashed the first time a process uses it
 * (and again if its size or mtime changed since): a corrupt or truncated copy is fetched again.
 */
export interface LocalDataset {
  manifest: DatasetManifest;
  /** Local file of each of the manifest's shards, in order. */
  shardPaths: string[];
  /** Shards copied into the cache by this call (0 when every one was there, or the source is local). */
  fetched: number;
}

export interface ShardCacheOptions {
  /** This worker's cache folder. */
  cacheDir: string;
  /** Sources under this folder are on this host already (the worker prepared them): read in place. */
  localRoot?: string;
  onShard?: (done: number, total: number) => void;
}

/** Copies verified in this process, by path: the size and mtime they had then. */
const verified = new Map<string, string>();

export async function readDatasetManifest(dataset: Location): Promise<DatasetManifest> {
  const file = path.join(localPathOf(dataset, 'dataset'), 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    // Missing: the shared folder may not be mounted yet, or the control host is still writing.
    throw new Error(`dataset manifest ${file} cannot be read on this host (is the data folder shared with the control host?): ${(err as Error).message}`);
  }
  const manifest = JSON.parse(text) as DatasetManifest;
  if (!Array.isArray(manifest.shards) || manifest.shards.length === 0) throw new InputError(`dataset manifest ${file} lists no shards`);
  return manifest;
}

/** The dataset's manifest and a verified local file for each shard. */
export async function localDataset(dataset: Location, opts: ShardCacheOptions): Promise<LocalDataset> {
  const manifest = await readDatasetManifest(dataset);
  const shardPaths: string[] = [];
  let fetched = 0;
  for (let i = 0; i < manifest.shards.length; i++) {
    const r = await localShardOf(dataset, manifest, i, opts);
    shardPaths.push(r.path);
    if (r.fetched) fetched++;
    opts.onShard?.(shardPaths.length, manifest.shards.length);
  }
  return { manifest, shardPaths, fetched };
}

/** Shard `index` of the dataset as a local file: in place when the source is on this host, else a verified cached copy. */
export async function localShardOf(dataset: Location, manifest: DatasetManifest, index: number, opts: ShardCacheOptions): Promise<{ path: string; fetched: boolean }> {
  const entry = manifest.shards[index];
  if (!entry) throw new InputError(`dataset ${dataset} has no shard ${index}`);
  const sourceDir = localPathOf(dataset, 'dataset');
  if (opts.localRoot && isInside(sourceDir, opts.localRoot)) return { path: path.join(sourceDir, entry.file), fetched: false };
  return localShard(childLocation(dataset, entry.file), entry, opts.cacheDir);
}

/** One shard's verified local copy, fetched from `source` when the cache lacks it or holds a bad one. */
export async function localShard(source: Location, entry: ShardEntry, cacheDir: string): Promise<{ path: string; fetched: boolean }> {
  if (!/^[0-9a-f]{64}$/.test(entry.sha256)) throw new InputError(`dataset manifest entry ${entry.file} has no valid sha256 ("${entry.sha256}")`);
  const file = path.join(cacheDir, `${entry.sha256}.arrow`);
  if (await cachedCopyIntact(file, entry.sha256)) return { path: file, fetched: false };
  await fetchVerified(localPathOf(source, 'dataset shard'), file, entry.sha256);
  return { path: file, fetched: true };
}

async function cachedCopyIntact(file: string, sha256: string): Promise<boolean> {
  const st = await stat(file).catch(() => undefined);
  if (!st) return false;
  const stamp = `${st.size}:${st.mtimeMs}`;
  if (verified.get(file) === stamp) return true;
  if ((await sha256File(file)) === sha256) {
    verified.set(file, stamp);
    return true;
  }
  verified.delete(file);
  await rm(file, { force: true });
  return false;
}

async function fetchVerified(sourceFile: string, file: string, sha256: string): Promise<void> {
  const hash = createHash('sha256');
  const hashing = new Transform({ transform(chunk: Buffer, _enc, done) { hash.update(chunk); done(null, chunk); } });
  if (!(await stat(sourceFile).catch(() => undefined))) {
    throw new Error(`dataset shard ${sourceFile} is missing on this host (is the data folder shared with the control host?)`);
  }
  await replaceAtomically(file, async (tmp) => {
    await pipeline(createReadStream(sourceFile), hashing, createWriteStream(tmp));
    const got = hash.digest('hex');
    if (got !== sha256) {
      // The source itself differs from its manifest: fetching again cannot help.
      throw new InputError(`dataset shard ${sourceFile} does not match its manifest: sha256 ${got}, manifest says ${sha256} (prepare the dataset again)`);
    }
  });
  const st = await stat(file);
  verified.set(file, `${st.size}:${st.mtimeMs}`);
}

function isInside(p: string, root: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(p));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
