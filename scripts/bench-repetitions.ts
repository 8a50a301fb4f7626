/**
 * Do the intervals hold when one measures again? Issue 18's check, on this host: one study of three
 * kit models of very different sizes at batch 1, 4 and 16 (default timing: SPEC.md's minimums,
 * 3 to 10 repetitions, ±2%), run twice back to back (A, B), then a third time (C) with a busy loop
 * on one core for part of it. The studies' tables are kept (no cells) under --dir, so the figures
 * can be recomputed from committed data:
 *
 *   npm run bench:repetitions -- --measure --dir DIR [--keep] [--threads N]   # ~25-60 min on 2 cores; DIR is emptied first
 *   npm run bench:repetitions -- --measure --dir DIR --thread-variants 2,1 --skip-busy-run   # each cell at 2 and at 1 thread, in the same rounds; A and B only
 *   npm run bench:repetitions [-- --dir DIR]                     # the summary, from the tables (default docs/benchmarks/repetitions)
 *   npm run bench:repetitions -- --pool docs/benchmarks          # every pair under that folder, side by side and pooled
 *   npm run bench:repetitions -- --rules docs                    # two interval rules on every committed second run
 *
 * What the summary reports, per issue 18's acceptance:
 * - agreement: the share of cells whose B p50 lies inside A's 95% interval, or that is flagged not
 *   stable in either run; and the reverse (A inside B's);
 * - the median interval half-width (relative to the p50) of A and of B;
 * - the same agreement for the rerun interval (src/latency/cell-interval.ts), the interval meant
 *   for this question: as the tables wrote it, and by the current rule recomputed from each cell's
 *   own interval (so that tables measured before it, or under an earlier rule, can be read with it);
 * - the device's spread between repetitions that the current rule widens cells to;
 * - the host readings of each run's clean repetitions (stolen CPU time, other processes) beside the
 *   repetitions' spread: whether the host-noise rules could see what spread them;
 * - `dnnbench compare A B`: how many cells it calls significantly changed;
 * - C: the repetitions that ran while the busy loop did, how many were discarded, and whether any
 *   cell with such a repetition in its figures was reported `stable`.
 *
 * With --thread-variants, the device times every cell once per thread count, as runtime variants
 * (docs/VARIANTS.md) visited in the same rounds, so the thread counts meet the same minutes of the
 * host; the summary then also reports each variant alone. Pairs measured one after the other cannot
 * tell a thread count's effect from the host's hour.
 *
 * With --rules docs, the current interval rule against a candidate (the device's spread moderating a
 * cell's both ways) on every committed second run: the pairs under docs/benchmarks and the papers
 * runs under docs/studies with their calibration/.
 *
 * With --pool, the agreement of every pair (folders named repetitions*) in one table, and pooled:
 * nine cells a pair make any one pair's "9 of 9" a coin with uneven sides (docs/TIMING.md), so
 * whether the intervals are calibrated is read over all of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { localCpuQueue } from '../src/host/local-queue.js';
import { readResultTable, type Row } from '../src/report/read-tables.js';
import { commonShift, compareCells, regressions, type CompareCell, type CompareRow } from '../src/analysis/compare.js';
import { compareStudies } from '../src/cli/compare-command.js';
import { adjustForRounds } from '../src/latency/round-adjusted-cells.js';
import { priorFor, rerunInterval, widenToSpread } from '../src/latency/cell-interval.js';
import { devicePrior, moderatedHalfWidth, spreadOfInterval, type Spread } from '../src/stats/moderated-spread.js';
import type { P50Interval } from '../src/stats/repetition-stats.js';
import type { LatencyCell, RepetitionCell } from '../src/results/cell-types.js';
import { describeHostMove, flagHostMoves, hostMove, hostMoved } from '../src/latency/host-move.js';
import { DEFAULT_STABILITY_SETTINGS } from '../src/latency/stability.js';
import { quantileSorted } from '../src/stats/quantiles.js';
import { pearson } from '../src/stats/correlation.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: {
  measure: { type: 'boolean', default: false },
  dir: { type: 'string', default: 'docs/benchmarks/repetitions' },
  'busy-after': { type: 'string', default: '120' },
  'busy-for': { type: 'string', default: '180' },
  // Keep the studies' results folders (cells included), so `dnnbench tables` can rebuild their tables.
  keep: { type: 'boolean', default: false },
  // The device's intra-op threads (study spec `threads`); default: onnxruntime's, all cores.
  threads: { type: 'string' },
  // Runtime variants by intra-op threads, e.g. "2,1": variant t2 with 2 threads, t1 with 1.
  'thread-variants': { type: 'string' },
  // Measure A and B only, without the busy-loop run C.
  'skip-busy-run': { type: 'boolean', default: false },
  pool: { type: 'string' },
  rules: { type: 'string' },
} });
const dir = path.resolve(ROOT, args.dir);
const MODELS = ['squeezenet1.1_zoo-weights_opset13', 'mobilenetv2-12-int8', 'resnet50_keras_opset13'];
const KIT = path.resolve(process.env.DNNBENCH_KIT ?? path.join(ROOT, '../shared/kit'));

function run(cmd: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${argv.join(' ')}: exit ${code}`))));
  });
}

const cli = (argv: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [path.join(ROOT, 'bin/dnnbench.js'), ...argv], env);

/** One study of the three models, its tables copied to `dir/name` (cells and logs left behind). */
async function study(name: string, work: string): Promise<void> {
  const spec = path.join(work, `${name}.yaml`);
  await writeFile(spec, [
    `id: repetitions-${name}`, `models: [${MODELS.join(', ')}]`, `devices: [{ queue: ${localCpuQueue()}${args.threads ? `, threads: ${args.threads}` : ''}${variantsYaml()} }]`, 'batchSizes: [1, 4, 16]',
    `dataset: { kit: ${KIT}, limit: 64 }`,
  ].join('\n'));
  const out = path.join(work, name);
  const started = Date.now();
  await cli(['study', '--config', spec, '--out', out], { DNNBENCH_DATA: path.join(work, 'data') });
  console.error(`study ${name}: ${((Date.now() - started) / 60000).toFixed(1)} min`);
  await mkdir(path.join(dir, name), { recursive: true });
  for (const f of (await readdir(out)).filter((f) => f.endsWith('.parquet'))) await cp(path.join(out, f), path.join(dir, name, f));
}

/** The thread counts of --thread-variants, in order ("2,1" → [2, 1]); empty without it. */
const threadVariants = () => (args['thread-variants'] ?? '').split(',').filter((t) => t.trim() !== '').map((t) => Number(t.trim()));

/** The device's runtime variants in the spec's flow YAML, one per thread count (t2, t1, …). */
function variantsYaml(): string {
  const counts = threadVariants();
  return counts.length ? `, variants: [${counts.map((t) => `{ name: t${t}, threads: ${t} }`).join(', ')}]` : '';
}

async function measure(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-reps-'));
  await rm(dir, { recursive: true, force: true });
  await study('a', work);
  await study('b', work);
  if (args['skip-busy-run']) {
    if (args.keep) console.error(`results folders kept: ${work}/{a,b}`);
    else await rm(work, { recursive: true, force: true });
    return;
  }
  // C: a busy loop on one core from busy-after to busy-after + busy-for seconds into the study.
  let busy: ChildProcess | undefined;
  const window = { start: 0, end: 0 };
  const startBusy = setTimeout(() => {
    busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    window.start = Date.now();
    setTimeout(() => { busy?.kill('SIGKILL'); window.end = Date.now(); }, Number(args['busy-for']) * 1000);
  }, Number(args['busy-after']) * 1000);
  try {
    await study('c', work);
  } finally {
    clearTimeout(startBusy);
    if (busy && !window.end) { busy.kill('SIGKILL'); window.end = Date.now(); }
  }
  await writeFile(path.join(dir, 'busy-window.json'), `${JSON.stringify({ ...window, cpu: os.cpus()[0]?.model, cores: os.availableParallelism() }, null, 2)}\n`);
  if (args.keep) console.error(`results folders kept: ${work}/{a,b,c}`);
  else await rm(work, { recursive: true, force: true });
}

