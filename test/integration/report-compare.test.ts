/**
 * `dnnbench compare A B`: p50 ratio per (model, device, batch) with its 95% interval, on two
 * synthetic studies where B is known to be 1.5× slower on one model only, and on the two committed
 * runs of one host (no repetitions: the within-run fallback).
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { median } from '../../src/stats/quantiles.js';
import type { CompareRow } from '../../src/analysis/compare.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { queryParquet } from '../helpers/duckdb.js';
import { writeSyntheticStudy } from '../helpers/synthetic-study.js';
import { ACROSS_DAYS, PAPERS_STUDIES } from '../helpers/papers-studies.js';

let work: string;
let a: string;
let b: string;

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-compare-'));
  a = path.join(work, 'a');
  b = path.join(work, 'b');
  await writeSyntheticStudy(a, { seed: 11, runs: 40 });
  await writeSyntheticStudy(b, { seed: 12, runs: 40, slowdown: { 'res-net': 1.5 } });
});
after(() => rm(work, { recursive: true, force: true }));

test('median as numpy computes it', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('compare --json: the slowed model is "slower" by 1.5×, the others within 4% of 1', async () => {
  const r = await runCli(['compare', a, b, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as CompareRow[];
  // 2 devices × 4 models × 3 batches; the oom batch 64 of res-net is not compared.
  assert.equal(rows.length, 24);
  for (const row of rows) {
    assert.equal(row.device_a, row.device_b);
    assert.ok(row.ratio_low! <= row.ratio && row.ratio <= row.ratio_high!, JSON.stringify(row));
    assert.equal(row.runs_a, 40);
    assert.equal(row.basis, 'within-run');
    if (row.model_id === 'res-net') {
      assert.equal(row.verdict, 'slower');
      assert.equal(row.significant, true);
      assert.ok(Math.abs(row.ratio - 1.5) < 0.06, `ratio ${row.ratio}`);
    } else {
      assert.ok(Math.abs(row.ratio - 1) < 0.04, `${row.model_id}: ratio ${row.ratio}`);
    }
  }
});

test('compare prints a table, and pairs two different devices when asked', async () => {
  const r = await runCli(['compare', a, b]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^A: synthetic on cpu-test \(Test CPU/m);
  assert.match(r.stdout, /res-net\s+1\s+[\d.]+\s+[\d.]+\s+1\.\d+\s+1\.\d+–1\.\d+\s+(<0\.001|0\.\d+)\s+slower/);

  const cross = await runCli(['compare', a, a, '--device-a', 'cpu-test', '--device-b', 'gpu-test', '--json']);
  assert.equal(cross.code, 0, cross.stderr);
  const rows = JSON.parse(cross.stdout) as CompareRow[];
  // The synthetic GPU is 8× faster: B/A about 1/8, clearly outside the noise.
  for (const row of rows) {
    assert.ok(Math.abs(row.ratio - 1 / 8) < 0.01, `${row.model_id} b${row.batch_size}: ${row.ratio}`);
    assert.equal(row.verdict, 'faster');
  }
  assert.match(r.stdout, /Intervals from within-run only: intervals understate run-to-run noise/);
  const bad = await runCli(['compare', a, b, '--device-a', 'tpu-v9']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /has no device tpu-v9/);
});

test('a study whose spec_json is not JSON: compare names its study.parquet in one line (exit 2), and the study is left as it was', async () => {
  const broken = path.join(work, 'broken-spec');
  await cp(a, broken, { recursive: true });
  const file = path.join(broken, 'study.parquet');
  await queryParquet(`COPY (SELECT * REPLACE ('{not json' AS spec_json) FROM '${path.join(a, 'study.parquet')}') TO '${file}' (FORMAT parquet)`);
  const r = await runCli(['compare', a, broken]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: its spec_json is not JSON`));
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack');
  assert.equal((await queryParquet<{ n: bigint }>(`SELECT count(*) AS n FROM '${path.join(broken, 'latency.parquet')}'`))[0]!.n > 0n, true, 'its results kept');
});

test('--fail-on-regression PCT: exit 1 naming the cells significantly slower by more than PCT, else 0', async () => {
  const failing = await runCli(['compare', a, b, '--json', '--fail-on-regression', '20']);
  assert.equal(failing.code, 1, failing.stderr);
  // res-net at batch 1, 2 and 4 on both devices.
  const named = failing.stderr.split('\n').filter((l) => l.startsWith('dnnbench: regression: '));
  assert.equal(named.length, 6, failing.stderr);
  assert.ok(named.every((l) => / res-net b[124] on (cpu|gpu)-test: /.test(l)), failing.stderr);
  assert.doesNotThrow(() => JSON.parse(failing.stdout), 'stdout stays JSON');
  const passing = await runCli(['compare', a, b, '--fail-on-regression', '60']);
  assert.equal(passing.code, 0, passing.stderr);
  assert.match(passing.stderr, /0 of 24 cells significantly slower by more than 60%/);
  const bad = await runCli(['compare', a, b, '--fail-on-regression', 'ten']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--fail-on-regression 'ten': give a percentage ≥ 0/);
});

test('--host-adjusted: refused without --fail-on-regression, and for studies without speed-probe readings, in one line each', async () => {
  const alone = await runCli(['compare', a, b, '--host-adjusted']);
  assert.equal(alone.code, 2, alone.stderr);
  assert.match(alone.stderr, /--host-adjusted decides the regression check: give --fail-on-regression PCT with it/);
  // The synthetic studies have no latency_repetitions table, so no probe readings.
  const blind = await runCli(['compare', a, b, '--fail-on-regression', '1', '--host-adjusted']);
  assert.equal(blind.code, 2, blind.stderr);
  assert.match(blind.stderr, /--host-adjusted: no host speed for synthetic on cpu-test .* each study needs speed-probe readings/);
  assert.doesNotMatch(blind.stderr, /\n\s+at /, 'no stack');
});

test('one study with an option that needs two is refused in one line, not run as a variants comparison that checks nothing', async () => {
  for (const flags of [['--fail-on-regression', '1'], ['--fail-on-regression', '1', '--host-adjusted'], ['--device-a', 'cpu-test']]) {
    const r = await runCli(['compare', a, ...flags]);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`with one study, compare sets its variants side by side; ${flags.filter((f) => f.startsWith('--')).join(', ')} compare two studies`));
    assert.equal(r.stdout, '');
  }
});

test('two runs of the same code on a Xeon VM whose host slowed between them: --fail-on-regression 1 fails on the plain ratio, passes with the host taken out', async () => {
  const pair = path.join(ROOT, 'docs/benchmarks/repetitions-xeon-2026-12-07-two-threads');
  const plain = await runCli(['compare', path.join(pair, 'a'), path.join(pair, 'b'), '--fail-on-regression', '1']);
  assert.equal(plain.code, 1, plain.stderr);
  // The probe saw the host slower in B too: the line the reader is shown beside the table.
  const probe = /The host's speed, B\/A of the probe's median time over \d+ and \d+ repetitions \(above 1: slower in B\): compute ([\d.]+)/.exec(plain.stdout);
  assert.ok(probe && Number(probe[1]) > 1, plain.stdout);
  const adjusted = await runCli(['compare', path.join(pair, 'a'), path.join(pair, 'b'), '--json', '--fail-on-regression', '1', '--host-adjusted']);
  assert.equal(adjusted.code, 0, adjusted.stderr);
  assert.match(adjusted.stderr, /0 of 9 cells significantly slower by more than 1% with the host's speed by the probe taken out/);
  const rows = JSON.parse(adjusted.stdout) as CompareRow[];
  for (const r of rows) assert.ok(Math.abs(r.host_adjusted_ratio! - r.ratio / r.host_speed_ratio!) < 1e-12, JSON.stringify(r));
});

for (const study of PAPERS_STUDIES) test(`the committed papers run ${study} against its calibration run: intervals from repetitions decide, the moves are stated`, async () => {
  const full = path.join(ROOT, study);
  const r = await runCli(['compare', full, path.join(full, 'calibration'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as CompareRow[];
  assert.equal(rows.length, 42);
  for (const row of rows) {
    assert.equal(row.basis, 'repetitions');
    assert.ok(row.ratio_low! <= row.ratio && row.ratio <= row.ratio_high!, JSON.stringify(row));
    const excludesOne = row.ratio_low! > 1 || row.ratio_high! < 1;
    assert.equal(row.p_value! < 0.05, excludesOne, JSON.stringify(row));
    assert.ok(row.q_value! >= row.p_value!, JSON.stringify(row));
    assert.equal(row.significant, row.q_value! < 0.05 && Math.abs(row.ratio - 1) >= 0.01, JSON.stringify(row));
  }
  // The summary's counts of moves, recounted from the rows.
  const beyond = (f: number) => rows.filter((x) => x.ratio > 1 + f || x.ratio < 1 / (1 + f)).length;
  const text = await runCli(['compare', full, path.join(full, 'calibration')]);
  assert.match(text.stdout, new RegExp(`${beyond(0.1)} of 42 cells moved more than 10%, ${beyond(0.2)} more than 20%`));
  assert.equal(text.stdout, await readFile(path.join(full, 'calibration/compare.txt'), 'utf8'), 'calibration/compare.txt is this command\'s output');
});

test(`${ACROSS_DAYS.output} is what \`dnnbench compare\` prints of the two Xeon papers runs, every cell decided on repetitions`, async () => {
  const [a, b] = [path.join(ROOT, ACROSS_DAYS.a), path.join(ROOT, ACROSS_DAYS.b)];
  const text = await runCli(['compare', a, b]);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout, await readFile(path.join(ROOT, ACROSS_DAYS.output), 'utf8'));
  const rows = JSON.parse((await runCli(['compare', a, b, '--json'])).stdout) as CompareRow[];
  assert.equal(rows.length, 231);
  assert.ok(rows.every((r) => r.basis === 'repetitions'));
});
