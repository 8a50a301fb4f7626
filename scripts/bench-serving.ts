/**
 * The serving load generator against an independent one (issue 21): scripts/python/serving_reference.py,
 * LoadGen's rules written again in Python. Two measurements, each alternating ours and theirs,
 * repetition after repetition (the host is noisy: side by side, repeated, every repetition kept):
 *
 * 1. Overhead: the Server scenario on a null system under test (instances that return at once,
 *    through the same worker-thread messages as a model): achieved against target QPS, the latency
 *    each query gets from its scheduled arrival to its completion (all of it the harness's), and
 *    how late queries are issued.
 * 2. With --model: one kit model served at a fixed QPS, batching off, one instance of 2 threads, both
 *    sides fed bit for bit the same preprocessed samples (ours written to a raw file for Python);
 *    the bound is 4 × our SingleStream p50, measured first. The p99 and p50 of each repetition, every run
 *    to its end on both sides (ours is not given up when certain to fail).
 *
 * The results go to docs/benchmarks/serving-<date>.json; without --measure the script prints the
 * summary of the newest such file (the lines docs/BENCHMARKS.md quotes):
 *
 *   npm run bench:serving -- --measure [--model squeezenet1.1_zoo-weights_opset13 --qps 50]   # ~6 min
 *   npm run bench:serving [-- --file docs/benchmarks/serving-2026-12-03.json]
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dataDir, kitDir } from '../src/config/settings.js';
import { kitImages } from '../src/prepare/kit.js';
import { prepareDataset } from '../src/prepare/prepare.js';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import { runServing, type ServingRunRequest } from '../src/serving/serving-run.js';
import { TORCHVISION_PREPROCESSING } from '../src/study/catalog.js';
import { fromPython, modelOf, oursServer, pythonServer, referencePython, singleSampleInput, writeSamples, type Harness, type ServerRun } from './serving-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = path.join(ROOT, 'docs/benchmarks');
const { values: args } = parseArgs({ options: {
  measure: { type: 'boolean', default: false },
  file: { type: 'string' },
  model: { type: 'string' },
  qps: { type: 'string' },
  shard: { type: 'string' },
  reps: { type: 'string', default: '3' },
  seconds: { type: 'string', default: '10' },
} });

const NULL_QPS = [200, 500, 1000];
const NULL_BOUND_MS = 10;
const MIN_QUERIES = 1000;
const SAMPLES = 64;
const THREADS = 2;

interface Results {
  date: string;
  command: string;
  host: { cpu: string; cores: number; loadavg_1m_before: number; node: string; python_onnxruntime: string };
  null_sut: { bound_ms: number; min_duration_s: number; min_queries: number; repetitions: number; runs: ServerRun[] };
  model: null | {
    id: string; path: string; qps: number; threads: number; samples: number; samples_sha256: string;
    single_stream_p50_ms: number; single_stream_queries: number; bound_ms: number;
    min_duration_s: number; min_queries: number; repetitions: number; runs: ServerRun[];
    /** Our runs went to the end even when certain to fail, as Python's do (absent in files from before this was so). */
    whole_runs?: boolean;
  };
}

// ---------------------------------------------------------------------------------------------------
// Measuring

const progress = (r: ServerRun, host: string) => console.error(
  `${host} | ${r.harness} rep ${r.rep} @ ${r.target_qps} QPS: achieved ${r.achieved_qps.toFixed(1)}${r.scheduled_qps ? ` (scheduled ${r.scheduled_qps.toFixed(1)})` : ''}, mean ${r.mean_ms.toFixed(3)} ms, `
  + `p99 ${r.p99_ms.toFixed(3)} ms, issue lag ${r.issue_lag_mean_ms.toFixed(3)} ms, ${r.queries} queries, ${r.valid ? 'valid' : `invalid${r.invalid_reasons ? ` (${r.invalid_reasons.join('; ')})` : ''}`}`,
);

/** The first shard of the kit's val_227 images (the first 64), prepared once into the data cache. */
async function defaultShard(): Promise<string> {
  const { dir, manifest } = await prepareDataset({
    images: await kitImages(kitDir(), 'val_227', SAMPLES), geometry: { resize: 256, crop: 224 }, resizeFilter: 'linear',
    labelSource: 'kit', cacheRoot: path.join(dataDir(), 'cache', 'datasets'),
  });
  return path.join(dir, manifest.shards[0]!.file);
}

