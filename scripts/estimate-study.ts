/**
 * Estimates how long a study's latency sweep (and accuracy passes) will take on this host, from a
 * few real runs per model, before committing hours to it.
 *
 *   node --import tsx scripts/estimate-study.ts [--preset papers] [--timing warmupRuns,warmupSeconds,minRuns,minSeconds] [--times <study folder>]
 *
 * Per model and runtime variant of the first device (docs/VARIANTS.md; one, at the device's threads,
 * when it has none): the session is created at the variant's threads (timed), then one warm-up and
 * one timed run at batch 1 and at batch 8. Per-image time at batch b is interpolated between those (b ≥ 8 takes batch 8's per-image
 * time, which is what a CPU gives once its cores are busy). The inputs are random values: the time
 * of a dense float model does not depend on them. `--times` takes the run times from an earlier
 * study's latency.parquet instead (its p50 per cell: the host it ran on, as loaded as it was then),
 * which also covers models not exported on this machine; their session creation is then this
 * host's seconds per byte of model file times their file size (the study's models.parquet).
 *
 * A latency cell is R repetitions (src/workflows/device-latency-workflow.ts). One repetition costs
 * its process's start (timing.isolation 'process': measured once here, with the smallest model's
 * session) + one session creation (the activity before it only opens the model graph to pick the
 * file) + the warm-up (src/latency/warmup.ts: its floors, or until two windows of `window` runs
 * agree, which takes about 2·window runs, at most its cap) + the timed runs
 * (max(minRuns·t, minSeconds)). R runs from minRepetitions to maxRepetitions as
 * src/latency/repetition-decision.ts allows within cellBudgetSeconds: below minRepetitions another
 * starts while the budget is not spent (so a repetition longer than the budget leaves the cell at
 * one), beyond it only when it would end within the budget. The sweep is printed at both ends; the
 * real run lies between (it stops repeating once the p50's interval is within targetPrecision),
 * plus a repetition for each one the host disturbs. An accuracy pass costs a session and its
 * images at the accuracy batch size's per-image time.
 */
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { resolveModel, type ResolvedModel } from '../src/study/catalog.js';
import { dataDir, kitDir } from '../src/config/settings.js';
import { prepareDataset } from '../src/prepare/prepare.js';
import { kitImages } from '../src/prepare/kit.js';
import { measureCellInProcess } from '../src/latency/cell-process.js';
import { probeHost } from '../src/host/probe-host.js';
import { presetSpec } from '../src/study/presets.js';
import { parseStudySpec, timingSpec } from '../src/study/study-spec.js';
import { timingBelowSpec } from '../src/study/timing-minimums.js';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import type { ModelHandle, Tensor } from '../src/runtime/runtime.js';

const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const preset = opt('--preset') ?? 'papers';
const presetInput = presetSpec(preset, 'cpu-local');
const timingOverride = opt('--timing')?.split(',').map(Number);
if (timingOverride && (timingOverride.length !== 4 || !timingOverride.every(Number.isFinite))) {
  throw new Error('--timing takes four numbers: warmupRuns,warmupSeconds,minRuns,minSeconds');
}
// The four numbers replace the preset's run minimums; the rest of its timing stays, and the spec
// is validated as a study would validate it.
const spec = parseStudySpec(timingOverride
  ? (([warmupRuns, warmupSeconds, minRuns, minSeconds]) => ({ ...presetInput, timing: { ...presetInput.timing, warmupRuns, warmupSeconds, minRuns, minSeconds } }))(timingOverride)
  : presetInput);
const { timing } = spec;
const kit = spec.dataset.kit ?? kitDir();
const accuracyImages = (await kitImages(kit, spec.dataset.set, spec.dataset.limit)).length;

/** Seconds per image at each batch size of one model (a function: measured runs are interpolated). */
type PerImage = (batchSize: number) => number;

async function timeRun(handle: ModelHandle, model: ResolvedModel, b: number): Promise<number> {
  const { crop, layout } = model.preprocessing;
  const dims = layout === 'NCHW' ? [b, 3, crop, crop] : [b, crop, crop, 3];
  const input = handle.inputs[0]!;
  const n = dims.reduce((a, x) => a * x, 1);
  const tensor: Tensor = input.dtype === 'float16'
    ? { type: 'float16', data: new Uint16Array(n).fill(0x3c00), dims }
    : { type: 'float32', data: Float32Array.from({ length: n }, () => Math.random() - 0.5), dims };
  const feeds = { [input.name]: tensor };
  await handle.run(feeds);
  const t0 = performance.now();
  await handle.run(feeds);
  return (performance.now() - t0) / 1000;
}

