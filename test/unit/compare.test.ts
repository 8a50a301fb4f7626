/**
 * compare's decision with both runs' uncertainty, on synthetic cells: calibrated when both sides
 * have repetitions (few false changes between two runs of one truth, the true ratio inside the
 * interval about 95% of the time), the fallbacks in their order, the practical threshold, and the
 * regression check.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benjaminiHochberg, commonShift, compareCell, compareCells, regressions, type CompareCell, type CompareRow } from '../../src/analysis/compare.js';
import { p50Interval, pooledMedian } from '../../src/stats/repetition-stats.js';
import { gaussian } from '../helpers/gaussian.js';
import { median, studentT975, twoSidedStudentP } from '../../src/stats/quantiles.js';
import { prng } from '../../src/stats/prng.js';

/** R repetitions of `runs` runs: p50 · exp(u_r + e), u_r ~ N(0, between²), e ~ N(0, within²). */
function repetitions(draw: () => number, p50: number, R: number, between: number, within = 0.02, runs = 30): number[][] {
  return Array.from({ length: R }, () => {
    const u = between * draw();
    return Array.from({ length: runs }, () => p50 * Math.exp(u + within * draw()));
  });
}

type Source = 'repetitions' | 'cell intervals' | 'within-run';

/** The cell as a study with that source of uncertainty would hold it. */
function cell(reps: number[][], source: Source, id = 'm'): CompareCell {
  const base = { model_id: id, batch_size: 1, p50_ms: pooledMedian(reps), samples: reps.flat() };
  if (source === 'repetitions') return { ...base, repetition_p50_ms: reps.map(median), ci_low_ms: null, ci_high_ms: null, repetitions: reps.length };
  if (source === 'cell intervals') {
    const iv = p50Interval(reps, { resamples: 500 });
    return { ...base, repetition_p50_ms: [], ci_low_ms: iv.ci_low_ms, ci_high_ms: iv.ci_high_ms, repetitions: reps.length };
  }
  return { ...base, repetition_p50_ms: [], ci_low_ms: null, ci_high_ms: null, repetitions: null };
}

test('two runs of one truth with 4% run-to-run noise: few changes from repetitions, most from within-run bands', () => {
  const draw = gaussian(prng(1));
  const falseChanges: Record<Source, number> = { repetitions: 0, 'cell intervals': 0, 'within-run': 0 };
  const pairs = 150;
  for (let i = 0; i < pairs; i++) {
    const a = repetitions(draw, 10, 5, 0.04);
    const b = repetitions(draw, 10, 5, 0.04);
    for (const source of Object.keys(falseChanges) as Source[]) {
      // The within-run side sees one repetition's runs, as a study without repetitions would.
      const [ra, rb] = source === 'within-run' ? [a.slice(0, 1), b.slice(0, 1)] : [a, b];
      if (compareCell(cell(ra, source), cell(rb, source)).significant) falseChanges[source]++;
    }
  }
  assert.ok(falseChanges.repetitions / pairs <= 0.08, JSON.stringify(falseChanges));
  assert.ok(falseChanges['cell intervals'] / pairs <= 0.08, JSON.stringify(falseChanges));
  assert.ok(falseChanges['within-run'] / pairs >= 0.5, JSON.stringify(falseChanges));
});

test('with repetitions, the interval holds the true ratio about 95% of the time and finds a 10% slow-down', () => {
  const draw = gaussian(prng(2));
  let covered = 0;
  let found = 0;
  const pairs = 200;
  for (let i = 0; i < pairs; i++) {
    const row = compareCell(cell(repetitions(draw, 10, 5, 0.02), 'repetitions'), cell(repetitions(draw, 11, 5, 0.02), 'repetitions'));
    if (row.ratio_low! <= 1.1 && 1.1 <= row.ratio_high!) covered++;
    if (row.verdict === 'slower') found++;
  }
  assert.ok(covered / pairs >= 0.88 && covered / pairs <= 0.99, `coverage ${covered / pairs}`);
  assert.ok(found / pairs >= 0.95, `found ${found} of ${pairs}`);
});