/** A cell's name, for table rows and cells alike: model, batch and, where the device has runtime variants, the variant. */
const key = (r: { model_id?: unknown; batch_size?: unknown; variant?: unknown }) => `${r.model_id} b${r.batch_size}${r.variant ? ` ${r.variant}` : ''}`;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Each repetition's ln(p50 / its cell's median repetition p50). */
function deviationsFromCells(reps: Row[]): number[] {
  const centre = new Map<string, number>();
  for (const k of new Set(reps.map(key))) centre.set(k, median(reps.filter((r) => key(r) === k).map((r) => Math.log(Number(r.p50_ms)))));
  return reps.map((r) => Math.log(Number(r.p50_ms)) - centre.get(key(r))!);
}

const rootMeanSquare = (xs: number[]) => Math.sqrt(xs.reduce((s, d) => s + d * d, 0) / xs.length);
/** A run's latency_repetitions rows (discarded ones included), read once however many summary lines use them. */
const repetitionTables = new Map<string, Promise<Row[]>>();
function repetitionsOf(name: string): Promise<Row[]> {
  if (!repetitionTables.has(name)) repetitionTables.set(name, readResultTable(path.join(dir, name), 'latency_repetitions'));
  return repetitionTables.get(name)!;
}

const halfWidth = (r: Row) => (Number(r.p50_ci_high_ms) - Number(r.p50_ci_low_ms)) / 2 / Number(r.p50_ms);

interface RoundReading {
  round: number;
  /** The median over the round's cells of ln(repetition p50 / the cell's median repetition p50). */
  effect: number;
  cells: number;
  /** The median compute-probe time of the round's repetitions, ms; null before the probe existed. */
  probeMs: number | null;
}

/** Each round's effect on the cells measured in it (a plain median of deviations, independent of src/latency/round-adjustment.ts), and the probe's reading then. */
async function roundReadings(name: string): Promise<RoundReading[]> {
  const reps = (await repetitionsOf(name)).filter((r: Row) => r.discarded !== true);
  const centre = new Map<string, number>();
  for (const k of new Set(reps.map(key))) centre.set(k, median(reps.filter((r) => key(r) === k).map((r) => Math.log(Number(r.p50_ms)))));
  const rounds = [...new Set(reps.map((r) => Number(r.round)))].sort((x, y) => x - y);
  return rounds.map((round) => {
    const mine = reps.filter((r) => Number(r.round) === round);
    const probes = mine.map((r) => r.host_probe_compute_ms).filter((v): v is number => typeof v === 'number');
    return { round, effect: median(mine.map((r) => Math.log(Number(r.p50_ms)) - centre.get(key(r))!)), cells: mine.length, probeMs: probes.length ? median(probes) : null };
  });
}

const roundEffects = async (name: string) => (await roundReadings(name)).map((r) => `${(r.effect * 100).toFixed(1)} (${r.cells})`).join(', ');

/**
 * Does the speed probe (src/host/speed-probe.ts) see what moves the cells? Within each run, each
 * round's probe reading (ln of its median over the run's median) against the round's effect, for
 * rounds of at least 3 cells; between the runs, the probe's B/A against the cells' median B/A.
 * Nothing for tables from before the probe.
 */
async function probeLines(rows: CompareRow[]): Promise<string[]> {
  const [ra, rb] = [await roundReadings('a'), await roundReadings('b')];
  if ([...ra, ...rb].some((r) => r.probeMs === null)) return [];
  const probeText = (rs: RoundReading[]) => rs.map((r) => r.probeMs!.toFixed(3)).join(', ');
  const centred = (rs: RoundReading[]) => {
    const full = rs.filter((r) => r.cells >= 3);
    const mid = median(full.map((r) => Math.log(r.probeMs!)));
    return full.map((r) => ({ probe: Math.log(r.probeMs!) - mid, effect: r.effect }));
  };
  const both = [...centred(ra), ...centred(rb)];
  const lines = [
    `- The speed probe's compute time per round, ms (median over the round's repetitions): A ${probeText(ra)}; B ${probeText(rb)}.`,
    `- Round effect against the probe's reading in that round (ln over the run's median), rounds of at least 3 cells in A and B: Pearson r ${pearson(both.map((x) => x.probe), both.map((x) => x.effect)).toFixed(2)} over ${both.length} rounds; ` +
      `the probe's spread over rounds ${pct(Math.max(...both.map((x) => x.probe)) - Math.min(...both.map((x) => x.probe)))}, the round effects' ${pct(Math.max(...both.map((x) => x.effect)) - Math.min(...both.map((x) => x.effect)))} (max − min, ln).`,
  ];
  const speed = rows.find((r) => r.host_speed_ratio !== null);
  if (speed) {
    const adjusted = rows.filter((r) => r.host_adjusted_significant === true).length;
    lines.push(`- The probe's B/A (compute): ${speed.host_speed_ratio!.toFixed(3)}; with it taken out of each cell's B/A, compare finds ${adjusted} of ${rows.length} cells changed.`);
  }
  return lines;
}

/**
 * Could the host-noise rules (src/host/host-noise.ts) see what spread the repetitions? For each run's
 * clean repetitions: the CPU time the hypervisor took and the cores other processes used, median and
 * 90th percentile, beside the repetitions' spread about their cells' medians (ln) and its Pearson r
 * with each reading. Quiet readings beside a wide spread mean a slowdown from outside the VM's view.
 */
async function hostReadingText(name: string): Promise<string> {
  const reps = (await repetitionsOf(name)).filter((r: Row) => r.discarded !== true);
  const dev = deviationsFromCells(reps);
  const steal = reps.map((r) => Number(r.steal_fraction));
  const other = reps.map((r) => Number(r.other_cores));
  const p90 = (xs: number[]) => quantileSorted([...xs].sort((x, y) => x - y), 0.9);
  const rms = rootMeanSquare(dev);
  const r = (xs: number[]) => { const v = pearson(dev, xs); return Number.isFinite(v) ? v.toFixed(2) : '- (a constant reading)'; };
  return `the hypervisor took a median ${(median(steal) * 100).toFixed(2)}% of the CPU time (90th percentile ${(p90(steal) * 100).toFixed(2)}%), ` +
    `other processes used a median ${median(other).toFixed(3)} cores (90th percentile ${p90(other).toFixed(3)}); ` +
    `the repetitions' p50s spread ±${pct(rms)} about their cells' medians (root mean square of ln(p50 / the cell's median)), Pearson r ${r(steal)} with the stolen time, ${r(other)} with the other processes`;
}

/** The spread of repetition p50s about their cells' medians: root mean square of ln(p50 / the cell's median). */
const spreadAboutCells = (reps: Row[]) => rootMeanSquare(deviationsFromCells(reps));

/** A probe of the cores as the --dir summary reads it: its column, how its readings print, and the words of its discard reason. */
interface CoreProbe { column: 'host_core_link_ns' | 'host_core_share_ratio'; show: (v: number) => string; reason: RegExp }
const CORE_LINK: CoreProbe = { column: 'host_core_link_ns', show: (v) => `${v.toFixed(0)} ns`, reason: /round trip between two cores/ };
const CORE_SHARE: CoreProbe = { column: 'host_core_share_ratio', show: (v) => v.toFixed(2), reason: /two threads ran a loop/ };

