/**
 * Do the probes of the cores follow what makes a multi-threaded cell slow on this host? The round
 * trip between two cores (src/host/core-link-probe.ts) and the ratio of two threads' loop to one's
 * (src/host/core-share-probe.ts). One session per model and thread count, in this process, timed in
 * one-second windows for --seconds windows, both probes read after each window. Thread counts
 * alternate model by model (2, 1, 2, 1 …) so a slow minute of the host does not land on one of
 * them. Each window gets the p50 of its runs. A window is in the "slow link" state when its round
 * trip exceeds 2× the lower quartile of all the run's readings, every row's; it is "one core" when
 * its ratio exceeds 1.5× the lower quartile of the run's ratios. These are the rules a study
 * discards repetitions by, against all its device's readings (src/host/host-noise.ts
 * coreDisturbances; the ratio's only where timing.noise.maxCoreShareFactor is set). Files written
 * before the ratio was read have no ratios, and their summary has only the round trip's table.
 *
 *   npm run bench:core-link -- --measure --file docs/benchmarks/core-link-<host>.json [--seconds 60 --models squeezenet1.1_zoo-weights_opset13:1,resnet50_keras_opset13:1]
 *   npm run bench:core-link -- --file docs/benchmarks/core-link-<host>.json    (the summary of a committed file)
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { kitDir } from '../src/config/settings.js';
import { readCoreLinkNs } from '../src/host/core-link-probe.js';
import { readCoreShareRatio } from '../src/host/core-share-probe.js';
import { coreProbeReference, DEFAULT_NOISE_THRESHOLDS, ONE_CORE_FACTOR } from '../src/host/host-noise.js';
import { parseCpuInfo } from '../src/host/cpu-info.js';
import { openClassifier } from '../src/runtime/classifier.js';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import { resolveModel } from '../src/study/catalog.js';
import { median, quantileSorted } from '../src/stats/quantiles.js';
import { pearson } from '../src/stats/correlation.js';

/** shareRatio: absent from files written before the ratio was read. */
interface Window { p50Ms: number; runs: number; linkNs: number | null; shareRatio?: number | null }
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
          windows.push({ p50Ms: median(times), runs: times.length, linkNs: await readCoreLinkNs(), shareRatio: await readCoreShareRatio() });
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

/** p50s as "median [min, max]", or a dash for none. */
const spread = (xs: number[]) => (xs.length ? `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}, ${Math.max(...xs).toFixed(2)}]` : '–');