async function measure(): Promise<string> {
  const reps = Number(args.reps);
  const seconds = Number(args.seconds);
  const host = `${os.cpus()[0]?.model} (${os.availableParallelism()} cores)`;
  const { py, onnxruntime: pyOrt } = await referencePython();
  const shardFile = args.shard ? path.resolve(args.shard) : await defaultShard();
  const loadBefore = os.loadavg()[0]!;
  console.error(`${host}; load ${loadBefore.toFixed(2)}; shard ${shardFile}`);
  const limits = { minDurationMs: seconds * 1000, minQueries: MIN_QUERIES, maxDurationMs: seconds * 1000 * 6 };
  const base: Omit<ServingRunRequest, 'targetQps' | 'seed'> = {
    modelPath: null, runtime: onnxruntime.id, provider: 'cpu', inputDtype: 'float32', fixedBatch: null,
    preprocessing: TORCHVISION_PREPROCESSING, shardFile, crop: 224, sampleCount: SAMPLES,
    scheduler: { maxBatch: 1, maxQueueDelayMs: 0, instances: 1, threadsPerInstance: 1, spinning: false },
    scenario: 'server', samplesPerQuery: 1, boundMs: NULL_BOUND_MS, percentile: 0.99, limits, warmupSeconds: 1,
  };

  const nullRuns: ServerRun[] = [];
  for (const qps of NULL_QPS) {
    for (let rep = 1; rep <= reps; rep++) {
      const seed = rep;
      const a = await oursServer({ ...base, targetQps: qps, seed }, rep);
      progress(a, host);
      const b = fromPython(await pythonServer(py, ['--scenario', 'server', '--null', '--qps', String(qps), '--bound-ms', String(NULL_BOUND_MS),
        '--min-duration', String(seconds), '--min-queries', String(MIN_QUERIES), '--seed', String(seed)]), rep, seed);
      progress(b, host);
      nullRuns.push(a, b);
    }
  }

  let model: Results['model'] = null;
  if (args.model) {
    if (!args.qps) throw new Error('--model needs --qps');
    const qps = Number(args.qps);
    const m = await modelOf(args.model);
    const { inputDtype, fixedBatch } = await singleSampleInput(m);
    const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-serving-'));
    try {
      const { raw, count, shape, sha256 } = await writeSamples(m, inputDtype, shardFile, SAMPLES, work);
      const modelReq = {
        ...base, modelPath: m.path, inputDtype, fixedBatch, preprocessing: m.preprocessing, crop: m.preprocessing.crop,
        scheduler: { maxBatch: 1, maxQueueDelayMs: 0, instances: 1, threadsPerInstance: THREADS, spinning: true }, warmupSeconds: 2,
        // Whole runs, as Python's: a run given up on would give a p99 over its first queries only.
        stopWhenCertainToFail: false,
      };
      const ss = await runServing({ ...modelReq, scenario: 'single-stream', targetQps: null, boundMs: null, seed: 1,
        limits: { minDurationMs: 5000, minQueries: 256, maxDurationMs: 60000 } });
      const p50 = ss.figures.p50_ms!;
      const bound = 4 * p50;
      console.error(`${host} | ${m.id} SingleStream p50 ${p50.toFixed(3)} ms (${ss.figures.queries} queries): bound ${bound.toFixed(3)} ms`);
      const runs: ServerRun[] = [];
      for (let rep = 1; rep <= reps; rep++) {
        const a = await oursServer({ ...modelReq, targetQps: qps, boundMs: bound, seed: rep }, rep);
        progress(a, host);
        const b = fromPython(await pythonServer(py, ['--scenario', 'server', '--qps', String(qps), '--bound-ms', String(bound),
          '--model', m.path, '--samples', raw, '--dtype', inputDtype, '--shape', shape.join(','), '--threads', String(THREADS),
          '--min-duration', String(seconds), '--min-queries', String(MIN_QUERIES), '--seed', String(rep)]), rep, rep);
        progress(b, host);
        runs.push(a, b);
      }
      model = {
        id: m.id, path: path.relative(ROOT, m.path), qps, threads: THREADS, samples: count,
        samples_sha256: sha256,
        single_stream_p50_ms: p50, single_stream_queries: ss.figures.queries, bound_ms: bound,
        min_duration_s: seconds, min_queries: MIN_QUERIES, repetitions: reps, runs, whole_runs: true,
      };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench:serving -- --measure${args.model ? ` --model ${args.model} --qps ${args.qps}` : ''}`;
  const results: Results = {
    date, command,
    host: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), loadavg_1m_before: loadBefore, node: process.version, python_onnxruntime: pyOrt },
    null_sut: { bound_ms: NULL_BOUND_MS, min_duration_s: seconds, min_queries: MIN_QUERIES, repetitions: reps, runs: nullRuns },
    model,
  };
  const file = path.join(DOCS, `serving-${date}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

// ---------------------------------------------------------------------------------------------------
// The summary, from a results file

/** Ours gives a run up once it cannot pass: its figures then cover only part of it, lower bounds. */
const givenUp = (x: ServerRun) => x.invalid_reasons?.some((r) => r.startsWith('given up')) ?? false;
const ms = (x: ServerRun, v: number) => `${givenUp(x) ? '≥' : ''}${v.toFixed(3)}`;
const verdict = (x: ServerRun) => (x.valid ? 'yes' : givenUp(x) ? 'no, given up' : 'no');
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
/** Median and range of the repetitions: the range is the spread the doc states. */
const mr = (xs: number[], digits: number) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

async function newestResults(): Promise<string> {
  const files = (await readdir(DOCS)).filter((f) => /^serving-\d{4}-\d{2}-\d{2}\.json$/.test(f)).sort();
  if (!files.length) throw new Error(`no serving-<date>.json in ${DOCS}: run \`npm run bench:serving -- --measure\` first`);
  return path.join(DOCS, files.at(-1)!);
}

function summarize(file: string, r: Results): string {
  const lines: string[] = [];
  const say = (s = '') => lines.push(s);
  const host = `Host: ${r.host.cpu} (${r.host.cores} cores), load ${r.host.loadavg_1m_before.toFixed(2)} before; node ${r.host.node}, Python onnxruntime ${r.host.python_onnxruntime}.`;
  const n = r.null_sut;
  say(`${host} Results: ${path.relative(ROOT, file)}. Command: \`${r.command}\`.`);
  say();
  say(`Null system under test, Server, bound ${n.bound_ms} ms, runs of at least ${n.min_duration_s} s and ${n.min_queries} queries, ${n.repetitions} repetitions alternating dnnbench/Python; median (min–max):`);
  say();
  say('| target QPS | harness | achieved QPS | added latency mean ms | added latency p99 ms | issue lag mean ms | valid runs |');
  say('|---|---|---|---|---|---|---|');
  const configs = [...new Set(n.runs.map((x) => x.target_qps))];
  for (const qps of configs) {
    for (const h of ['dnnbench', 'python'] as Harness[]) {
      const xs = n.runs.filter((x) => x.target_qps === qps && x.harness === h);
      say(`| ${qps} | ${h} | ${mr(xs.map((x) => x.achieved_qps), 1)} | ${mr(xs.map((x) => x.mean_ms), 3)} | ${mr(xs.map((x) => x.p99_ms), 3)} | ${mr(xs.map((x) => x.issue_lag_mean_ms), 3)} | ${xs.filter((x) => x.valid).length} of ${xs.length}${xs.some(givenUp) ? ` (${xs.filter(givenUp).length} given up)` : ''} |`);
    }
  }
  say();
  say('Every repetition (null system under test):');
  say();
  say('| target QPS | rep | harness | achieved QPS (scheduled) | mean ms | p50 ms | p99 ms | max ms | issue lag mean ms | queries | valid |');
  say('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const x of n.runs) {
    say(`| ${x.target_qps} | ${x.rep} | ${x.harness} | ${x.achieved_qps.toFixed(1)}${x.scheduled_qps ? ` (${x.scheduled_qps.toFixed(1)})` : ''} | ${ms(x, x.mean_ms)} | ${ms(x, x.p50_ms)} | ${ms(x, x.p99_ms)} | ${ms(x, x.max_ms)} | ${x.issue_lag_mean_ms.toFixed(3)} | ${x.queries} | ${verdict(x)} |`);
  }
  const m = r.model;
  if (m) {
    say();
    say(`${m.id} served at ${m.qps} QPS, batching off, one instance of ${m.threads} threads (spinning), ${m.samples} samples bit for bit the same on both sides; `
      + `SingleStream p50 (dnnbench, ${m.single_stream_queries} queries) ${m.single_stream_p50_ms.toFixed(3)} ms, bound 4× = ${m.bound_ms.toFixed(3)} ms; `
      + `runs of at least ${m.min_duration_s} s and ${m.min_queries} queries${m.whole_runs ? ', every run to its end on both sides' : ''}. ${host}`);
    say();
    say('| rep | dnnbench p99 ms | python p99 ms | dnnbench / python | dnnbench queries | python queries | dnnbench achieved QPS | python achieved QPS | dnnbench valid | python valid |');
    say('|---|---|---|---|---|---|---|---|---|---|');
    const ourRuns = m.runs.filter((x) => x.harness === 'dnnbench');
    const theirRuns = m.runs.filter((x) => x.harness === 'python');
    for (const a of ourRuns) {
      const b = theirRuns.find((x) => x.rep === a.rep)!;
      say(`| ${a.rep} | ${ms(a, a.p99_ms)} | ${ms(b, b.p99_ms)} | ${(a.p99_ms / b.p99_ms).toFixed(3)} | ${a.queries} | ${b.queries} | ${a.achieved_qps.toFixed(1)} | ${b.achieved_qps.toFixed(1)} | ${verdict(a)} | ${verdict(b)} |`);
    }
    say();
    const pa = ourRuns.map((x) => x.p99_ms);
    const pb = theirRuns.map((x) => x.p99_ms);
    say(`- p99 median (min–max): dnnbench ${mr(pa, 3)} ms, Python ${mr(pb, 3)} ms; ratio of the medians ${(median(pa) / median(pb)).toFixed(3)}; `
      + `dnnbench runs given up (p99 a lower bound over part of the run): ${ourRuns.filter(givenUp).length} of ${ourRuns.length}.`);
    if (m.whole_runs) {
      const qa = ourRuns.map((x) => x.p50_ms);
      const qb = theirRuns.map((x) => x.p50_ms);
      say(`- p50 median (min–max): dnnbench ${mr(qa, 3)} ms, Python ${mr(qb, 3)} ms; ratio of the medians ${(median(qa) / median(qb)).toFixed(3)}.`);
    }
  }
  return lines.join('\n');
}

const file = args.measure ? await measure() : path.resolve(args.file ?? await newestResults());
console.log(summarize(file, JSON.parse(await readFile(file, 'utf8')) as Results));