/**
 * A probe of the cores over a run's repetitions (the round trip, src/host/core-link-probe.ts, or
 * the two-thread ratio, src/host/core-share-probe.ts), discarded ones included, and what discarding
 * for it did: how many it discarded, how much slower those repetitions ran than their cells' kept
 * ones, and the kept repetitions' spread with and without them (the same run's repetitions, so the
 * host is the same); null for tables from before it was read.
 */
async function coreProbeText(name: string, probe: CoreProbe): Promise<string | null> {
  const reps = await repetitionsOf(name);
  const values = reps.map((r: Row) => r[probe.column]).filter((v): v is number => typeof v === 'number').sort((x, y) => x - y);
  if (values.length === 0) return null;
  const reasons = (r: Row) => (Array.isArray(r.discard_reasons) ? r.discard_reasons as string[] : []);
  const isThis = (m: string) => probe.reason.test(m);
  const forThis = reps.filter((r: Row) => reasons(r).some(isThis)).length;
  const kept = reps.filter((r: Row) => r.discarded !== true);
  // Discarded for this probe and nothing else: what its rule alone left out.
  const thisOnly = reps.filter((r: Row) => r.discarded === true && reasons(r).length > 0 && reasons(r).every(isThis));
  const keptMedian = new Map<string, number>();
  for (const k of new Set(kept.map(key))) keptMedian.set(k, median(kept.filter((r) => key(r) === k).map((r) => Number(r.p50_ms))));
  const slower = thisOnly.filter((r) => keptMedian.has(key(r))).map((r) => Math.log(Number(r.p50_ms) / keptMedian.get(key(r))!));
  const change = slower.length ? Math.exp(median(slower)) - 1 : null;
  const effect = change === null ? '' : ` a median ${pct(Math.abs(change))} ${change < 0 ? 'faster' : 'slower'} than their cells' kept ones`;
  return `median ${probe.show(median(values))} (lower quartile ${probe.show(quantileSorted(values, 0.25))}, max ${probe.show(values.at(-1)!)}) over ${values.length} repetitions, ${forThis} discarded for it; ` +
    `the ${thisOnly.length} discarded for it alone ran${effect}; the kept ones spread ±${pct(spreadAboutCells(kept))}, ±${pct(spreadAboutCells([...kept, ...thisOnly]))} with those put back`;
}

/** How many cells the round adjustment moved, and how far. */
function adjusted(rows: Row[]): string {
  const factors = rows.map((r) => r.round_adjustment).filter((f) => f !== null && f !== undefined).map(Number);
  if (factors.length === 0) return 'not in these tables (measured before it)';
  const moved = factors.filter((f) => f !== 1);
  return `${moved.length} of ${rows.length} cells moved` + (moved.length ? ` (factors ${Math.min(...moved).toFixed(3)} to ${Math.max(...moved).toFixed(3)})` : '');
}

/**
 * Tables from before the round adjustment, re-read with it (src/latency/round-adjusted-cells.ts on
 * their own latency_repetitions): the two checks it bears on, agreement and compare.
 */
async function reanalysed(a: Row[], b: Row[]): Promise<string> {
  const repsOf = async (n: string) => (await repetitionsOf(n)) as unknown as RepetitionCell[];
  const [ra, rb] = [await repsOf('a'), await repsOf('b')];
  const adjust = (rows: Row[], reps: RepetitionCell[]) => adjustForRounds(rows.filter((r) => r.status === 'ok') as unknown as LatencyCell[], reps);
  const [la, lb] = [adjust(a, ra), adjust(b, rb)];
  const within = (p: LatencyCell, i: LatencyCell) => p.p50_ms! >= i.p50_ci_low_ms! && p.p50_ms! <= i.p50_ci_high_ms!;
  const pairs = la.map((x) => [x, lb.find((y) => key(y) === key(x))] as const).filter((p): p is readonly [LatencyCell, LatencyCell] => p[1] !== undefined);
  const inside = pairs.filter(([x, y]) => within(y, x)).length;
  const compareOf = (l: LatencyCell, reps: RepetitionCell[]): CompareCell => ({
    model_id: l.model_id, batch_size: l.batch_size, variant: l.variant ?? null, p50_ms: l.p50_ms!, ci_low_ms: l.p50_ci_low_ms ?? null, ci_high_ms: l.p50_ci_high_ms ?? null,
    repetitions: l.repetitions ?? null, samples: [],
    repetition_p50_ms: reps.filter((r) => !r.discarded && key(r) === key(l)).map((r) => r.p50_ms),
  });
  const rows = compareCells(la.map((l) => compareOf(l, ra)), lb.map((l) => compareOf(l, rb)), { a: 'a', b: 'b' });
  const moved = [...la, ...lb].filter((l) => l.round_adjustment !== 1).length;
  return `- Re-read with the round adjustment (these tables predate it; ${moved} of ${la.length + lb.length} cells moved): B's p50 inside A's interval in ${inside} of ${pairs.length} cells whatever the verdict; ` +
    `compare ${rows.filter((r) => r.significant).length} of ${rows.length} cells significantly changed.`;
}

/** How a cell's interval from its own repetitions meets its device's spread. */
type IntervalRule = (own: P50Interval, prior: Spread | null) => P50Interval;

/**
 * The candidate rule (issue 18): the moderated spread in place of the cell's own, narrowing a cell
 * noisier than its device as well as widening one quieter, as limma does (Smyth 2004); symmetric on
 * the log scale. The current rule (widenToSpread) only widens.
 */
const moderatedBothWays: IntervalRule = (own, prior) => {
  const spread = spreadOfInterval(own.relative_half_width, own.repetitions);
  if (!prior || !spread) return own;
  const h = moderatedHalfWidth(spread, own.repetitions, prior);
  return { ...own, ci_low_ms: own.p50_ms * Math.exp(-h), ci_high_ms: own.p50_ms * Math.exp(h), relative_half_width: Math.sinh(h) };
};

/** A row's 95% and rerun intervals. */
interface Intervals {
  ci: [number, number];
  rerun: [number, number];
}

/** The half-width of a row's interval from its own repetitions: p50_own_half_width, or the interval itself in tables from before the widening. */
const ownHalfWidth = (r: Row) => (r.p50_own_half_width !== null && r.p50_own_half_width !== undefined ? Number(r.p50_own_half_width) : halfWidth(r));

/**
 * Every ok row's intervals by the current rule (src/latency/cell-interval.ts), from the rows' own
 * intervals: each widened to the device's spread over all its other cells (the study's final one,
 * where the study itself used the cells on disk at the time), and its rerun interval.
 */
function recomputedIntervals(rows: Row[], rule: IntervalRule = widenToSpread): Map<string, Intervals> {
  const ok = rows.filter((r) => r.status === 'ok');
  const spreads = ok.flatMap((r) => {
    const spread = spreadOfInterval(ownHalfWidth(r), Number(r.repetitions));
    return spread ? [{ model_id: String(r.model_id), batch_size: Number(r.batch_size), variant: (r.variant as string | null) ?? null, spread, device: r.device }] : [];
  });
  return new Map(ok.map((r) => {
    const p50 = Number(r.p50_ms);
    const own = { p50_ms: p50, ci_low_ms: Number(r.p50_ci_low_ms), ci_high_ms: Number(r.p50_ci_high_ms), repetitions: Number(r.repetitions), relative_half_width: ownHalfWidth(r) };
    // Tables that wrote a widened interval: the own one is the p50 ± its own half-width.
    if (r.p50_own_half_width !== null && r.p50_own_half_width !== undefined) Object.assign(own, { ci_low_ms: p50 * Math.exp(-own.relative_half_width), ci_high_ms: p50 * Math.exp(own.relative_half_width) });
    const cell = { model_id: String(r.model_id), batch_size: Number(r.batch_size), variant: (r.variant as string | null) ?? null };
    const widened = rule(own, priorFor(cell, spreads.filter((x) => x.device === r.device)));
    const rerun = rerunInterval(p50, widened.ci_low_ms, widened.ci_high_ms);
    return [key(r), { ci: [widened.ci_low_ms, widened.ci_high_ms], rerun: [rerun.low, rerun.high] }];
  }));
}