function summary(r: Results, file: string): string {
  const factor = DEFAULT_NOISE_THRESHOLDS.maxCoreLinkFactor!;
  const out = [
    `Host: ${r.cpu} (${r.cores} cores), started ${r.started.slice(0, 16).replace('T', ' ')} UTC, ${r.seconds} one-second windows per row. Command: \`npm run bench:core-link -- --file ${file}\`.`,
    '',
    '| model | batch | threads | windows | round trip ns: median, lower quartile, max | slow-link windows | p50 ms, fast link: median [min, max] | p50 ms, slow link: median [min, max] | slow/fast | Pearson r, ln p50 vs ln round trip |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  // One reference for the whole run, as a study judges a repetition against all its device's readings.
  const ref = coreProbeReference(r.series.flatMap((s) => s.windows.flatMap((w) => (w.linkNs === null ? [] : [w.linkNs]))));
  for (const s of r.series) {
    const read = s.windows.filter((w): w is Window & { linkNs: number } => w.linkNs !== null);
    const links = read.map((w) => w.linkNs);
    const slow = ref === null ? [] : read.filter((w) => w.linkNs > factor * ref);
    const fast = ref === null ? read : read.filter((w) => w.linkNs <= factor * ref);
    const ratio = slow.length && fast.length ? (median(slow.map((w) => w.p50Ms)) / median(fast.map((w) => w.p50Ms))).toFixed(3) : '–';
    const r2 = read.length > 2 ? pearson(read.map((w) => Math.log(w.p50Ms)), links.map(Math.log)).toFixed(2) : '–';
    const sorted = [...links].sort((a, b) => a - b);
    out.push(`| ${s.model} | ${s.batch} | ${s.threads} | ${s.windows.length} | ${links.length ? `${median(links).toFixed(0)}, ${quantileSorted(sorted, 0.25).toFixed(0)}, ${sorted.at(-1)!.toFixed(0)}` : '–'} | ${slow.length} | ${spread(fast.map((w) => w.p50Ms))} | ${spread(slow.map((w) => w.p50Ms))} | ${ratio} | ${r2} |`);
  }
  out.push('', `A window is "slow link" when its round trip exceeds ${factor}× the lower quartile of all the run's readings, ${ref?.toFixed(0) ?? '–'} ns, as a study judges a repetition against all its device's readings (src/host/host-noise.ts coreDisturbances); slow/fast is the ratio of the two states' median p50s.`);
  // How long a state lasts: the longest run of consecutive windows in one state within a row.
  const longest = (slow: boolean) => Math.max(0, ...r.series.map((s) => {
    let best = 0;
    let run = 0;
    for (const w of s.windows) {
      run = w.linkNs !== null && ref !== null && (w.linkNs > factor * ref) === slow ? run + 1 : 0;
      best = Math.max(best, run);
    }
    return best;
  }));
  out.push(`The longest stretch of consecutive slow-link windows within a row: ${longest(true)}; of fast-link ones: ${longest(false)}.`);
  const shares = r.series.flatMap((s) => s.windows.flatMap((w) => (w.shareRatio == null ? [] : [w.shareRatio])));
  if (shares.length) out.push('', ...oneCoreTable(r, factor * (ref ?? Infinity), coreProbeReference(shares)));
  return out.join('\n');
}

/** The windows by state with both probes: the usual one, the vCPUs apart (round trip above linkLimit), and on one core (ratio high). */
function oneCoreTable(r: Results, linkLimit: number, shareRef: number | null): string[] {
  const shareFactor = ONE_CORE_FACTOR;
  const out = [
    '| model | batch | threads | two threads\' loop / one\'s: median, lower quartile, max | usual windows | p50 ms, usual: median [min, max] | one-core windows | p50 ms, one core: median [min, max] | one core/usual | round trip ns, usual / one core: medians | slow-link windows | slow link/usual |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const ratio = (a: number[], b: number[]) => (a.length && b.length ? (median(a) / median(b)).toFixed(3) : '–');
  for (const s of r.series) {
    const read = s.windows.filter((w) => w.linkNs != null && w.shareRatio != null);
    const slowLink = (w: Window) => w.linkNs! > linkLimit;
    const oneCore = (w: Window) => shareRef !== null && w.shareRatio! > shareFactor * shareRef;
    const usualWindows = read.filter((w) => !slowLink(w) && !oneCore(w));
    const oneCoreWindows = read.filter(oneCore);
    const usual = usualWindows.map((w) => w.p50Ms);
    const one = oneCoreWindows.map((w) => w.p50Ms);
    const apart = read.filter((w) => slowLink(w) && !oneCore(w)).map((w) => w.p50Ms);
    const sorted = read.map((w) => w.shareRatio!).sort((a, b) => a - b);
    const dist = sorted.length ? `${median(sorted).toFixed(2)}, ${quantileSorted(sorted, 0.25).toFixed(2)}, ${sorted.at(-1)!.toFixed(2)}` : '–';
    const links = (ws: Window[]) => (ws.length ? median(ws.map((w) => w.linkNs!)).toFixed(0) : '–');
    const trips = `${links(usualWindows)} / ${links(oneCoreWindows)}`;
    out.push(`| ${s.model} | ${s.batch} | ${s.threads} | ${dist} | ${usual.length} | ${spread(usual)} | ${one.length} | ${spread(one)} | ${ratio(one, usual)} | ${trips} | ${apart.length} | ${ratio(apart, usual)} |`);
  }
  out.push('', `A window is "one core" when the ratio exceeds ${shareFactor}× the lower quartile of all the run's ratios, ${shareRef?.toFixed(2) ?? '–'}; "usual" when neither probe calls it disturbed; the slow-link windows counted here are those not also one core. Windows where either probe gave no reading are left out.`);
  return out;
}

const results = args.measure ? await measure() : JSON.parse(await readFile(args.file, 'utf8')) as Results;
if (args.measure) await writeFile(args.file, JSON.stringify(results, null, 1) + '\n');
console.log(summary(results, args.file));
