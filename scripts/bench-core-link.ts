/**
 * Does the round trip between two cores (src/host/core-link-probe.ts) follow what makes a
 * multi-threaded cell slow on this host? One session per model and thread count, in this process,
 * timed in one-second windows for --seconds windows, the round trip read after each window. Thread
 * counts alternate model by model (2, 1, 2, 1 …) so a slow minute of the host does not land on
 * one of them. Each window gets the p50 of its runs; a window is in the "slow link" state when its
 * reading exceeds 2× the lower quartile of all the run's readings, every row's (the rule a study
 * discards repetitions by, against all its device's readings: src/host/host-noise.ts coreLinkDisturbance).
 *
 *   npm run bench:core-link -- --measure --file docs/benchmarks/core-link-<host>.json [--seconds 60 --models squeezenet1.1_zoo-weights_opset13:1,resnet50_keras_opset13:1]
 *   npm run bench:core-link -- --file docs/benchmarks/core-link-<host>.json    (the summary of a committed file)
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { kitDir } from '../src/config/settings.js';
import { readCoreLinkNs } from '../src/host/core-link-probe.js';
import { coreLinkReference, DEFAULT_NOISE_THRESHOLDS } from '../src/host/host-noise.js';
import { parseCpuInfo } from '../src/host/cpu-info.js';
import { openClassifier } from '../src/runtime/classifier.js';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import { resolveModel } from '../src/study/catalog.js';
import { median, quantileSorted } from '../src/stats/quantiles.js';
import { pearson } from '../src/stats/correlation.js';

interface Window { p50Ms: number; runs: number; linkNs: number | null }
interface Series { model: string; batch: number; threads: number; windows: Window[] }
interface Results { cpu: string; cores: number; started: string; seconds: number; series: Series[] }

const { values: args } = parseArgs({ options: {
  measure: { type: 'boolean', default: false },
  file: { type: 'string' },
  seconds: { type: 'string', default: '60' },
  models: { type: 'string', default: 'squeezenet1.1_zoo-weights_opset13:1,resnet50_keras_opset13:1' },
  threads: { type: 'string', default: '2,1' },
} });
if (!args.file) throw new Error('bench:core-link: --file names the results file (written with --measure, read without)');

async function measure(): Promise<Results> {
  const kit = kitDir();
  const seconds = Number(args.seconds);
  const started = new Date().toISOString();
  const series: Series[] = [];
  for (const spec of args.models!.split(',')) {
    const [id, b] = spec.split(':');
    const batch = Number(b ?? 1);
    const model = await resolveModel(id!, kit);
    for (const threads of args.threads!.split(',').map(Number)) {
      const m = await openClassifier(onnxruntime, model.path, { provider: 'cpu', threads });
      try {
        // Random values in the model's own input shape: the timing does not depend on the pixels.
        const dims = m.inputDims.map((d, i) => (i === 0 ? batch : typeof d === 'number' ? d : NaN));
        if (dims.some(Number.isNaN)) throw new Error(`${id}: input [${m.inputDims.join(',')}] has symbolic dims besides the batch`);
        const data = Float32Array.from({ length: dims.reduce((a, v) => a * v, 1) }, () => Math.random());
        const feeds = { [m.inputName]: { type: 'float32' as const, data, dims } };
        const warm = performance.now() + 2000;
        while (performance.now() < warm) await m.handle.run(feeds);
        const windows: Window[] = [];
        for (let w = 0; w < seconds; w++) {
          const times: number[] = [];
          const end = performance.now() + 1000;
          while (performance.now() < end) {
            const t0 = performance.now();
            await m.handle.run(feeds);
            times.push(performance.now() - t0);
          }
          windows.push({ p50Ms: median(times), runs: times.length, linkNs: await readCoreLinkNs() });
        }
        series.push({ model: id!, batch, threads, windows });
        process.stderr.write(`${id} b${batch} t${threads}: ${windows.length} windows\n`);
      } finally {
        await m.handle.dispose();
      }
    }
  }
  const cpu = parseCpuInfo(await readFile('/proc/cpuinfo', 'utf8').catch(() => ''));
  const family = cpu.family !== null ? `, CPUID family ${cpu.family} model ${cpu.modelNumber}` : '';
  return { cpu: `${cpu.model}${family}`, cores: os.availableParallelism(), started, seconds, series };
}

function summary(r: Results, file: string): string {
  const factor = DEFAULT_NOISE_THRESHOLDS.maxCoreLinkFactor!;
  const out = [
    `Host: ${r.cpu} (${r.cores} cores), started ${r.started.slice(0, 16).replace('T', ' ')} UTC, ${r.seconds} one-second windows per row. Command: \`npm run bench:core-link -- --file ${file}\`.`,
    '',
    '| model | batch | threads | windows | round trip ns: median, lower quartile, max | slow-link windows | p50 ms, fast link: median [min, max] | p50 ms, slow link: median [min, max] | slow/fast | Pearson r, ln p50 vs ln round trip |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  // One reference for the whole run, as a study judges a repetition against all its device's readings.
  const ref = coreLinkReference(r.series.flatMap((s) => s.windows.flatMap((w) => (w.linkNs === null ? [] : [w.linkNs]))));
  const fmt = (xs: number[]) => (xs.length ? `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}, ${Math.max(...xs).toFixed(2)}]` : '–');
  for (const s of r.series) {
    const read = s.windows.filter((w): w is Window & { linkNs: number } => w.linkNs !== null);
    const links = read.map((w) => w.linkNs);
    const slow = ref === null ? [] : read.filter((w) => w.linkNs > factor * ref);
    const fast = ref === null ? read : read.filter((w) => w.linkNs <= factor * ref);
    const ratio = slow.length && fast.length ? (median(slow.map((w) => w.p50Ms)) / median(fast.map((w) => w.p50Ms))).toFixed(3) : '–';
    const r2 = read.length > 2 ? pearson(read.map((w) => Math.log(w.p50Ms)), links.map(Math.log)).toFixed(2) : '–';
    const sorted = [...links].sort((a, b) => a - b);
    out.push(`| ${s.model} | ${s.batch} | ${s.threads} | ${s.windows.length} | ${links.length ? `${median(links).toFixed(0)}, ${quantileSorted(sorted, 0.25).toFixed(0)}, ${sorted.at(-1)!.toFixed(0)}` : '–'} | ${slow.length} | ${fmt(fast.map((w) => w.p50Ms))} | ${fmt(slow.map((w) => w.p50Ms))} | ${ratio} | ${r2} |`);
  }
  out.push('', `A window is "slow link" when its round trip exceeds ${factor}× the lower quartile of all the run's readings, ${ref?.toFixed(0) ?? '–'} ns, as a study judges a repetition against all its device's readings (src/host/host-noise.ts coreLinkDisturbance); slow/fast is the ratio of the two states' median p50s.`);
  return out.join('\n');
}

const results = args.measure ? await measure() : JSON.parse(await readFile(args.file, 'utf8')) as Results;
if (args.measure) await writeFile(args.file, JSON.stringify(results, null, 1) + '\n');
console.log(summary(results, args.file));