/** Every ok row's intervals as written. */
const writtenIntervals = (rows: Row[]) => new Map(rows.filter((r) => r.status === 'ok' && r.p50_rerun_low_ms !== null && r.p50_rerun_low_ms !== undefined)
  .map((r) => [key(r), { ci: [Number(r.p50_ci_low_ms), Number(r.p50_ci_high_ms)], rerun: [Number(r.p50_rerun_low_ms), Number(r.p50_rerun_high_ms)] } as Intervals]));

/** B's p50 against A's rerun interval (and the reverse), as written and by the current rule, with the intervals' median half-widths. */
function rerunLines(a: Row[], b: Row[]): string[] {
  const pa = new Map(a.filter((r) => r.status === 'ok').map((r) => [key(r), Number(r.p50_ms)]));
  const pb = new Map(b.filter((r) => r.status === 'ok').map((r) => [key(r), Number(r.p50_ms)]));
  const within = (x: number, [lo, hi]: [number, number]) => x >= lo && x <= hi;
  const describe = (ia: Map<string, Intervals>, ib: Map<string, Intervals>, what: string, withCi: boolean) => {
    const cells = [...ia.keys()].filter((k) => ib.has(k));
    const count = (pick: (i: Intervals) => [number, number], from: Map<string, Intervals>, p: Map<string, number>) => cells.filter((k) => within(p.get(k)!, pick(from.get(k)!))).length;
    const hw = (from: Map<string, Intervals>, pick: (i: Intervals) => [number, number], p: Map<string, number>) =>
      pct(median(cells.map((k) => (pick(from.get(k)!)[1] - pick(from.get(k)!)[0]) / 2 / p.get(k)!)));
    const part = (pick: (i: Intervals) => [number, number]) => `B's p50 inside A's in ${count(pick, ia, pb)} of ${cells.length} cells, A's inside B's in ${count(pick, ib, pa)} of ${cells.length}; ` +
      `median half-width A ±${hw(ia, pick, pa)}, B ±${hw(ib, pick, pb)}`;
    return [`- ${what}: rerun interval: ${part((i) => i.rerun)}${withCi ? `; the 95% interval: ${part((i) => i.ci)}` : ''}.`];
  };
  const written = [writtenIntervals(a), writtenIntervals(b)] as const;
  return [
    ...(written[0].size && written[1].size ? describe(written[0], written[1], 'As written (the rule the study ran with)', false) : []),
    ...describe(recomputedIntervals(a), recomputedIntervals(b), 'By the current rule, recomputed from each cell\'s own interval (docs/TIMING.md, "The interval"; the device spread over all its cells)', true),
  ];
}

/** The device's spread between repetitions as the current rule reads it, over all of a table's cells, as a standard deviation. */
function deviceSpreadText(rows: Row[]): string {
  const spreads = rows.filter((r) => r.status === 'ok').map((r) => spreadOfInterval(ownHalfWidth(r), Number(r.repetitions))).filter((x): x is NonNullable<typeof x> => x !== null);
  const prior = devicePrior(spreads);
  return prior ? `±${pct(Math.sqrt(prior.variance))}` : 'none (too few cells)';
}

/**
 * A run's latency rows with the host-move rule applied as the tables are written now
 * (src/latency/host-move.ts), so runs from before it are read with it; and the move it found.
 */
async function withHostMoveRule(runDir: string, rows: Row[]): Promise<{ rows: Row[]; text: string }> {
  const reps = await readResultTable(runDir, 'latency_repetitions') as unknown as RepetitionCell[];
  const minChange = DEFAULT_STABILITY_SETTINGS.hostMoveMinChange;
  const move = hostMove(reps);
  const text = move ? `${describeHostMove(move)}${hostMoved(move, minChange) ? ': moved' : ''}` : 'no cell in both halves';
  return { rows: flagHostMoves(rows as unknown as LatencyCell[], reps, minChange) as unknown as Row[], text };
}

/** Cells whose B p50 lies inside A's 95% interval as written, or that are not `stable` in either run. */
function insideOrFlagged(a: Row[], b: Row[]): { agree: number; cells: number } {
  const A = new Map(a.filter((r) => r.status === 'ok').map((r) => [key(r), r]));
  const B = new Map(b.filter((r) => r.status === 'ok').map((r) => [key(r), r]));
  const cells = [...A.keys()].filter((k) => B.has(k));
  const agree = cells.filter((k) => {
    const [x, y] = [A.get(k)!, B.get(k)!];
    const inside = Number(y.p50_ms) >= Number(x.p50_ci_low_ms) && Number(y.p50_ms) <= Number(x.p50_ci_high_ms);
    return inside || x.stability !== 'stable' || y.stability !== 'stable';
  }).length;
  return { agree, cells: cells.length };
}

/**
 * The host and, when its cells ran on fewer intra-op threads than it has cores (bench:repetitions
 * --threads), their thread count: "AMD EPYC (2 cores, 1 intra-op thread a cell)".
 */
function hostLabel(device: Row | undefined, latency: Row[]): string {
  const threads = [...new Set(latency.filter((r) => r.status === 'ok' && r.threads != null).map((r) => Number(r.threads)))];
  const fewer = threads.some((t) => t < Number(device?.cpu_cores));
  const note = fewer ? `, ${threads.join(' and ')} intra-op thread${threads.join() === '1' ? '' : 's'} a cell` : '';
  return `${device?.cpu_model} (${device?.cpu_cores} cores${note})`;
}

const ok = (rows: Row[]) => rows.filter((r) => r.status === 'ok');

/**
 * Each runtime variant alone (--thread-variants: the same cells at other thread counts, in the same
 * rounds), then the first two cell by cell: which gave the narrower interval. Nothing without variants.
 */
async function variantLines(a: Row[], b: Row[], rows: CompareRow[]): Promise<string[]> {
  const variants = [...new Set(ok(a).filter((r) => r.variant).map((r) => String(r.variant)))];
  if (variants.length < 2) return [];
  const clean = async (n: string) => (await repetitionsOf(n)).filter((r: Row) => r.discarded !== true);
  const [repsA, repsB] = [await clean('a'), await clean('b')];
  const of = (rs: Row[], v: string) => rs.filter((r) => r.variant === v);
  const stable = (rs: Row[]) => ok(rs).filter((r) => r.stability === 'stable').length;
  const lines = variants.map((v) => {
    const [va, vb] = [of(a, v), of(b, v)];
    const { agree, cells } = insideOrFlagged(va, vb);
    const vRows = rows.filter((r) => r.variant === v);
    const B = new Map(ok(vb).map((r) => [key(r), Number(r.p50_ms)]));
    const ratios = ok(va).filter((r) => B.has(key(r))).map((r) => B.get(key(r))! / Number(r.p50_ms));
    const threads = ok(va)[0]?.threads;
    return `- Variant ${v} (${threads} intra-op thread${threads === 1 ? '' : 's'}): B's p50 inside A's interval, or the cell not \`stable\` in either run, ${agree} of ${cells} cells; ` +
      `cells \`stable\`: A ${stable(va)}, B ${stable(vb)}; median interval half-width A ±${pct(median(ok(va).map(halfWidth)))}, B ±${pct(median(ok(vb).map(halfWidth)))}; ` +
      `repetitions' p50s spread about their cells' medians A ±${pct(spreadAboutCells(of(repsA, v)))}, B ±${pct(spreadAboutCells(of(repsB, v)))}; ` +
      `compare ${vRows.filter((r) => r.significant).length} of ${vRows.length} cells changed; median B/A ${median(ratios).toFixed(3)}.`;
  });
  const [first, second] = variants as [string, string];
  const cellOf = (r: Row) => `${r.model_id} b${r.batch_size}`;
  const byCell = (rs: Row[], v: string) => new Map(ok(of(rs, v)).map((r) => [cellOf(r), halfWidth(r)]));
  const narrower = (rs: Row[]) => {
    const [h1, h2] = [byCell(rs, first), byCell(rs, second)];
    const both = [...h1.keys()].filter((k) => h2.has(k));
    return `${both.filter((k) => h2.get(k)! < h1.get(k)!).length} of ${both.length} (median ratio of half-widths ${median(both.map((k) => h2.get(k)! / h1.get(k)!)).toFixed(2)})`;
  };
  lines.push(`- Cell by cell, ${second}'s interval narrower than ${first}'s: A ${narrower(a)}, B ${narrower(b)}.`);
  return lines;
}

