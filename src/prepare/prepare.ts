import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { InputError } from '../errors.js';
import type { LabelledImage } from './kit.js';
import { readJsonIfExists, writeJsonAtomic } from '../fs/atomic-file.js';
import { sha256File } from './sha256-file.js';
import { PIL_FILTERS, type ResizeFilter } from './crop-image.js';
import { geometryName, type Geometry } from './geometry.js';
import type { FailedInput } from './image-sources.js';
import { RESAMPLER } from './pil-resample.js';
import { runShardJobs } from './shard-pool.js';
import type { ShardJob, ShardResult } from './shard-job.js';

/** Images per shard, at most; the count is rounded up to an even number so two processes finish together. */
export const SHARD_SIZE = 1000;
/**
 * Images decoded at once per process: sharp decodes on libuv's thread pool (4 threads by default)
 * while the main thread resamples.
 */
const IN_FLIGHT = 4;
/** Below this many images a child process's start-up (~0.7 s of CPU: tsx, sharp, arrow) costs more than it helps. */
const MULTI_PROCESS_MIN = 2000;

/**
 * Processes for n images: this process alone for small sets, else two, or one per four cores on
 * larger machines. Measured on 2 cores (docs/BENCHMARKS.md): on 1,300 kit images one process spent
 * 2.8 ms of CPU per image against 3.3 for two, at the same wall time; on 6,000 ~500x375 JPEGs both
 * spent the same CPU per image, and two processes finished 25-35% sooner on the shared machine.
 */
export function defaultProcesses(n: number, cores = os.availableParallelism()): number {
  return n < MULTI_PROCESS_MIN || cores < 2 ? 1 : Math.max(2, Math.ceil(cores / 4));
}

/** Bumped when the crops of the same inputs would change: every shard is rebuilt. */
const PIPELINE_VERSION = 2;

/**
 * One shard as the manifest records it. Fields after sha256 are always written by prepareDataset;
 * they are optional in the type so that hand-made manifests (tests) need not invent them.
 */
export interface ShardEntry {
  file: string;
  n: number;
  sha256: string;
  /** Hash of everything that decides the shard's content (images, labels, geometry, filter, versions). */
  key?: string;
  bytes?: number;
  mtimeMs?: number;
  /** First and last image id of the shard. */
  first?: string;
  last?: string;
  failed?: FailedInput[];
}

export interface DatasetManifest {
  key: string;
  geometry: Geometry;
  resizeFilter: ResizeFilter;
  labelSource: string;
  /** Images stored in the shards. */
  n: number;
  failed: FailedInput[];
  shards: ShardEntry[];
  versions: { sharp: string; libvips: string; resampler?: string; node?: string; pipeline?: number };
  /** The PIL filter the crops reproduce bit for bit (docs/DATASET.md). */
  pilFilter?: string;
  counts?: { inputs: number; images: number; failed: number; shards: number; classes: number };
  createdAt?: string;
}

export interface PrepareRequest {
  images: LabelledImage[];
  geometry: Geometry;
  resizeFilter: ResizeFilter;
  labelSource: string;
  /** A content-keyed folder under this root holds the dataset (the study's cache)... */
  cacheRoot?: string;
  /** ...or exactly this folder (`dnnbench prepare --out`). */
  outDir?: string;
  /** Inputs already known to be unusable (no label): listed in the manifest's failed list. */
  failedInputs?: FailedInput[];
  /** Called once the finished shards are known, then after each shard built, e.g. to heartbeat. */
  onShard?: (done: number, total: number) => void;
  /** Processes building shards, this one included (default: defaultProcesses; 1: this process alone). */
  processes?: number;
  /** Images per shard at most (default SHARD_SIZE; small values are for tests). */
  shardSize?: number;
  /** Images decoded at once per process (default IN_FLIGHT). */
  inFlight?: number;
  signal?: AbortSignal;
}

export interface PrepareStats {
  built: number;
  reused: number;
  seconds: number;
}

interface PlannedShard {
  index: number;
  file: string;
  images: LabelledImage[];
  key: string;
}

const versions = () => ({ sharp: sharp.versions.sharp, libvips: sharp.versions.vips ?? '', resampler: RESAMPLER, node: process.versions.node, pipeline: PIPELINE_VERSION });

/**
 * Shard count for n images: at most `size` images each, and an even count from 0.4·size images
 * up, so that two processes finish together (1,300 images: 2 × 650; 6,000: 6 × 1,000).
 */
export function shardCount(n: number, size = SHARD_SIZE): number {
  if (n === 0) return 0;
  const c = Math.ceil(n / size);
  return c % 2 === 1 && n >= 0.4 * size ? c + 1 : c;
}