test('each side uses its best source; the row names the weaker; no source, no interval', () => {
  const draw = gaussian(prng(3));
  const a = repetitions(draw, 10, 4, 0.02);
  const b = repetitions(draw, 10, 4, 0.02);
  assert.equal(compareCell(cell(a, 'repetitions'), cell(b, 'repetitions')).basis, 'repetitions');
  assert.equal(compareCell(cell(a, 'repetitions'), cell(b, 'cell intervals')).basis, 'cell intervals');
  assert.equal(compareCell(cell(a, 'within-run'), cell(b, 'repetitions')).basis, 'within-run');
  // One repetition's interval is a within-run one.
  const single = cell(a.slice(0, 1), 'cell intervals');
  assert.equal(single.repetitions, 1);
  assert.equal(compareCell(single, cell(b, 'cell intervals')).basis, 'within-run');
  // A cell interval from 4 repetitions is about as wide as their t interval.
  const fromReps = compareCell(cell(a, 'repetitions'), cell(b, 'repetitions'));
  const fromIntervals = compareCell(cell(a, 'cell intervals'), cell(b, 'cell intervals'));
  const width = (r: typeof fromReps) => Math.log(r.ratio_high! / r.ratio_low!);
  assert.ok(width(fromIntervals) / width(fromReps) > 0.6 && width(fromIntervals) / width(fromReps) < 1.6, `${width(fromIntervals)} vs ${width(fromReps)}`);
  const bare = { ...cell(a, 'within-run'), samples: [10] };
  assert.deepEqual(compareCell(bare, cell(b, 'repetitions')), {
    ratio: cell(b, 'repetitions').p50_ms / bare.p50_ms, ratio_low: null, ratio_high: null, significant: false, verdict: 'no interval',
    basis: null, repetitions_a: null, repetitions_b: 4, p_value: null, q_value: null, log_se: null, df: null,
  });
});

test('a 0.3% change is within noise even when the interval excludes 1; the threshold is an option', () => {
  // 5,000 runs each, 1% noise: the interval is far narrower than 0.3%.
  const draw = gaussian(prng(4));
  const a = repetitions(draw, 10, 1, 0, 0.01, 5000);
  const b = a.map((runs) => runs.map((x) => x * 0.997));
  const row = compareCell(cell(a, 'within-run'), cell(b, 'within-run'));
  assert.ok(row.ratio_high! < 1, JSON.stringify(row));
  assert.deepEqual([row.significant, row.verdict], [false, 'within noise']);
  assert.deepEqual([compareCell(cell(a, 'within-run'), cell(b, 'within-run'), { minChange: 0.001 }).verdict], ['faster']);
});

test('regressions: significantly slower by more than the percentage, nothing else', () => {
  const draw = gaussian(prng(5));
  const a = ['fast', 'same', 'slow5', 'slow20'].map((id) => cell(repetitions(draw, 10, 5, 0.01), 'repetitions', id));
  const factor: Record<string, number> = { fast: 0.8, same: 1, slow5: 1.05, slow20: 1.2 };
  const b = ['fast', 'same', 'slow5', 'slow20'].map((id) => cell(repetitions(draw, 10 * factor[id]!, 5, 0.01), 'repetitions', id));
  const rows: CompareRow[] = compareCells(a, b, { a: 'cpu', b: 'cpu' });
  assert.deepEqual(rows.map((r) => [r.model_id, r.verdict]), [['fast', 'faster'], ['same', 'within noise'], ['slow5', 'slower'], ['slow20', 'slower']]);
  assert.deepEqual(regressions(rows, 10).map((r) => r.model_id), ['slow20']);
  assert.deepEqual(regressions(rows, 2).map((r) => r.model_id), ['slow5', 'slow20']);
  assert.deepEqual(regressions(rows, 50), []);
});