async function summarize(): Promise<void> {
  const latencyOf = async (n: string): Promise<Row[]> => readResultTable(path.join(dir, n), 'latency');
  // --skip-busy-run measures A and B only.
  const hasC = (await readdir(dir)).includes('c');
  const runs = hasC ? ['a', 'b', 'c'] : ['a', 'b'];
  const [a, b] = [await latencyOf('a'), await latencyOf('b')];
  const c = hasC ? await latencyOf('c') : null;
  const [devA] = await readResultTable(path.join(dir, 'a'), 'devices');
  const byKey = (rows: Row[]) => new Map(ok(rows).map((r) => [key(r), r]));
  const A = byKey(a);
  const B = byKey(b);
  const lines: string[] = [];
  const say = (s = '') => lines.push(s);
  say(`Host: ${hostLabel(devA, a)}. Tables: ${path.relative(ROOT, dir)}/{${runs.join(',')}}. Command: \`npm run bench:repetitions -- --dir ${path.relative(ROOT, dir)}\`.`);
  say();
  say('| cell | A p50 ms [95% interval] | A reps (disc.) | A verdict | B p50 ms [95% interval] | B reps (disc.) | B verdict | B in A | A in B |');
  say('|---|---|---|---|---|---|---|---|---|');
  let agree = 0;
  let agreeReverse = 0;
  let strict = 0;
  let strictReverse = 0;
  const cells = [...A.keys()].filter((k) => B.has(k));
  for (const k of cells) {
    const x = A.get(k)!;
    const y = B.get(k)!;
    const inside = (p: Row, i: Row) => Number(p.p50_ms) >= Number(i.p50_ci_low_ms) && Number(p.p50_ms) <= Number(i.p50_ci_high_ms);
    const flagged = x.stability !== 'stable' || y.stability !== 'stable';
    if (inside(y, x) || flagged) agree++;
    if (inside(x, y) || flagged) agreeReverse++;
    if (inside(y, x)) strict++;
    if (inside(x, y)) strictReverse++;
    const fmt = (r: Row) => `${Number(r.p50_ms).toFixed(2)} [${Number(r.p50_ci_low_ms).toFixed(2)}, ${Number(r.p50_ci_high_ms).toFixed(2)}]`;
    say(`| ${k} | ${fmt(x)} | ${x.repetitions} (${x.repetitions_discarded}) | ${x.stability} | ${fmt(y)} | ${y.repetitions} (${y.repetitions_discarded}) | ${y.stability} | ${inside(y, x) ? 'yes' : 'no'} | ${inside(x, y) ? 'yes' : 'no'} |`);
  }
  say();
  say(`- B's p50 inside A's interval, or the cell not \`stable\` in either run: ${agree} of ${cells.length} cells (${pct(agree / cells.length)}); A's inside B's (same rule): ${agreeReverse} of ${cells.length}.`);
  say(`- Whatever the verdict: B's p50 inside A's interval in ${strict} of ${cells.length} cells, A's inside B's in ${strictReverse} of ${cells.length}.`);
  say(`- Cells \`stable\`: A ${ok(a).filter((r) => r.stability === 'stable').length} of ${ok(a).length}, B ${ok(b).filter((r) => r.stability === 'stable').length} of ${ok(b).length}.`);
  say(`- Median interval half-width: A ±${pct(median(ok(a).map(halfWidth)))}, B ±${pct(median(ok(b).map(halfWidth)))} of the p50.`);
  for (const line of rerunLines(a, b)) say(line);
  say(`- The device's spread between repetitions (src/stats/moderated-spread.ts, over all cells, as a standard deviation): A ${deviceSpreadText(a)}, B ${deviceSpreadText(b)}.`);
  say(`- Host readings of each run's clean repetitions (what the host-noise rules judge, docs/TIMING.md "Host noise"). A: ${await hostReadingText('a')}. B: ${await hostReadingText('b')}.`);
  const perRun = (texts: (string | null)[]) => texts.map((t, i) => `${runs[i]!.toUpperCase()} ${t ?? '-'}`).join('; ');
  const links = await Promise.all(runs.map((n) => coreProbeText(n, CORE_LINK)));
  if (links.some((l) => l !== null)) say(`- The cores' round trip (src/host/core-link-probe.ts; a repetition above 2× the device's lower quartile so far is discarded): ${perRun(links)}.`);
  const shares = await Promise.all(runs.map((n) => coreProbeText(n, CORE_SHARE)));
  if (shares.some((l) => l !== null)) say(`- Two threads' loop against one's (src/host/core-share-probe.ts; where timing.noise.maxCoreShareFactor is set, a repetition of a cell on more than one thread above that many times the device's lower quartile so far is discarded): ${perRun(shares)}.`);
  say(`- Round effects, % (per round, the median over its cells of ln(repetition p50 / the cell's median repetition p50)): A ${await roundEffects('a')}; B ${await roundEffects('b')}.`);
  say(`- Round adjustment (\`round_adjustment\`, docs/TIMING.md): A ${adjusted(ok(a))}; B ${adjusted(ok(b))}.`);
  if (ok(a).every((r) => r.round_adjustment === null || r.round_adjustment === undefined)) say(await reanalysed(a, b));
  const [hostA, hostB] = [await withHostMoveRule(path.join(dir, 'a'), a), await withHostMoveRule(path.join(dir, 'b'), b)];
  const hostC = c ? await withHostMoveRule(path.join(dir, 'c'), c) : null;
  const ruled = insideOrFlagged(hostA.rows, hostB.rows);
  const stableCount = (rows: Row[]) => ok(rows).filter((r) => r.stability === 'stable').length;
  say(`- The host's speed within each run (src/latency/host-move.ts; "moved" makes every cell \`drifting\`): A ${hostA.text}; B ${hostB.text}${hostC ? `; C ${hostC.text}` : ''}. ` +
    `With that rule applied to these tables: B's p50 inside A's interval, or the cell not \`stable\` in either run, ${ruled.agree} of ${ruled.cells} cells; cells \`stable\`: A ${stableCount(hostA.rows)}, B ${stableCount(hostB.rows)}.`);
  const rows = JSON.parse(await cli(['compare', path.join(dir, 'a'), path.join(dir, 'b'), '--json'])) as CompareRow[];
  say(`- \`dnnbench compare a b\`: ${rows.filter((r) => r.significant).length} of ${rows.length} cells significantly changed, ${rows.filter((r) => !r.significant).length} within noise ` +
    `(q below 0.05 over the ${rows.length} cells); ${rows.filter((r) => r.p_value !== null && r.p_value < 0.05).length} with p below 0.05 taken alone.`);
  const common = commonShift(rows);
  if (common) {
    say(`- The move all cells share: median B/A ${common.ratio.toFixed(3)}${common.ratio_low !== null ? ` (95% ${common.ratio_low.toFixed(3)}–${common.ratio_high!.toFixed(3)})` : ''}; ` +
      `relative to it, ${rows.filter((r) => r.relative_significant === true).length} of ${rows.length} cells changed.`);
  }
  for (const line of await probeLines(rows)) say(line);
  for (const line of await variantLines(a, b, rows)) say(line);
  if (c) for (const line of await busyRunLines(A, c)) say(line);
  console.log(lines.join('\n'));
}

