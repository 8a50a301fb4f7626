/**
 * Does the Offline scenario reach the batch sweep's best throughput? (issue 21: "Offline throughput
 * should reach at least 95% of the best images/s of the batch sweep for the same model".) Offline
 * offers every sample at once through the serving stack (load generator, dynamic batcher, instance
 * worker thread); the sweep times one batch at a time on a session in its own process. Where Offline
 * falls short of the sweep's best, the gap is what the serving stack costs when nothing waits.
 *
 * Per model, each round runs every setting once in a fresh process, in an order rotated each round
 * so that a slow minute of the host falls on all of them:
 * - the sweep's cells at batch 1, 2, 4 and 8 (src/latency/cell-process.ts, SPEC.md's run minimums:
 *   >= 10 warm-up runs and 1 s, >= 50 timed runs and 3 s), images/s from the p50;
 * - Offline (src/serving/serving-process.ts) with batching off, and with the dynamic batcher forming
 *   batches of up to 4 and 8 (2 ms queue delay): one instance of all the cores' threads, at least
 *   `--seconds` and 1,024 samples, samples/s;
 * - the same with one instance per core, each of one thread (`--instances-per-core`, on by default):
 *   the scheduler's other way to use the cores (issue 21, item 2), which the sweep's one session of
 *   all the threads has no counterpart of. Files from before it have no such rows.
 * A round's ratio is its Offline samples/s over the best sweep images/s of the same round; the summary
 * gives the median over rounds with the smallest and largest. A sweep cell's images/s is from its p50,
 * as latency.parquet's is; Offline's is a whole pass, slow batches included, so the sweep's figure
 * from the mean of its runs is given beside it, and Offline set against that too.
 *
 *   npm run bench:offline -- --measure --file docs/benchmarks/offline-DATE.json [--model ID ...] [--rounds 3] [--seconds 10]   # ~7 min for 2 models
 *   npm run bench:offline -- --file docs/benchmarks/offline-DATE.json                                                    # the summary
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dataDir, kitDir } from '../src/config/settings.js';
import { probeHost } from '../src/host/probe-host.js';
import { measureCellInProcess } from '../src/latency/cell-process.js';
import { kitImages } from '../src/prepare/kit.js';
import { prepareDataset } from '../src/prepare/prepare.js';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import { runServingInProcess } from '../src/serving/serving-process.js';
import { median } from '../src/stats/quantiles.js';
import { modelOf, singleSampleInput } from './serving-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: {
  measure: { type: 'boolean', default: false },
  file: { type: 'string' },
  model: { type: 'string', multiple: true, default: ['squeezenet1.1_zoo-weights_opset13', 'mobilenetv2-12-int8'] },
  rounds: { type: 'string', default: '3' },
  seconds: { type: 'string', default: '10' },
  'instances-per-core': { type: 'boolean', default: true },
} });

const SWEEP_BATCHES = [1, 2, 4, 8];
const OFFLINE_MAX_BATCHES = [1, 4, 8];
const QUEUE_DELAY_MS = 2;
const MIN_SAMPLES = 1024;
/** SPEC.md's minimums for a latency cell's runs. */
const SWEEP_TIMING = { warmupRuns: 10, warmupSeconds: 1, minRuns: 50, minSeconds: 3 };

/** `instances` absent: one instance of all the threads (every file from before the setting was added). */
type Setting = { kind: 'sweep'; batch: number } | { kind: 'offline'; maxBatch: number; instances?: number };
interface Measured {
  model: string; round: number; setting: Setting;
  /** Sweep: from the cell's p50; Offline: samples over the pass. */
  images_per_s: number;
  /** Sweep: from the mean of its timed runs, the statistic Offline's pass is (absent in files before it was recorded). */
  images_per_s_mean?: number;
  p50_ms?: number; samples?: number; mean_batch?: number;
}
export interface OfflineBench {
  date: string;
  command: string;
  host: { cpu: string; cores: number; node: string };
  threads: number;
  seconds: number;
  results: Measured[];
}

const instancesOf = (s: Setting) => (s.kind === 'offline' ? s.instances ?? 1 : 1);
const label = (s: Setting) => (s.kind === 'sweep' ? `sweep b${s.batch}` : `offline ≤${s.maxBatch}${instancesOf(s) > 1 ? ` ×${instancesOf(s)}` : ''}`);