/** Opens the model's session (timed) and, unless the runs' times come from elsewhere, times a run at batch 1 and 8. */
async function measureModel(model: ResolvedModel, withRuns: boolean, threads: number): Promise<{ create: number; perImage: PerImage | null }> {
  const t0 = performance.now();
  const handle = await onnxruntime.open(model.path, { threads, interOpThreads: 1, executionMode: 'sequential', graphOptimization: 'all' });
  const create = (performance.now() - t0) / 1000;
  try {
    if (!withRuns) return { create, perImage: null };
    // Fixed-batch models are timed at batch 1 only; their re-batched copies behave like the rest.
    const t1 = await timeRun(handle, model, 1);
    const per8 = handle.fixedBatch === null ? (await timeRun(handle, model, 8)) / 8 : t1;
    return { create, perImage: (b) => (b >= 8 ? per8 : t1 + ((per8 - t1) * (b - 1)) / 7) };
  } finally {
    await handle.dispose();
  }
}

/** An earlier study's p50 per cell and file size per model (its latency and models tables). */
interface StudyTimes { p50Seconds: Map<string, number>; fileBytes: Map<string, number>; randomWeights: Set<string> }
const cellKey = (modelId: string, batchSize: number) => `${modelId} b${batchSize}`;

async function readStudyTimes(dir: string): Promise<StudyTimes> {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const table = (name: string) => `'${path.join(dir, `${name}.parquet`).replaceAll("'", "''")}'`;
  const cells = (await db.runAndReadAll(`select model_id, batch_size, p50_ms from ${table('latency')} where status = 'ok' and p50_ms is not null`)).getRowObjectsJS();
  const models = (await db.runAndReadAll(`select model_id, file_bytes, weights from ${table('models')}`)).getRowObjectsJS();
  return {
    p50Seconds: new Map(cells.map((c) => [cellKey(String(c.model_id), Number(c.batch_size)), Number(c.p50_ms) / 1000])),
    fileBytes: new Map(models.filter((m) => m.file_bytes != null).map((m) => [String(m.model_id), Number(m.file_bytes)])),
    randomWeights: new Set(models.filter((m) => m.weights === 'random').map((m) => String(m.model_id))),
  };
}

/** The study's per-image times for every batch size the spec sweeps (and the accuracy batch), or null when it lacks one. */
function studyPerImage(times: StudyTimes, modelId: string): PerImage | null {
  const needed = [...spec.batchSizes, spec.accuracyBatchSize];
  if (!needed.every((b) => times.p50Seconds.has(cellKey(modelId, b)))) return null;
  return (b) => times.p50Seconds.get(cellKey(modelId, b))! / b;
}

/** Seconds of one repetition's warm-up for runs of t seconds (src/latency/warmup.ts; it runs at least once). */
function warmupSeconds(t: number): number {
  const w = timing.warmup;
  const untilSteady = Math.min(2 * w.window * t, w.maxRuns * t, w.maxSeconds);
  return Math.max(Math.max(timing.warmupRuns, 1) * t, timing.warmupSeconds, untilSteady);
}

function repetitionSeconds(t: number, create: number): number {
  return childStart + create + warmupSeconds(t) + Math.max(timing.minRuns * t, timing.minSeconds);
}

/** The fewest and most repetitions src/latency/repetition-decision.ts gives a cell whose repetitions take `rep` seconds each. */
function repetitionRange(rep: number): { fewest: number; most: number } {
  const budget = timing.cellBudgetSeconds;
  // Rule 2: below minRepetitions, another while the budget is not yet spent.
  const fewest = Math.min(timing.minRepetitions, Math.ceil(budget / rep));
  // Rule 5: beyond it, another only if it ends within the budget.
  const most = Math.max(fewest, Math.min(timing.maxRepetitions, Math.floor(budget / rep)));
  return { fewest, most };
}