/** C: the repetitions whose time span overlapped the busy loop, and what became of them and their cells. */
async function busyRunLines(A: Map<string, Row>, c: Row[]): Promise<string[]> {
  const repsC: Row[] = await repetitionsOf('c');
  const window = JSON.parse(await readFile(path.join(dir, 'busy-window.json'), 'utf8')) as { start: number; end: number };
  const lines: string[] = [];
  const say = (s: string) => lines.push(s);
  const startOf = (r: Row) => Number(new Date(r.started_at as string | number | Date));
  const overlaps = (r: Row) => startOf(r) < window.end && startOf(r) + Number(r.seconds) * 1000 > window.start;
  const during = repsC.filter(overlaps);
  const discarded = during.filter((r) => r.discarded === true);
  say(`- C, busy loop on one core for ${((window.end - window.start) / 1000).toFixed(0)} s: ${during.length} repetitions overlapped it, ${discarded.length} discarded (${[...new Set(discarded.flatMap((r) => (r.discard_reasons as string[]) ?? []).map((m) => m.replace(/[\d.]+/g, '#')))].join('; ') || 'none'}); ${repsC.filter((r) => r.discarded === true && !overlaps(r)).length} discarded outside it.`);
  const C = new Map(ok(c).map((r) => [key(r), r]));
  const touched = [...new Set(during.map(key))];
  const trusted = touched.filter((k) => {
    const cell = C.get(k);
    const kept = during.filter((r) => key(r) === k && r.discarded !== true);
    return cell?.stability === 'stable' && kept.length > 0;
  });
  say(`- C cells with a repetition during the busy loop: ${touched.length}; verdicts ${touched.map((k) => `${k} ${C.get(k)?.stability}`).join(', ') || '-'}; reported \`stable\` with a busy-loop repetition kept in its figures: ${trusted.length}${trusted.length ? ` (${trusted.join(', ')})` : ''}.`);
  const keptDuring = during.filter((r) => r.discarded !== true);
  if (keptDuring.length) {
    const overlapS = (r: Row) => (Math.min(window.end, startOf(r) + Number(r.seconds) * 1000) - Math.max(window.start, startOf(r))) / 1000;
    say(`- C, repetitions kept though they overlapped the busy loop: ${keptDuring.map((r) => `${key(r)} repetition ${r.repetition}, ${overlapS(r).toFixed(2)} s of its ${Number(r.seconds).toFixed(2)} s, ` +
      `other processes ${Number(r.other_cores).toFixed(3)} cores over it${typeof r.timed_other_cores === 'number' ? ` and ${r.timed_other_cores.toFixed(3)} over its timed runs` : ''}, p50 ${Number(r.p50_ms).toFixed(2)} ms`).join('; ')}.`);
  }
  const offC = touched.filter((k) => A.has(k) && C.has(k)).map((k) => `${k} ${(Number(C.get(k)!.p50_ms) / Number(A.get(k)!.p50_ms)).toFixed(3)}`);
  say(`- C/A p50 ratio of those cells: ${offC.join(', ') || '-'}.`);
  const probeOf = (rs: Row[]) => rs.map((r) => r.host_probe_compute_ms).filter((v): v is number => typeof v === 'number');
  if (probeOf(repsC).length === repsC.length && repsC.length) {
    const outside = repsC.filter((r) => !overlaps(r));
    say(`- C, the speed probe's compute time (median): ${median(probeOf(during)).toFixed(3)} ms over the ${during.length} repetitions during the busy loop, ${median(probeOf(outside)).toFixed(3)} ms over the ${outside.length} outside it.`);
  }
  return lines;
}

/** One pair's agreement counts for the pooled table (B's p50 against A's intervals). */
interface PairAgreement {
  name: string;
  cpu: string;
  started: string;
  cells: number;
  stable: [number, number];
  flagRule: number;
  /** The same count with the host-move rule applied to both runs' tables. */
  flagRuleHostMove: number;
  written95: number;
  writtenRerun: number | null;
  current95: number;
  currentRerun: number;
  halfWidth: [number, number];
  /** Median half-width of the 95% intervals as written, A and B: what the issue's 3% is read on. */
  writtenHalfWidth: [number, number];
  shared: number;
  /** `dnnbench compare a b`: cells significantly changed, by the plain ratio and (null without probe readings) with the host's speed by the probe taken out. */
  changed: number;
  changedHostAdjusted: number | null;
  /** The compute probe's B/A; null without readings. */
  probe: number | null;
  /** Whether `--fail-on-regression 1` fails, plain and with --host-adjusted (null without probe readings). */
  fails: boolean;
  failsHostAdjusted: boolean | null;
}

async function pairAgreement(pairDir: string): Promise<PairAgreement> {
  const [a, b] = [await readResultTable(path.join(pairDir, 'a'), 'latency'), await readResultTable(path.join(pairDir, 'b'), 'latency')];
  const reps = await readResultTable(path.join(pairDir, 'a'), 'latency_repetitions');
  const A = new Map(a.filter((r) => r.status === 'ok').map((r) => [key(r), r]));
  const B = new Map(b.filter((r) => r.status === 'ok').map((r) => [key(r), r]));
  const cells = [...A.keys()].filter((k) => B.has(k));
  const within = (x: number, [lo, hi]: [number, number]) => x >= lo && x <= hi;
  const p50B = (k: string) => Number(B.get(k)!.p50_ms);
  const count = (test: (k: string) => boolean) => cells.filter(test).length;
  const [wa, ca] = [writtenIntervals(a), recomputedIntervals(a)];
  const [cb] = [recomputedIntervals(b)];
  const hw = (m: Map<string, Intervals>, rows: Map<string, Row>) => median(cells.map((k) => (m.get(k)!.ci[1] - m.get(k)!.ci[0]) / 2 / Number(rows.get(k)!.p50_ms)));
  const [device] = await readResultTable(path.join(pairDir, 'a'), 'devices');
  const firstStart = Math.min(...reps.map((r) => Number(new Date(r.started_at as string | number | Date))));
  const ruled = insideOrFlagged((await withHostMoveRule(path.join(pairDir, 'a'), a)).rows, (await withHostMoveRule(path.join(pairDir, 'b'), b)).rows);
  // One CPU device in each run: one device pair.
  const { rows, hostSpeed } = (await compareStudies(path.join(pairDir, 'a'), path.join(pairDir, 'b'), { minChange: 0.01 }))[0]!;
  return {
    name: path.basename(pairDir),
    cpu: hostLabel(device, a),
    started: new Date(firstStart).toISOString().slice(0, 16).replace('T', ' '),
    cells: cells.length,
    stable: [count((k) => A.get(k)!.stability === 'stable'), count((k) => B.get(k)!.stability === 'stable')],
    flagRule: insideOrFlagged(a, b).agree,
    flagRuleHostMove: ruled.agree,
    written95: count((k) => within(p50B(k), [Number(A.get(k)!.p50_ci_low_ms), Number(A.get(k)!.p50_ci_high_ms)])),
    writtenRerun: wa.size ? count((k) => wa.has(k) && within(p50B(k), wa.get(k)!.rerun)) : null,
    current95: count((k) => within(p50B(k), ca.get(k)!.ci)),
    currentRerun: count((k) => within(p50B(k), ca.get(k)!.rerun)),
    halfWidth: [hw(ca, A), hw(cb, B)],
    writtenHalfWidth: [median(cells.map((k) => halfWidth(A.get(k)!))), median(cells.map((k) => halfWidth(B.get(k)!)))],
    shared: median(cells.map((k) => p50B(k) / Number(A.get(k)!.p50_ms))),
    changed: rows.filter((r) => r.significant).length,
    changedHostAdjusted: hostSpeed ? rows.filter((r) => r.host_adjusted_significant === true).length : null,
    probe: hostSpeed?.compute.ratio ?? null,
    fails: regressions(rows, 1).length > 0,
    failsHostAdjusted: hostSpeed ? regressions(rows, 1, 'host-adjusted').length > 0 : null,
  };
}