async function measure(file: string): Promise<void> {
  const threads = os.availableParallelism();
  const seconds = Number(args.seconds);
  const rounds = Number(args.rounds);
  if (!(seconds > 0) || !(rounds >= 1)) throw new Error('--seconds and --rounds take positive numbers');
  const kit = kitDir();
  const host = await probeHost();
  const instanceCounts = args['instances-per-core'] && threads > 1 ? [1, threads] : [1];
  const settings: Setting[] = [
    ...SWEEP_BATCHES.map((batch) => ({ kind: 'sweep' as const, batch })),
    ...instanceCounts.flatMap((instances) => OFFLINE_MAX_BATCHES.map((maxBatch) => ({ kind: 'offline' as const, maxBatch, instances }))),
  ];
  const results: Measured[] = [];
  for (const id of args.model!) {
    const m = await modelOf(id);
    const { inputDtype, fixedBatch } = await singleSampleInput(m);
    const { dir, manifest } = await prepareDataset({
      images: await kitImages(kit, 'val_227', 64), geometry: { resize: m.preprocessing.resize, crop: m.preprocessing.crop }, resizeFilter: 'linear',
      labelSource: `${kit}/manifest.json`, cacheRoot: path.join(dataDir(), 'cache', 'datasets'),
    });
    const shardFile = path.join(dir, manifest.shards[0]!.file);
    for (let round = 1; round <= rounds; round++) {
      // Rotate the order each round, so no setting always follows the same one.
      for (const s of settings.map((_, i) => settings[(i + round - 1) % settings.length]!)) {
        if (s.kind === 'sweep') {
          const { measurement: c } = await measureCellInProcess({
            model: m, modelPath: m.path, batchSize: s.batch, timing: SWEEP_TIMING, provider: 'cpu', threads, shardFile, crop: m.preprocessing.crop, host,
          });
          results.push({ model: m.id, round, setting: s, images_per_s: (s.batch * 1000) / c.p50_ms, images_per_s_mean: (s.batch * 1000) / c.mean_ms, p50_ms: c.p50_ms });
        } else {
          const r = await runServingInProcess({
            modelPath: m.path, runtime: onnxruntime.id, provider: 'cpu', inputDtype, fixedBatch, preprocessing: m.preprocessing, shardFile, crop: m.preprocessing.crop,
            sampleCount: 64, scheduler: { maxBatch: s.maxBatch, maxQueueDelayMs: s.maxBatch > 1 ? QUEUE_DELAY_MS : 0, instances: instancesOf(s), threadsPerInstance: threads / instancesOf(s), spinning: true },
            scenario: 'offline', samplesPerQuery: 1, targetQps: null, seed: round, boundMs: null, percentile: 0.99,
            limits: { minDurationMs: seconds * 1000, minQueries: MIN_SAMPLES, maxDurationMs: seconds * 1000 * 6 }, warmupSeconds: 2,
          });
          results.push({ model: m.id, round, setting: s, images_per_s: r.figures.samples_per_s, samples: r.figures.samples, mean_batch: r.meanBatch });
        }
        console.error(`${m.id} round ${round} ${label(s)}: ${results.at(-1)!.images_per_s.toFixed(1)} images/s`);
      }
    }
  }
  const bench: OfflineBench = {
    date: new Date().toISOString(),
    command: `npm run bench:offline -- --measure ${args.model!.map((id) => `--model ${id}`).join(' ')} --rounds ${rounds} --seconds ${seconds}${instanceCounts.length > 1 ? '' : ' --no-instances-per-core'}`,
    host: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: threads, node: process.version }, threads, seconds, results,
  };
  await writeFile(file, `${JSON.stringify(bench, null, 1)}\n`);
}

const verdict = (ratios: number[]) => (ratios.every((x) => x >= 0.95) ? 'at least 0.95 in every round' : ratios.some((x) => x >= 0.95) ? 'at least 0.95 in some rounds, not all' : 'below 0.95 in every round');

