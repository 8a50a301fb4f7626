/**
 * `dnnbench compare A B`: p50 ratio per (model, device, batch) with a bootstrap noise band from
 * the raw runs, on two synthetic studies where B is known to be 1.5× slower on one model only.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { bootstrapRatioBand, median } from '../../src/analysis/compare.js';
import type { CompareRow } from '../../src/analysis/compare.js';
import { runCli } from '../helpers/cli.js';
import { writeSyntheticStudy } from '../helpers/synthetic-study.js';

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

test('median and bootstrap band: exact median, a band that holds the true ratio', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  const xs = Array.from({ length: 200 }, (_, i) => 10 + (i % 17) * 0.05);
  const [lo, hi] = bootstrapRatioBand(xs, xs.map((x) => x * 2), 500);
  assert.ok(lo <= 2 && hi >= 2 && hi - lo < 0.1, `[${lo}, ${hi}]`);
  assert.deepEqual(bootstrapRatioBand(xs, xs, 200), bootstrapRatioBand(xs, xs, 200), 'deterministic');
});

test('compare --json: the slowed model is "slower" by 1.5×, the others within noise of 1', async () => {
  const r = await runCli(['compare', a, b, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as CompareRow[];
  // 2 devices × 4 models × 3 batches; the oom batch 64 of res-net is not compared.
  assert.equal(rows.length, 24);
  for (const row of rows) {
    assert.equal(row.device_a, row.device_b);
    assert.ok(row.band_lo! <= row.ratio && row.ratio <= row.band_hi!, JSON.stringify(row));
    assert.equal(row.runs_a, 40);
    if (row.model_id === 'res-net') {
      assert.equal(row.verdict, 'slower');
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
  assert.match(r.stdout, /res-net\s+1\s+[\d.]+\s+[\d.]+\s+1\.\d+\s+1\.\d+–1\.\d+\s+slower/);

  const cross = await runCli(['compare', a, a, '--device-a', 'cpu-test', '--device-b', 'gpu-test', '--json']);
  assert.equal(cross.code, 0, cross.stderr);
  const rows = JSON.parse(cross.stdout) as CompareRow[];
  // The synthetic GPU is 8× faster: B/A about 1/8, clearly outside the noise.
  for (const row of rows) {
    assert.ok(Math.abs(row.ratio - 1 / 8) < 0.01, `${row.model_id} b${row.batch_size}: ${row.ratio}`);
    assert.equal(row.verdict, 'faster');
  }
  const bad = await runCli(['compare', a, b, '--device-a', 'tpu-v9']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /has no device tpu-v9/);
});