test('t p-values: 0.05 at every tabulated 97.5th percentile, 1 at 0, the normal\'s for unbounded df', () => {
  for (let df = 1; df <= 40; df++) assert.ok(Math.abs(twoSidedStudentP(studentT975(df), df) - 0.05) < 2e-4, `df ${df}: ${twoSidedStudentP(studentT975(df), df)}`);
  assert.equal(twoSidedStudentP(0, 5), 1);
  // Statistics tables: t = 4.032 is the 99.5th percentile at 5 df; 3.169 at 10 df.
  assert.ok(Math.abs(twoSidedStudentP(4.032, 5) - 0.01) < 1e-4);
  assert.ok(Math.abs(twoSidedStudentP(-3.169, 10) - 0.01) < 1e-4);
  assert.ok(Math.abs(twoSidedStudentP(1.959964, Infinity) - 0.05) < 1e-6);
  assert.throws(() => twoSidedStudentP(1, 0), /degrees of freedom/);
});

test('Benjamini-Hochberg q-values, worked by hand', () => {
  // Sorted 0.005, 0.01, 0.03, 0.04 (m = 4): ·4/1, ·4/2, ·4/3, ·4/4 = 0.02, 0.02, 0.04, 0.04, then the running minimum from the top.
  const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
  [0.02, 0.04, 0.04, 0.02].forEach((want, i) => assert.ok(Math.abs(q[i]! - want) < 1e-12, `${q}`));
  assert.deepEqual(benjaminiHochberg([0.5]), [0.5]);
  assert.deepEqual(benjaminiHochberg([]), []);
});

test('231 cells of one truth compared: some p below 0.05, but a change is reported in few of the comparisons', () => {
  const draw = gaussian(prng(6));
  let withAnyChange = 0;
  let perCellBelow05 = 0;
  const comparisons = 40;
  for (let k = 0; k < comparisons; k++) {
    const ids = Array.from({ length: 231 }, (_, i) => `m${i}`);
    const a = ids.map((id) => cell(repetitions(draw, 10, 3, 0.03, 0.02, 10), 'repetitions', id));
    const b = ids.map((id) => cell(repetitions(draw, 10, 3, 0.03, 0.02, 10), 'repetitions', id));
    const rows = compareCells(a, b, { a: 'cpu', b: 'cpu' });
    perCellBelow05 += rows.filter((r) => r.p_value! < 0.05).length;
    if (rows.some((r) => r.significant)) withAnyChange++;
    // p < 0.05 exactly when the cell's own interval excludes 1.
    for (const r of rows) assert.equal(r.p_value! < 0.05, r.ratio_low! > 1 || r.ratio_high! < 1, JSON.stringify(r));
  }
  // Alone, about 5% of cells (over 11 per comparison) would be called changed.
  assert.ok(perCellBelow05 / comparisons > 5, `${perCellBelow05 / comparisons} per comparison`);
  assert.ok(withAnyChange / comparisons <= 0.15, `${withAnyChange} of ${comparisons} comparisons reported a change`);
});

test('a host 3% slower in B moves every cell: the shared move is found, and only the cell that moved more is relatively changed', () => {
  const draw = gaussian(prng(11));
  const ids = Array.from({ length: 12 }, (_, i) => `m${i}`);
  const a = ids.map((id) => cell(repetitions(draw, 10, 8, 0.005, 0.01, 20), 'repetitions', id));
  // Every cell 3% slower; m0 a further 10%.
  const b = ids.map((id) => cell(repetitions(draw, 10 * 1.03 * (id === 'm0' ? 1.1 : 1), 8, 0.005, 0.01, 20), 'repetitions', id));
  const rows = compareCells(a, b, { a: 'cpu', b: 'cpu' });
  assert.ok(rows.filter((r) => r.significant).length >= 10, 'the plain ratios see the 3% move');
  const common = commonShift(rows)!;
  assert.equal(common.cells, 12);
  assert.ok(Math.abs(common.ratio - 1.03) < 0.01, JSON.stringify(common));
  // 12 cells: the sign test's interval is the 3rd smallest to the 3rd largest ratio.
  const sorted = rows.map((r) => r.ratio).sort((x, y) => x - y);
  assert.deepEqual([common.ratio_low, common.ratio_high], [sorted[2], sorted[9]]);
  assert.deepEqual(rows.filter((r) => r.relative_significant).map((r) => r.model_id), ['m0']);
  assert.ok(Math.abs(rows[0]!.relative_ratio! - 1.1) < 0.02, `${rows[0]!.relative_ratio}`);
  // Fewer than 6 cells: no interval for the median; fewer than 3: no shared move at all.
  assert.deepEqual([commonShift(rows.slice(0, 5))!.ratio_low, commonShift(rows.slice(0, 2))], [null, null]);
});