/** The summary docs/BENCHMARKS.md quotes, every figure from the file. */
export function summary(b: OfflineBench): string {
  const f = (x: number) => x.toFixed(1);
  const spread = (xs: number[], d = f) => `${d(median(xs))} (${d(Math.min(...xs))}–${d(Math.max(...xs))})`;
  const rounds = [...new Set(b.results.map((r) => r.round))];
  // The instance count of the one-instance-per-core settings; undefined in files from before them.
  const perCore = b.results.map((r) => instancesOf(r.setting)).find((n) => n > 1);
  const threadsEach = perCore ? b.threads / perCore : 0;
  const instances = perCore ? `one instance of ${b.threads} threads, or ${perCore} instances of ${threadsEach} thread${threadsEach === 1 ? '' : 's'} each` : 'one instance';
  const lines = [
    `Host: ${b.host.cpu} (${b.host.cores} cores), node ${b.host.node}; ${b.threads} threads, ${instances}. ${rounds.length} rounds, every setting in a fresh process once per round. `
      + `Sweep cells: >= 10 warm-up runs and 1 s, >= 50 timed runs and 3 s, images/s from the p50. Offline: >= ${b.seconds} s and ${MIN_SAMPLES} samples. `
      + 'Median over rounds (min–max); the ratio is per round, Offline over that round\'s best sweep cell.',
    '',
  ];
  for (const model of [...new Set(b.results.map((r) => r.model))]) {
    const rows = b.results.filter((r) => r.model === model);
    const best = new Map(rounds.map((round) => [round, Math.max(...rows.filter((r) => r.round === round && r.setting.kind === 'sweep').map((r) => r.images_per_s))]));
    const bestBatch = (round: number) => rows.find((r) => r.round === round && r.setting.kind === 'sweep' && r.images_per_s === best.get(round))!;
    const withMean = rows.some((r) => r.images_per_s_mean !== undefined);
    lines.push(`${model}:`, '', `| setting | images/s | / best sweep cell of the round |${withMean ? ' images/s from the mean |' : ''}`, `|---|---|---|${withMean ? '---|' : ''}`);
    for (const batch of SWEEP_BATCHES) {
      const xs = rows.filter((r) => r.setting.kind === 'sweep' && r.setting.batch === batch);
      const mean = withMean ? ` ${spread(xs.map((r) => r.images_per_s_mean!))} |` : '';
      lines.push(`| sweep b${batch} | ${spread(xs.map((r) => r.images_per_s))} | ${spread(xs.map((r) => r.images_per_s / best.get(r.round)!), (x) => x.toFixed(3))} |${mean}`);
    }
    for (const instances of perCore ? [1, perCore] : [1]) {
      for (const maxBatch of OFFLINE_MAX_BATCHES) {
        const xs = rows.filter((r) => r.setting.kind === 'offline' && r.setting.maxBatch === maxBatch && instancesOf(r.setting) === instances);
        const name = `Offline, ${maxBatch === 1 ? 'batching off' : `batches up to ${maxBatch}`}${instances > 1 ? `, ${instances} instances` : ''}`;
        lines.push(`| ${name} | ${spread(xs.map((r) => r.images_per_s))} | ${spread(xs.map((r) => r.images_per_s / best.get(r.round)!), (x) => x.toFixed(3))} |${withMean ? ' |' : ''}`);
      }
    }
    const bestOffline = rounds.map((round) => Math.max(...rows.filter((r) => r.round === round && r.setting.kind === 'offline').map((r) => r.images_per_s)));
    const ratios = rounds.map((round, i) => bestOffline[i]! / best.get(round)!);
    const bests = rounds.map((round) => label(bestBatch(round).setting)).join(', ');
    lines.push('', `Best sweep cell by round: ${bests}. Best Offline setting over best sweep cell, per round: ${ratios.map((x) => x.toFixed(3)).join(', ')}: `
      + `${verdict(ratios)}.`);
    if (perCore) {
      const offlineOf = (round: number) => rows.filter((r) => r.round === round && r.setting.kind === 'offline');
      const bestSetting = rounds.map((round, i) => label(offlineOf(round).find((r) => r.images_per_s === bestOffline[i])!.setting));
      const oneInstance = rounds.map((round) => Math.max(...offlineOf(round).filter((r) => instancesOf(r.setting) === 1).map((r) => r.images_per_s)) / best.get(round)!);
      lines.push(`Best Offline setting by round: ${bestSetting.join(', ')}. With one instance only, per round: ${oneInstance.map((x) => x.toFixed(3)).join(', ')}: ${verdict(oneInstance)}.`);
    }
    if (withMean) {
      const byMean = rounds.map((round, i) => bestOffline[i]! / Math.max(...rows.filter((r) => r.round === round && r.setting.kind === 'sweep').map((r) => r.images_per_s_mean!)));
      lines.push(`Against the best sweep cell by its mean, per round: ${byMean.map((x) => x.toFixed(3)).join(', ')}: ${verdict(byMean)}.`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}`;
}

try {
  if (!args.file) throw new Error('give --file FILE.json (with --measure: where the results go)');
  const file = path.resolve(ROOT, args.file);
  if (args.measure) await measure(file);
  process.stdout.write(summary(JSON.parse(await readFile(file, 'utf8')) as OfflineBench));
} catch (err) {
  process.stderr.write(`bench:offline: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