/** Every pair under `root`, oldest first, and what they say together. */
async function pooled(root: string): Promise<void> {
  const names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name.startsWith('repetitions')).map((d) => d.name);
  const pairs = (await Promise.all(names.map((n) => pairAgreement(path.join(root, n))))).sort((x, y) => x.started.localeCompare(y.started));
  const lines: string[] = [];
  const say = (s = '') => lines.push(s);
  say(`Every bench:repetitions pair under ${path.relative(ROOT, root)}, B's p50 against A's intervals. Command: \`npm run bench:repetitions -- --pool ${path.relative(ROOT, root)}\`.`);
  say();
  say('| tables | CPU | A started (UTC) | stable A, B | inside or flagged | inside or flagged (host-move rule) | inside A\'s 95% (as written) | inside A\'s rerun (as written) | inside A\'s 95% (current rule) | inside A\'s rerun (current rule) | median half-width A, B (current rule) | median B/A | probe B/A | compare: changed (probe taken out) |');
  say('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const p of pairs) {
    say(`| ${p.name} | ${p.cpu} | ${p.started} | ${p.stable[0]}, ${p.stable[1]} of ${p.cells} | ${p.flagRule} | ${p.flagRuleHostMove} | ${p.written95} | ${p.writtenRerun ?? '-'} | ${p.current95} | ${p.currentRerun} | ±${pct(p.halfWidth[0])}, ±${pct(p.halfWidth[1])} | ${p.shared.toFixed(3)} | ${p.probe?.toFixed(3) ?? '-'} | ${p.changed}${p.changedHostAdjusted === null ? '' : ` (${p.changedHostAdjusted})`} |`);
  }
  const total = (f: (p: PairAgreement) => number) => pairs.reduce((s, p) => s + f(p), 0);
  const n = total((p) => p.cells);
  const share = (k: number, of = n) => `${k} of ${of} (${pct(k / of)})`;
  say();
  say(`- Pooled over ${pairs.length} pairs, ${n} cells: inside A's 95% interval or flagged not \`stable\` in either run ${share(total((p) => p.flagRule))}; inside A's 95% interval as written ${share(total((p) => p.written95))}.`);
  say(`- By the current rule, recomputed from each cell's own interval: inside A's 95% interval ${share(total((p) => p.current95))}, inside A's rerun interval ${share(total((p) => p.currentRerun))}. ` +
    'Calibrated, the 95% interval of one run\'s p50 holds a second run\'s about 83% of the time, and the rerun interval 95% (docs/TIMING.md, "The interval").');
  const quiet = pairs.filter((p) => Math.abs(Math.log(p.shared)) < 0.01);
  if (quiet.length) {
    const q = (f: (p: PairAgreement) => number) => quiet.reduce((s, p) => s + f(p), 0);
    const m = q((p) => p.cells);
    say(`- The ${quiet.length} pairs whose cells moved together by less than 1% (median B/A within 0.990–1.010), ${m} cells: inside A's 95% interval by the current rule ${share(q((p) => p.current95), m)}, inside A's rerun interval ${share(q((p) => p.currentRerun), m)}; inside or flagged as written ${share(q((p) => p.flagRule), m)}.`);
  }
  say(`- Pairs meeting the issue's check (at least 90% inside or flagged): ${pairs.filter((p) => p.flagRule >= 0.9 * p.cells).length} of ${pairs.length}; with the median half-width as written at most 3% in both runs too: ${pairs.filter((p) => p.flagRule >= 0.9 * p.cells && Math.max(...p.writtenHalfWidth) <= 0.03).length} of ${pairs.length}.`);
  const meets = (p: PairAgreement) => p.flagRuleHostMove >= 0.9 * p.cells;
  say(`- With the host-move rule (src/latency/host-move.ts) applied to every pair's tables: inside or flagged ${share(total((p) => p.flagRuleHostMove))}; pairs meeting the check ${pairs.filter(meets).length} of ${pairs.length}, ` +
    `with the half-width too ${pairs.filter((p) => meets(p) && Math.max(...p.writtenHalfWidth) <= 0.03).length} of ${pairs.length}.`);
  // Every pair ran the same code twice on one host: a change compare reports is the host's, and a
  // regression check that fails is a false alarm.
  const probed = pairs.filter((p) => p.changedHostAdjusted !== null);
  const probedCells = probed.reduce((s, p) => s + p.cells, 0);
  const calm = (changed: (p: PairAgreement) => number) => probed.filter((p) => changed(p) <= 0.1 * p.cells).length;
  say(`- \`dnnbench compare a b\` on the ${probed.length} pairs with speed-probe readings, ${probedCells} cells of unchanged code: significantly changed ${share(probed.reduce((s, p) => s + p.changed, 0), probedCells)}, ` +
    `with the host's speed by the probe taken out ${share(probed.reduce((s, p) => s + p.changedHostAdjusted!, 0), probedCells)}; pairs with at most 10% of cells changed ${calm((p) => p.changed)} of ${probed.length}, ` +
    `with the probe taken out ${calm((p) => p.changedHostAdjusted!)} of ${probed.length}. \`--fail-on-regression 1\` fails ${probed.filter((p) => p.fails).length} of ${probed.length} pairs, ` +
    `with --host-adjusted ${probed.filter((p) => p.failsHostAdjusted).length} of ${probed.length}.`);
  console.log(lines.join('\n'));
}

/** One run and its second run: A's intervals by a rule against B's p50s. */
interface RulePair { name: string; a: string; b: string }

interface RuleCount { cells: number; inside: number; insideShifted: number; insideOrFlagged: number; halfWidth: number; shared: number }

/**
 * A row's verdict had its interval been `ci`: a verdict that does not rest on the interval
 * (`drifting`, `host-disturbed`, too few repetitions) stands; otherwise `stable` when the interval
 * is within the study's target (src/latency/stability.ts).
 */
function verdictWith(r: Row, [low, high]: [number, number], target: number): string {
  if (r.stability !== 'stable' && r.stability !== 'noisy') return String(r.stability);
  if (r.stability === 'noisy' && String(r.stability_reason ?? '').startsWith('only ')) return 'noisy';
  return (high - low) / 2 / Number(r.p50_ms) > target ? 'noisy' : 'stable';
}

/** The study's precision target (the default where its spec sets none). */
async function targetOf(dirPath: string): Promise<number> {
  const [study] = await readResultTable(dirPath, 'study');
  const set = study?.spec_json ? (JSON.parse(String(study.spec_json)) as { timing?: { targetPrecision?: unknown } }).timing?.targetPrecision : undefined;
  return typeof set === 'number' ? set : DEFAULT_STABILITY_SETTINGS.targetPrecision;
}