test('the host-adjusted columns: a probe that saw the host 3% slower takes the shared move out, and leaves a real change in', () => {
  const draw = gaussian(prng(12));
  const ids = Array.from({ length: 12 }, (_, i) => `m${i}`);
  const a = ids.map((id) => cell(repetitions(draw, 10, 8, 0.005, 0.01, 20), 'repetitions', id));
  // The host 3% slower in B for every cell; m0 also 10% slower of its own.
  const b = ids.map((id) => cell(repetitions(draw, 10 * 1.03 * (id === 'm0' ? 1.1 : 1), 8, 0.005, 0.01, 20), 'repetitions', id));
  const probeSawTheHost = compareCells(a, b, { a: 'cpu', b: 'cpu' }, { hostSpeed: { ratio: 1.03, logSe: 0.003 } });
  assert.ok(probeSawTheHost.filter((r) => r.significant).length >= 10, 'the plain ratios still see the move');
  assert.deepEqual(probeSawTheHost.filter((r) => r.host_adjusted_significant).map((r) => r.model_id), ['m0']);
  assert.ok(Math.abs(probeSawTheHost[0]!.host_adjusted_ratio! - 1.1) < 0.02, `${probeSawTheHost[0]!.host_adjusted_ratio}`);
  assert.ok(probeSawTheHost.every((r) => r.host_speed_ratio === 1.03));
  // A probe that saw no move: the adjusted columns find what the plain ones find.
  const steadyHost = compareCells(a, b, { a: 'cpu', b: 'cpu' }, { hostSpeed: { ratio: 1, logSe: 0.003 } });
  assert.deepEqual(steadyHost.map((r) => r.host_adjusted_significant), steadyHost.map((r) => r.significant));
  // An uncertain probe widens every cell's test: nothing is called changed on its say-so.
  const vagueProbe = compareCells(a, b, { a: 'cpu', b: 'cpu' }, { hostSpeed: { ratio: 1, logSe: 0.05 } });
  assert.equal(vagueProbe.filter((r) => r.host_adjusted_significant).length, 0);
  // Without probe readings the columns stay empty.
  assert.ok(compareCells(a, b, { a: 'cpu', b: 'cpu' }).every((r) => r.host_speed_ratio === null && r.host_adjusted_significant === null));
});

test('the regression check with the host taken out: the host\'s 3% is no regression, m0\'s own 10% still is', () => {
  const draw = gaussian(prng(13));
  const ids = Array.from({ length: 12 }, (_, i) => `m${i}`);
  const a = ids.map((id) => cell(repetitions(draw, 10, 8, 0.005, 0.01, 20), 'repetitions', id));
  const b = ids.map((id) => cell(repetitions(draw, 10 * 1.03 * (id === 'm0' ? 1.1 : 1), 8, 0.005, 0.01, 20), 'repetitions', id));
  const rows = compareCells(a, b, { a: 'cpu', b: 'cpu' }, { hostSpeed: { ratio: 1.03, logSe: 0.003 } });
  assert.ok(regressions(rows, 1).length >= 10, 'the plain check fails on the host\'s move');
  assert.deepEqual(regressions(rows, 1, 'host-adjusted').map((r) => r.model_id), ['m0']);
  assert.deepEqual(regressions(rows, 12, 'host-adjusted'), [], 'm0 is 10% slower of its own, not 12%');
  // Rows without the probe's columns give no host-adjusted regression (the command refuses them first).
  assert.deepEqual(regressions(compareCells(a, b, { a: 'cpu', b: 'cpu' }), 1, 'host-adjusted'), []);
});
