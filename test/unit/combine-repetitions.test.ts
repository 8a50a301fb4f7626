/**
 * A latency cell from its repetitions: its figures come from the clean repetitions only (the
 * discarded ones when there is nothing else, then marked host-disturbed), and the next-repetition
 * rule counts clean repetitions toward the minimum but every repetition's time toward the budget.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combineRepetitions, nextRepetition } from '../../src/latency/combine-repetitions.js';
import type { RepetitionCell, RepetitionMeasurement } from '../../src/results/cell-types.js';
import { prng } from '../../src/stats/prng.js';
import { timingSpec } from '../../src/study/study-spec.js';
import { gaussian } from '../helpers/gaussian.js';

const timing = timingSpec({ minRepetitions: 3, maxRepetitions: 5, cellBudgetSeconds: 100 });

/** `n` runs around `level` ms with 1% log-normal noise. */
function runs(n: number, level: number, seed: number): number[] {
  const draw = gaussian(prng(seed));
  return Array.from({ length: n }, () => level * Math.exp(0.01 * draw()));
}

interface RepetitionOptions {
  discarded?: boolean;
  seconds?: number;
  measurement?: RepetitionMeasurement;
}

/** A repetition as repetitionRecord would keep it; the host readings are those of a quiet host. */
function repetition(index: number, samples_ms: number[], opts: RepetitionOptions = {}): RepetitionCell {
  const discarded = opts.discarded ?? false;
  return {
    model_id: 'm', device: 'cpu-a', batch_size: 4, repetition: index, round: index, worker: 'w1', started_at: 1_700_000_000_000 + index * 10_000,
    discarded, discard_reasons: discarded ? ['other processes used 1.50 cores (limit 0.1)'] : [],
    p50_ms: [...samples_ms].sort((a, b) => a - b)[Math.floor(samples_ms.length / 2)]!, runs: samples_ms.length,
    warmup_runs: 10, warmup_reason: 'steady', drift_rho: null, drift_change: null,
    seconds: opts.seconds ?? 5, steal_fraction: 0, other_cores: discarded ? 1.5 : 0, own_cores: 1,
    load_avg_start: 1, load_avg_end: 1, cpu_mhz_min: null, cpu_mhz_max: null, max_temperature_c: null,
    gpu_sm_mhz: null, gpu_memory_mhz: null, gpu_throttle_reasons: [], jetson_power_mode: null, jetson_gpu_mhz: null,
    host_notes: [],
    samples_ms,
    measurement: opts.measurement ?? { rss_before_bytes: 100e6, rss_static_bytes: 150e6, rss_peak_bytes: 200e6, power_note: 'no power meter' },
  };
}