/** B's p50 inside A's rerun interval by `rule`, as measured and with the move all cells share taken out, and A's median half-width. */
async function ruleCount(pair: RulePair, rule: IntervalRule): Promise<RuleCount> {
  const ok = async (d: string) => (await readResultTable(d, 'latency')).filter((r) => r.status === 'ok');
  const [a, b] = [await ok(pair.a), await ok(pair.b)];
  const B = new Map(b.map((r) => [key(r), Number(r.p50_ms)]));
  const A = new Map(a.map((r) => [key(r), Number(r.p50_ms)]));
  const [ia, ib] = [recomputedIntervals(a, rule), recomputedIntervals(b, rule)];
  const [ta, tb] = [await targetOf(pair.a), await targetOf(pair.b)];
  const rowsA = new Map(a.map((r) => [key(r), r]));
  const rowsB = new Map(b.map((r) => [key(r), r]));
  const cells = [...A.keys()].filter((k) => B.has(k));
  const flagged = (k: string) => verdictWith(rowsA.get(k)!, ia.get(k)!.ci, ta) !== 'stable' || verdictWith(rowsB.get(k)!, ib.get(k)!.ci, tb) !== 'stable';
  const shared = median(cells.map((k) => Math.log(B.get(k)! / A.get(k)!)));
  const within = (x: number, [lo, hi]: [number, number]) => x >= lo && x <= hi;
  return {
    cells: cells.length,
    inside: cells.filter((k) => within(B.get(k)!, ia.get(k)!.rerun)).length,
    insideShifted: cells.filter((k) => within(B.get(k)! / Math.exp(shared), ia.get(k)!.rerun)).length,
    insideOrFlagged: cells.filter((k) => within(B.get(k)!, ia.get(k)!.ci) || flagged(k)).length,
    halfWidth: median(cells.map((k) => (ia.get(k)!.ci[1] - ia.get(k)!.ci[0]) / 2 / A.get(k)!)),
    shared: Math.exp(shared),
  };
}

/**
 * The current rule (widen only) against moderating both ways, on every committed second run: the
 * bench:repetitions pairs under `pairsRoot` (B against A) and the papers runs under `studiesRoot`
 * with a calibration/ folder (the calibration against the study, on the cells both have).
 */
async function rules(docs: string, pairsRoot: string, studiesRoot: string): Promise<void> {
  const dirs = async (root: string) => (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const bench = (await dirs(pairsRoot)).filter((n) => n.startsWith('repetitions')).map((n) => ({ name: n, a: path.join(pairsRoot, n, 'a'), b: path.join(pairsRoot, n, 'b') }));
  const papers: RulePair[] = [];
  for (const n of await dirs(studiesRoot)) {
    if ((await dirs(path.join(studiesRoot, n))).includes('calibration')) papers.push({ name: n, a: path.join(studiesRoot, n), b: path.join(studiesRoot, n, 'calibration') });
  }
  const lines: string[] = [];
  const say = (s = '') => lines.push(s);
  say(`B's p50 inside A's rerun interval, by the current rule (widened to the device's spread, never narrowed) and moderated both ways. Command: \`npm run bench:repetitions -- --rules ${path.relative(ROOT, docs)}\`.`);
  say();
  say('In A\'s rerun interval: "inside", and "shared move out" with the median B/A taken out of B. The issue\'s check: B\'s p50 inside A\'s 95% interval, or the cell not `stable` in either run, with the verdicts as each rule\'s interval would make them.');
  say();
  say('| A | B | cells | median B/A | inside (current) | shared move out (current) | issue\'s check (current) | median half-width (current) | inside (both ways) | shared move out (both ways) | issue\'s check (both ways) | median half-width (both ways) |');
  say('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const totals = new Map<string, [RuleCount, RuleCount][]>();
  for (const [group, pairs] of [['bench:repetitions pairs', bench], ['papers runs and their calibration', papers]] as const) {
    const counts: [RuleCount, RuleCount][] = [];
    for (const p of pairs) {
      const [cur, both] = [await ruleCount(p, widenToSpread), await ruleCount(p, moderatedBothWays)];
      counts.push([cur, both]);
      say(`| ${path.relative(ROOT, p.a)} | ${path.relative(ROOT, p.b)} | ${cur.cells} | ${cur.shared.toFixed(3)} | ${cur.inside} | ${cur.insideShifted} | ${cur.insideOrFlagged} | ±${pct(cur.halfWidth)} | ` +
        `${both.inside} | ${both.insideShifted} | ${both.insideOrFlagged} | ±${pct(both.halfWidth)} |`);
    }
    totals.set(group, counts);
  }
  say();
  for (const [group, counts] of totals) {
    const n = counts.reduce((s, [c]) => s + c.cells, 0);
    const sum = (i: 0 | 1, f: (c: RuleCount) => number) => counts.reduce((s, c) => s + f(c[i]), 0);
    const share = (k: number) => `${k} of ${n} (${pct(k / n)})`;
    const hws = (i: 0 | 1) => median(counts.map((c) => c[i].halfWidth));
    say(`- ${group}, ${counts.length} of them, ${n} cells: inside A's rerun interval by the current rule ${share(sum(0, (c) => c.inside))}, with the shared move out ${share(sum(0, (c) => c.insideShifted))}; ` +
      `moderated both ways ${share(sum(1, (c) => c.inside))}, with the shared move out ${share(sum(1, (c) => c.insideShifted))}. ` +
      `Median over them of A's median half-width: ±${pct(hws(0))} by the current rule, ±${pct(hws(1))} both ways. A calibrated rerun interval misses about ${(0.05 * n).toFixed(1)} of ${n}. ` +
      `The issue's check: ${share(sum(0, (c) => c.insideOrFlagged))} by the current rule, ${share(sum(1, (c) => c.insideOrFlagged))} both ways; ` +
      `met (at least 90% of a run's cells) by ${counts.filter(([c]) => c.insideOrFlagged >= 0.9 * c.cells).length} and ${counts.filter(([, c]) => c.insideOrFlagged >= 0.9 * c.cells).length} of ${counts.length}.`);
  }
  console.log(lines.join('\n'));
}

if (args.rules) {
  const docs = path.resolve(ROOT, args.rules);
  await rules(docs, path.join(docs, 'benchmarks'), path.join(docs, 'studies'));
  process.exit(0);
}

if (args.pool) {
  await pooled(path.resolve(ROOT, args.pool));
  process.exit(0);
}

// Measuring replaces --dir's tables: name it, so committed runs are not overwritten by default.
if (args.measure && !process.argv.slice(2).some((a) => a === '--dir' || a.startsWith('--dir='))) {
  console.error('bench:repetitions --measure: give --dir for the new tables (it is emptied first; the committed runs are under docs/benchmarks/repetitions*)');
  process.exit(2);
}
// Checked before measure() empties --dir, so a mistyped count costs nothing.
if (args.measure && args.threads !== undefined && !/^[1-9]\d*$/.test(args.threads)) {
  console.error(`bench:repetitions --measure: --threads must be a positive integer (the device's intra-op threads), not "${args.threads}"`);
  process.exit(2);
}
if (args.measure && args['thread-variants'] !== undefined) {
  const counts = threadVariants();
  if (args.threads !== undefined || counts.length < 2 || counts.some((t) => !Number.isInteger(t) || t < 1) || new Set(counts).size !== counts.length) {
    console.error(`bench:repetitions --measure: --thread-variants takes two or more different positive thread counts ("2,1"), and not with --threads; got "${args['thread-variants']}"`);
    process.exit(2);
  }
}
if (args.measure) await measure();
await summarize();