/** A repetition timed in its own process (timing.isolation 'process', the default) also pays the child's start: one measured here. */
async function measureChildStart(model: ResolvedModel): Promise<number> {
  if ((timing.isolation ?? 'process') !== 'process') return 0;
  const { dir, manifest } = await prepareDataset({
    images: await kitImages(kit, 'val_227', 8), geometry: { resize: model.preprocessing.resize, crop: model.preprocessing.crop },
    resizeFilter: 'linear', labelSource: `${kit}/manifest.json`, cacheRoot: path.join(dataDir(), 'cache', 'datasets'),
  });
  const host = await probeHost();
  const t0 = performance.now();
  await measureCellInProcess({
    model, modelPath: model.path, batchSize: 1, provider: 'cpu', threads: 1, shardFile: path.join(dir, manifest.shards[0]!.file), crop: model.preprocessing.crop, host,
    timing: timingSpec({ warmupRuns: 0, warmupSeconds: 0, minRuns: 1, minSeconds: 0 }),
  });
  return (performance.now() - t0) / 1000;
}

// The first device's runtime variants (docs/VARIANTS.md): every latency cell is timed once per
// variant, at the variant's threads; a device without variants is one, at its own threads.
const device = spec.devices[0]!;
const deviceThreads = device.threads ?? os.availableParallelism();
const runtimes = (device.variants ?? [undefined]).map((v) => ({ name: v?.name ?? null, threads: v?.threads ?? deviceThreads }));
const timesDir = opt('--times');
const studyTimes = timesDir ? await readStudyTimes(path.resolve(timesDir)) : null;

// Models not on this machine (torchvision architectures not exported here) can still be estimated from --times.
const here = new Map<string, ResolvedModel>();
const notHere = new Map<string, string>();
const ids: string[] = [];
for (const ref of spec.models) {
  try {
    const model = await resolveModel(ref, kit);
    here.set(model.id, model);
    ids.push(model.id);
  } catch (err) {
    const id = typeof ref === 'string' ? ref : ref.id ?? ref.path;
    notHere.set(id, (err as Error).message.split(': ')[0]!);
    ids.push(id);
  }
}
const sizes = await Promise.all([...here.values()].map(async (m) => ({ m, bytes: (await stat(m.path)).size })));
const smallest = sizes.sort((a, b) => a.bytes - b.bytes)[0];
if (!smallest) throw new Error(`none of preset ${preset}'s models is on this machine: export them first (docs/EXPORT.md)`);
const childStart = await measureChildStart(smallest.m);

// Below minRepetitions the budget ends a cell once spent: after k repetitions of budget/k seconds or more.
const shortfallWords = timing.minRepetitions > 1
  ? `, so a repetition of ${(timing.cellBudgetSeconds / (timing.minRepetitions - 1)).toFixed(0)} s or more leaves its cell fewer than ${timing.minRepetitions} (and the verdict 'noisy')`
  : '';
const budgetWords = `a cell stops repeating once its ${timing.cellBudgetSeconds} s budget is spent, and beyond ${timing.minRepetitions} before a repetition that would overrun it${shortfallWords}`;
const runtimeWords = runtimes.map((r) => (r.name ? `${r.name}: ${r.threads} threads` : `${r.threads} threads`)).join(', ');
console.log(`preset ${preset}: ${spec.models.length} models x batch ${spec.batchSizes.join(',')} x ${runtimes.length} runtime variant${runtimes.length > 1 ? 's' : ''} (${runtimeWords}); accuracy on ${accuracyImages} images where measured; run times ${studyTimes ? `from ${timesDir}` : 'measured here'}`);
console.log(`timing ${JSON.stringify({ ...timing, noise: undefined, stability: undefined })}`);
const isolationWords = (timing.isolation ?? 'process') === 'process' ? `each a fresh process (${childStart.toFixed(2)} s to start here)` : 'each in the worker';
console.log(`budget: each cell is ${timing.minRepetitions}-${timing.maxRepetitions} repetitions, ${isolationWords} with its own session, warm-up (>= ${timing.warmupRuns} runs and ${timing.warmupSeconds} s, then until ${timing.warmup.window}-run windows agree within ${timing.warmup.tolerance * 100}%, at most ${timing.warmup.maxSeconds} s) and timed runs (>= ${timing.minRuns} and ${timing.minSeconds} s); ${budgetWords}`);
const below = timingBelowSpec(timing);
console.log(`below SPEC.md's minimums: ${below.length ? `${below.join('; ')} (reason: ${timing.reason ?? 'none given'})` : 'none'}\n`);
console.log('| model | session s | b1 ms | b8 ms/image | repetitions | sweep s at min reps | sweep s at max reps | accuracy s |');
console.log('|---|---|---|---|---|---|---|---|');