// One preparation at a time per process: each already uses every core.
let running: Promise<unknown> = Promise.resolve();

/**
 * Turns labelled images into Arrow shards of uint8 RGB crops for one geometry, with a manifest.
 * Each shard is keyed by the content that decides it (image ids, labels, file sizes and mtimes,
 * geometry, filter, library versions): a shard whose key and file are unchanged is kept, a missing
 * or changed one is rebuilt alone, so the same inputs again cost a stat per image. Shards are
 * written atomically and recorded in `.progress.json` as they finish, so a crashed run resumes
 * after its last finished shard. Bad labels and duplicate ids fail before any work (InputError);
 * images that cannot be decoded are left out and listed in the manifest's failed list.
 */
export function prepareDataset(req: PrepareRequest): Promise<{ dir: string; manifest: DatasetManifest; stats: PrepareStats }> {
  const mine = running.then(() => prepareNow(req));
  running = mine.catch(() => undefined);
  return mine;
}

async function prepareNow(req: PrepareRequest): Promise<{ dir: string; manifest: DatasetManifest; stats: PrepareStats }> {
  const t0 = performance.now();
  checkImages(req.images);
  const images = [...req.images].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const dir = datasetDir(req, images);
  const plan = await planShards(dir, images, req);
  const key = createHash('sha256').update(plan.map((s) => s.key).join('\n')).digest('hex').slice(0, 16);
  const manifestFile = path.join(dir, 'manifest.json');
  const progressFile = path.join(dir, '.progress.json');

  // Shards already built with the same key and intact on disk: from the last manifest or a crashed run.
  const known = new Map<string, ShardEntry>();
  for (const f of [manifestFile, progressFile]) {
    const m = await readJsonIfExists<{ shards?: ShardEntry[] }>(f).catch(() => undefined);
    for (const s of m?.shards ?? []) if (s && typeof s.key === 'string' && typeof s.bytes === 'number') known.set(`${s.file}\t${s.key}`, s);
  }
  const entries: (ShardEntry | undefined)[] = await Promise.all(plan.map(async (s) => {
    const prior = known.get(`${s.file}\t${s.key}`);
    return prior && (await shardIntact(dir, prior)) ? prior : undefined;
  }));
  const reused = entries.filter(Boolean).length;
  const existing = await readJsonIfExists<DatasetManifest>(manifestFile).catch(() => undefined);
  const unlabelled = (req.failedInputs ?? []).map((f) => f.id).sort().join('\n');
  const sameInputs = existing?.labelSource === req.labelSource
    && existing.failed.filter((f) => !existing.shards.some((s) => s.failed?.some((x) => x.id === f.id))).map((f) => f.id).sort().join('\n') === unlabelled;
  if (reused === plan.length && existing?.key === key && sameInputs && sameEntries(existing.shards, entries as ShardEntry[])) {
    req.onShard?.(plan.length, plan.length);
    return { dir, manifest: existing, stats: { built: 0, reused, seconds: (performance.now() - t0) / 1000 } };
  }
  req.onShard?.(reused, plan.length);

  let done = reused;
  const jobs: ShardJob[] = plan.filter((_, i) => !entries[i]).map((s) => ({
    index: s.index, file: path.join(dir, s.file), images: s.images, geometry: req.geometry, filter: req.resizeFilter, inFlight: req.inFlight ?? IN_FLIGHT,
  }));
  const onDone = async (r: ShardResult) => {
    const s = plan[r.index]!;
    entries[r.index] = {
      file: s.file, n: r.n, sha256: r.sha256, key: s.key, bytes: r.bytes, mtimeMs: r.mtimeMs,
      first: s.images[0]!.id, last: s.images.at(-1)!.id, failed: r.failed,
    };
    await writeJsonAtomic(progressFile, { key, shards: entries.filter(Boolean) });
    req.onShard?.(++done, plan.length);
  };
  await runShardJobs(jobs, { processes: req.processes ?? defaultProcesses(images.length), onDone, signal: req.signal });

  const shards = entries as ShardEntry[];
  const failed = [...(req.failedInputs ?? []), ...shards.flatMap((s) => s.failed ?? [])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const stored = shards.reduce((a, s) => a + s.n, 0);
  const failedIds = new Set(shards.flatMap((s) => (s.failed ?? []).map((f) => f.id)));
  const manifest: DatasetManifest = {
    key, geometry: req.geometry, resizeFilter: req.resizeFilter, pilFilter: PIL_FILTERS[req.resizeFilter].toUpperCase(), labelSource: req.labelSource,
    n: stored,
    counts: {
      inputs: images.length + (req.failedInputs?.length ?? 0), images: stored, failed: failed.length, shards: shards.length,
      classes: new Set(images.filter((img) => !failedIds.has(img.id)).map((img) => img.label)).size,
    },
    failed, shards, versions: versions(), createdAt: new Date().toISOString(),
  };
  await writeJsonAtomic(manifestFile, manifest);
  await rm(progressFile, { force: true });
  await removeStale(dir, new Set(shards.map((s) => s.file)));
  return { dir, manifest, stats: { built: jobs.length, reused, seconds: (performance.now() - t0) / 1000 } };
}

/** Labels in 0..999 and unique ids, before any work: the error names the image. */
function checkImages(images: LabelledImage[]): void {
  if (images.length === 0) throw new InputError('no labelled images to prepare');
  const seen = new Map<string, string>();
  for (const img of images) {
    if (!Number.isInteger(img.label) || img.label < 0 || img.label > 999) throw new InputError(`image ${img.file} has label ${img.label}, outside 0..999`);
    const prev = seen.get(img.id);
    if (prev !== undefined) throw new InputError(`duplicate image id ${img.id}: ${prev} and ${img.file}`);
    seen.set(img.id, img.file);
  }
}

/** `outDir`, or under `cacheRoot` a folder named by geometry, filter and the labelled id list. */
function datasetDir(req: PrepareRequest, images: LabelledImage[]): string {
  if (req.outDir) return path.resolve(req.outDir);
  if (!req.cacheRoot) throw new Error('prepareDataset needs outDir or cacheRoot');
  const h = createHash('sha256');
  for (const img of images) h.update(`${img.id}\t${img.label}\n`);
  return path.join(req.cacheRoot, `${geometryName(req.geometry)}-${req.resizeFilter}-${h.digest('hex').slice(0, 16)}`);
}

async function planShards(dir: string, images: LabelledImage[], req: PrepareRequest): Promise<PlannedShard[]> {
  // Sizes and mtimes stand for the files' content (a re-encoded image changes its shard's key).
  const stats: string[] = new Array(images.length);
  for (let i = 0; i < images.length; i += 256) {
    await Promise.all(images.slice(i, i + 256).map(async (img, j) => {
      const st = await stat(img.file).catch(() => undefined);
      stats[i + j] = st ? `${st.size}\t${Math.round(st.mtimeMs)}` : 'missing';
    }));
  }
  const size = req.shardSize ?? SHARD_SIZE;
  const count = shardCount(images.length, size);
  const { node: _node, ...v } = versions();
  const head = JSON.stringify({ g: req.geometry, f: req.resizeFilter, v, size });
  return Array.from({ length: count }, (_, s) => {
    const from = Math.floor((s * images.length) / count);
    const to = Math.floor(((s + 1) * images.length) / count);
    const h = createHash('sha256').update(head);
    for (let i = from; i < to; i++) h.update(`\n${images[i]!.id}\t${images[i]!.label}\t${path.basename(images[i]!.file)}\t${stats[i]}`);
    return { index: s, file: `shard-${String(s).padStart(5, '0')}.arrow`, images: images.slice(from, to), key: h.digest('hex').slice(0, 24) };
  });
}

/** A recorded shard is intact when its size and mtime are unchanged, or else its sha256 still matches. */
async function shardIntact(dir: string, entry: ShardEntry): Promise<boolean> {
  const file = path.join(dir, entry.file);
  const st = await stat(file).catch(() => undefined);
  if (!st || st.size !== entry.bytes) return false;
  if (st.mtimeMs === entry.mtimeMs) return true;
  const sha = await sha256File(file);
  if (sha !== entry.sha256) return false;
  entry.mtimeMs = st.mtimeMs;
  return true;
}

function sameEntries(a: ShardEntry[], b: ShardEntry[]): boolean {
  return a.length === b.length && a.every((s, i) => s.file === b[i]!.file && s.key === b[i]!.key && s.sha256 === b[i]!.sha256 && s.mtimeMs === b[i]!.mtimeMs);
}

/** Shards of an earlier, larger plan and temporary files of crashed writers. */
async function removeStale(dir: string, keep: Set<string>): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    if (/^shard-\d+\.arrow$/.test(name) && !keep.has(name)) await rm(file, { force: true });
    else if (name.endsWith('.tmp')) {
      const st = await stat(file).catch(() => undefined);
      // Another process may be writing it right now: only old ones are debris.
      if (st && now - st.mtimeMs > 3_600_000) await rm(file, { force: true });
    }
  }
}
