/**
 * Published and measured top-1 through the whole table build (cells → Parquet, read back with
 * DuckDB): random-weight models are never in accuracy.parquet; the laws read published top-1 for
 * every model when each has one (the random exports included), measured top-1 otherwise, never
 * both; accuracy.parquet carries each measurement's basis and interval, old cells included.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { writeStudyTables } from '../../src/analysis/study-tables.js';
import { cellPath, readAllCells, writeCell } from '../../src/results/cells.js';
import { queryParquet } from '../helpers/duckdb.js';
import { DEFAULT_MODELS, writeSyntheticCells, writeSyntheticStudy } from '../helpers/synthetic-study.js';

test('every model published: random-weight models on every accuracy frontier with their published top-1, one basis', async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-published-'));
  const summary = await writeSyntheticCells(out, { randomWeights: ['mobile-net'] });
  // Give every model a published figure, well apart from the measured ones, as the catalog does.
  const published = new Map(DEFAULT_MODELS.map((m, i) => [m.id, 0.5 + i / 10]));
  for (const m of await readAllCells(out, 'models')) {
    await writeCell(cellPath(out, 'models', m.model_id), { ...m, published_top1: published.get(m.model_id)!, published_source: `paper of ${m.model_id}` });
  }
  await writeStudyTables(out, summary);

  const models = await queryParquet<{ model_id: string; weights: string; published_source: string }>(
    `select model_id, weights, published_source from '${out}/models.parquet' order by model_id`);
  assert.equal(models.find((m) => m.model_id === 'mobile-net')!.weights, 'random');
  assert.equal(models.find((m) => m.model_id === 'res-net')!.published_source, 'paper of res-net');
  const measured = await queryParquet<{ n: bigint }>(`select count(*) n from '${out}/accuracy.parquet' where model_id = 'mobile-net'`);
  assert.equal(Number(measured[0]!.n), 0);

  const points = await queryParquet<{ device: string; model_id: string; top1: number; accuracy_basis: string }>(
    `select device, model_id, top1, accuracy_basis from '${out}/frontiers.parquet' where frontier = 'top1_vs_gflops' order by device, model_id`);
  const expected = ['cpu-test', 'gpu-test'].flatMap((device) => [...published].sort(([a], [b]) => a.localeCompare(b)).map(([id, top1]) => [device, id, top1, 'published']));
  assert.deepEqual(points.map((p) => [p.device, p.model_id, p.top1, p.accuracy_basis]), expected);
  const bases = await queryParquet<{ fit: string; accuracy_basis: string | null }>(
    `select distinct fit, accuracy_basis from '${out}/fits.parquet' where fit in ('accuracy_time_hyperbolic', 'accuracy_density', 'ops_time') order by fit`);
  assert.deepEqual(bases.map((b) => [b.fit, b.accuracy_basis]), [['accuracy_density', 'published'], ['accuracy_time_hyperbolic', 'published'], ['ops_time', null]]);
});

test('a model without a published top-1: the laws read measured figures only, and accuracy rows carry basis and interval', async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-measured-'));
  // The synthetic catalog publishes top-1 for two models only.
  await writeSyntheticStudy(out, { randomWeights: ['mobile-net'] });
  const frontier = await queryParquet<{ model_id: string; top1: number; accuracy_basis: string }>(
    `select distinct model_id, top1, accuracy_basis from '${out}/frontiers.parquet' where device = 'gpu-test' and frontier = 'top1_vs_time' order by model_id`);
  const acc = await queryParquet<{ model_id: string; top1: number; n_images: number; basis: string; top1_ci_low: number; top1_ci_high: number; device: string }>(
    `select model_id, device, top1, n_images, basis, top1_ci_low, top1_ci_high from '${out}/accuracy.parquet' order by device, model_id`);
  const gpu = acc.filter((a) => a.device === 'gpu-test');
  assert.deepEqual(frontier.map((f) => [f.model_id, f.top1, f.accuracy_basis]), gpu.map((a) => [a.model_id, a.top1, 'measured_sample']),
    'every model measured on the device, at its measured top-1; the random export, never measured, is not there');
  const fitBases = await queryParquet<{ accuracy_basis: string | null }>(
    `select distinct accuracy_basis from '${out}/fits.parquet' where fit like 'accuracy%' or fit = 'energy_bound'`);
  assert.deepEqual(fitBases.map((b) => b.accuracy_basis), ['measured_sample']);

  // The synthetic cells, like cells written before provenance, have no basis or interval: the tables fill them in from the counts.
  assert.equal(acc.length, 5);
  for (const a of acc) {
    assert.equal(a.basis, 'measured_sample');
    assert.ok(a.top1_ci_low < a.top1 && a.top1 < a.top1_ci_high, `${a.model_id}: ${a.top1} outside [${a.top1_ci_low}, ${a.top1_ci_high}]`);
    // On 64 images the interval is several points wide, about the normal approximation's.
    const normal = 2 * 1.96 * Math.sqrt((a.top1 * (1 - a.top1)) / a.n_images);
    assert.ok(Math.abs(a.top1_ci_high - a.top1_ci_low - normal) < 0.15 * normal, `${a.model_id}: width ${a.top1_ci_high - a.top1_ci_low} vs ${normal}`);
  }
});