/** The median, computed here from its definition: the middle value, or the mean of the two middle ones. */
function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The cell's runs regrouped by their samples_repetition label, in order. */
function byLabel(samples: readonly number[], labels: readonly number[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  samples.forEach((v, i) => groups.set(labels[i]!, [...(groups.get(labels[i]!) ?? []), v]));
  return groups;
}

test('the figures are the clean repetitions\' pooled runs; a discarded repetition counts only in repetitions_discarded and seconds', () => {
  // Uneven run counts (an even total: the median is a mean of two), and a discarded repetition
  // three times slower, with a higher memory peak, that would move every figure if it were used.
  const clean = [
    repetition(0, runs(31, 10, 1), { seconds: 4, measurement: { rss_peak_bytes: 210e6 } }),
    repetition(2, runs(40, 10.3, 2), { seconds: 6, measurement: { rss_peak_bytes: 250e6 } }),
    repetition(3, runs(25, 9.8, 3), { seconds: 5, measurement: { rss_peak_bytes: 230e6 } }),
  ];
  const disturbed = repetition(1, runs(35, 30, 4), { discarded: true, seconds: 7, measurement: { rss_peak_bytes: 900e6 } });
  const batch = 4;
  const cell = combineRepetitions([clean[0]!, disturbed, clean[1]!, clean[2]!], batch, timing, null);

  const pooled = clean.flatMap((r) => r.samples_ms);
  assert.equal(pooled.length % 2, 0);
  assert.ok(Math.abs(cell.p50_ms! - medianOf(pooled)) < 1e-12, `p50 ${cell.p50_ms} against the pooled median ${medianOf(pooled)}`);
  assert.ok(Math.abs(cell.per_image_ms! - cell.p50_ms! / batch) < 1e-12);
  assert.ok(Math.abs(cell.images_per_s! - (batch * 1000) / cell.p50_ms!) < 1e-9);
  assert.equal(cell.runs, pooled.length);
  assert.equal(cell.max_ms, Math.max(...pooled));
  assert.equal(cell.min_ms, Math.min(...pooled));
  assert.deepEqual([...cell.samples_ms!].sort((a, b) => a - b), [...pooled].sort((a, b) => a - b));

  assert.equal(cell.repetitions, 3);
  assert.equal(cell.repetitions_discarded, 1);
  assert.equal(cell.seconds, 4 + 7 + 6 + 5);
  assert.equal(cell.rss_peak_bytes, 250e6);

  // Each run is labelled with the repetition it came from (the numbers, not positions: 0, 2, 3).
  assert.equal(cell.samples_repetition.length, cell.samples_ms!.length);
  const groups = byLabel(cell.samples_ms!, cell.samples_repetition);
  assert.deepEqual([...groups.keys()].sort(), [0, 2, 3]);
  for (const r of clean) assert.deepEqual(groups.get(r.repetition), r.samples_ms, `repetition ${r.repetition}`);

  assert.ok(cell.p50_ci_low_ms! < cell.p50_ms! && cell.p50_ms! < cell.p50_ci_high_ms!, JSON.stringify([cell.p50_ci_low_ms, cell.p50_ms, cell.p50_ci_high_ms]));
  // Three clean repetitions, enough despite the discarded one: the verdict is not host-disturbed.
  assert.notEqual(cell.stability, 'host-disturbed');
});

test('with every repetition discarded the figures are theirs, marked host-disturbed', () => {
  const reps = [
    repetition(0, runs(30, 12, 5), { discarded: true, seconds: 3, measurement: { rss_peak_bytes: 300e6 } }),
    repetition(1, runs(21, 13, 6), { discarded: true, seconds: 4, measurement: { rss_peak_bytes: 350e6 } }),
  ];
  const cell = combineRepetitions(reps, 1, timing, null);
  const pooled = reps.flatMap((r) => r.samples_ms);
  assert.ok(Math.abs(cell.p50_ms! - medianOf(pooled)) < 1e-12, `p50 ${cell.p50_ms} against ${medianOf(pooled)}`);
  assert.equal(cell.per_image_ms, cell.p50_ms);
  assert.equal(cell.runs, pooled.length);
  assert.equal(cell.repetitions, 0);
  assert.equal(cell.repetitions_discarded, 2);
  assert.equal(cell.seconds, 7);
  assert.equal(cell.rss_peak_bytes, 350e6);
  assert.equal(cell.stability, 'host-disturbed');
  assert.match(cell.stability_reason!, /discarded/);
  assert.deepEqual(byLabel(cell.samples_ms!, cell.samples_repetition), new Map([[0, reps[0]!.samples_ms], [1, reps[1]!.samples_ms]]));
  assert.ok(cell.p50_ci_low_ms! <= cell.p50_ms! && cell.p50_ms! <= cell.p50_ci_high_ms!);
});

test('the interval widens as the repetitions disagree; one that agrees is stable', () => {
  // The same runs each time; only each repetition's level moves apart.
  const noise = [runs(40, 1, 7), runs(40, 1, 8), runs(40, 1, 9)];
  const spread = [-1, 0, 1];
  const cellFor = (apart: number) =>
    combineRepetitions(noise.map((e, r) => repetition(r, e.map((x) => 10 * (1 + apart * spread[r]!) * x))), 1, timing, null);
  const cells = [0, 0.02, 0.06].map(cellFor);
  const widths = cells.map((c) => (c.p50_ci_high_ms! - c.p50_ci_low_ms!) / c.p50_ms!);
  for (const c of cells) assert.ok(c.p50_ci_low_ms! <= c.p50_ms! && c.p50_ms! <= c.p50_ci_high_ms!, `${c.p50_ci_low_ms} ${c.p50_ms} ${c.p50_ci_high_ms}`);
  assert.ok(widths[1]! > 1.5 * widths[0]! && widths[2]! > 2 * widths[1]!, `relative widths ${widths}`);
  assert.equal(cells[0]!.stability, 'stable', cells[0]!.stability_reason ?? undefined);
  assert.equal(cells[2]!.stability, 'noisy', cells[2]!.stability_reason ?? undefined);
});

test('no repetitions is refused', () => {
  assert.throws(() => combineRepetitions([], 1, timing, null), /no repetitions/);
});

/** A decision's verdict, without its interval. */
const pick = ({ another, reason }: { another: boolean; reason: string }) => ({ another, reason });

test('nextRepetition: below the minimum, up to the maximum, within the budget; discarded repetitions do not count toward the minimum', () => {
  const agreeing = (n: number, seconds = 1) => Array.from({ length: n }, (_, r) => repetition(r, runs(40, 10, 20 + r), { seconds }));
  // Levels 20% apart: never precise enough to stop early.
  const disagreeing = (n: number) => Array.from({ length: n }, (_, r) => repetition(r, runs(40, 10 * (1 + 0.2 * (r % 3)), 40 + r), { seconds: 1 }));
  const discarded = (n: number, seconds = 1) => Array.from({ length: n }, (_, r) => repetition(100 + r, runs(40, 30, 60 + r), { discarded: true, seconds }));
  const next = (reps: RepetitionCell[]) => nextRepetition(reps, timing, null);

  assert.deepEqual([0, 1, 2].map((n) => next(agreeing(n))).map((d) => [d.another, d.reason]), [[true, 'below-min'], [true, 'below-min'], [true, 'below-min']]);
  assert.equal(next([]).interval, null);
  assert.deepEqual(pick(next(agreeing(3))), { another: false, reason: 'precise' });

  assert.deepEqual(pick(next(disagreeing(4))), { another: true, reason: 'imprecise' });
  assert.deepEqual(pick(next(disagreeing(5))), { another: false, reason: 'max-reached' });

  // Two clean repetitions and four discarded: still below the minimum of clean ones.
  assert.deepEqual(pick(next([...agreeing(2), ...discarded(4)])), { another: true, reason: 'below-min' });
  // The same, but the discarded ones took the rest of the 100 s budget: stop, even below the minimum.
  assert.deepEqual(pick(next([...agreeing(2, 10), ...discarded(4, 20)])), { another: false, reason: 'budget-spent' });
  assert.deepEqual(pick(next(agreeing(2, 50))), { another: false, reason: 'budget-spent' });
  assert.deepEqual(pick(next(agreeing(2, 49))), { another: true, reason: 'below-min' });
  // The interval is over the clean repetitions only: the discarded ones, three times slower, are not in it.
  const interval = next([...agreeing(3), ...discarded(2)]).interval!;
  assert.equal(interval.repetitions, 3);
  assert.ok(interval.ci_high_ms < 11, JSON.stringify(interval));
});