const measuredSessions: { create: number; bytes: number }[] = [];
/** One model at one runtime variant; `accuracy` on the first variant's times (the pass runs once per model, with the device's own settings). */
interface Row { id: string; label: string; create: number; perImage: PerImage; weightsRandom: boolean; sessionEstimated: boolean; accuracy: boolean }
const rows: Row[] = [];
const skipped: string[] = [];
for (const id of ids) {
  const model = here.get(id);
  // An earlier study's times are its own device's: they stand in for every runtime variant alike.
  const fromStudy = studyTimes ? studyPerImage(studyTimes, id) : null;
  for (const [i, runtime] of runtimes.entries()) {
    const label = runtime.name ? `${id}@${runtime.name}` : id;
    if (model) {
      const { create, perImage } = await measureModel(model, fromStudy === null, runtime.threads);
      measuredSessions.push({ create, bytes: (await stat(model.path)).size });
      rows.push({ id, label, create, perImage: fromStudy ?? perImage!, weightsRandom: model.weights === 'random', sessionEstimated: false, accuracy: i === 0 });
    } else if (fromStudy && studyTimes!.fileBytes.has(id)) {
      rows.push({ id, label, create: NaN, perImage: fromStudy, weightsRandom: studyTimes!.randomWeights.has(id), sessionEstimated: true, accuracy: i === 0 });
    } else if (i === 0) {
      skipped.push(id);
    }
  }
}
// Sessions of models not here: this host's seconds per byte over the sessions it created.
const secondsPerByte = measuredSessions.reduce((s, m) => s + m.create, 0) / measuredSessions.reduce((s, m) => s + m.bytes, 0);
for (const row of rows) if (row.sessionEstimated) row.create = secondsPerByte * studyTimes!.fileBytes.get(row.id)!;

let latencyLow = 0;
let latencyHigh = 0;
let accuracyTotal = 0;
let shortCells = 0;
for (const { label, create, perImage, weightsRandom, sessionEstimated, accuracy: evaluates } of rows) {
  let low = 0;
  let high = 0;
  let fewestReps = Infinity;
  let mostReps = 0;
  for (const b of spec.batchSizes) {
    const rep = repetitionSeconds(perImage(b) * b, create);
    const { fewest, most } = repetitionRange(rep);
    low += fewest * rep;
    high += most * rep;
    fewestReps = Math.min(fewestReps, fewest);
    mostReps = Math.max(mostReps, most);
    if (fewest < timing.minRepetitions) shortCells++;
  }
  const accuracy = evaluates && device.accuracy && !weightsRandom ? create + accuracyImages * perImage(spec.accuracyBatchSize) : 0;
  latencyLow += low;
  latencyHigh += high;
  accuracyTotal += accuracy;
  const reps = fewestReps === mostReps ? `${fewestReps}` : `${fewestReps}-${mostReps}`;
  console.log(`| ${label} | ${create.toFixed(2)}${sessionEstimated ? ' (est.)' : ''} | ${(perImage(1) * 1000).toFixed(1)} | ${(perImage(8) * 1000).toFixed(1)} | ${reps} | ${low.toFixed(0)} | ${high.toFixed(0)} | ${accuracy.toFixed(0)} |`);
}
const min = (s: number) => (s / 60).toFixed(1);
if (skipped.length) {
  const why = studyTimes ? 'not on this machine, nor all its cells in the study' : 'not on this machine (--times <study folder> can stand in)';
  console.log(`\nskipped, ${why}:\n${skipped.map((id) => `  ${notHere.get(id)}`).join('\n')}`);
}
console.log(`\nlatency sweep ${min(latencyLow)} min at minRepetitions (a lower bound) to ${min(latencyHigh)} min at maxRepetitions (an upper bound, the budget per cell applied); ${shortCells} cells below ${timing.minRepetitions} repetitions for the budget; accuracy ${min(accuracyTotal)} min`);
console.log(`estimated: ${min(latencyLow + accuracyTotal)}-${min(latencyHigh + accuracyTotal)} minutes of measuring (plus dataset preparation per geometry and profiling, about a minute each on first run, and a repetition more for each the host disturbs), load average now ${os.loadavg()[0]!.toFixed(1)}`);
