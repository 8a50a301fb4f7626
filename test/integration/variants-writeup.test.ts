/**
 * The committed variants study (docs/studies/variants-epyc-avx512): its write-ups are generated
 * and checked, never hand-trusted. variants.txt is what `dnnbench compare <study>` prints from the
 * committed Parquet; every number in its README is one that variants.txt prints; each precision
 * variant's accuracy change in variants.parquet is recomputed by DuckDB from the committed
 * per-image predictions; and the report drawn from the folder has the variants figure, one row
 * per model and runtime variant.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { variantsReport } from '../../src/cli/variants-compare.js';
import { readResultTable } from '../../src/report/read-tables.js';
import { writeReport } from '../../src/report/write-report.js';
import { ROOT } from '../helpers/cli.js';
import { queryParquet } from '../helpers/duckdb.js';
import { numbersIn } from '../helpers/writeup-numbers.js';

export const VARIANTS_STUDY = 'docs/studies/variants-epyc-avx512';
const dir = path.join(ROOT, VARIANTS_STUDY);

test('variants.txt of the committed variants study is what `dnnbench compare <study>` prints from its Parquet', async () => {
  assert.equal(await variantsReport(dir), await readFile(path.join(dir, 'variants.txt'), 'utf8'));
});

test('every number in the variants study README is one that variants.txt prints', async () => {
  const numbers = numbersIn(await readFile(path.join(dir, 'README.md'), 'utf8'));
  const printed = await readFile(path.join(dir, 'variants.txt'), 'utf8');
  assert.ok(numbers.length > 5, 'README.md quotes no figures');
  assert.deepEqual(numbers.filter((n) => !printed.includes(n)), [], `numbers in ${VARIANTS_STUDY}/README.md that variants.txt does not print`);
});

test('the variants section of docs/BENCHMARKS.md quotes only variants.txt', async () => {
  const doc = await readFile(path.join(ROOT, 'docs/BENCHMARKS.md'), 'utf8');
  const section = doc.split('<!-- variants-run:start -->')[1]?.split('<!-- variants-run:end -->')[0];
  assert.ok(section, 'docs/BENCHMARKS.md has no variants-run section');
  const printed = await readFile(path.join(dir, 'variants.txt'), 'utf8');
  const numbers = numbersIn(section);
  assert.ok(numbers.length > 5);
  assert.deepEqual(numbers.filter((n) => !printed.includes(n)), []);
});

test('each precision variant\'s top-1 change and discordant counts, recomputed by DuckDB from the committed predictions', async () => {
  const rows = (await readResultTable(dir, 'variants')).filter((r) => r.kind === 'precision' && r.top1_delta !== null);
  assert.ok(rows.length >= 6, `only ${rows.length} evaluated precision variants`);
  const preds = `${dir}/predictions/*/*/*.parquet`;
  for (const r of rows) {
    const [got] = await queryParquet(`
      with p as (select image_id, correct_at_1 c from '${preds}' where model_id = '${r.parent_model_id}' and device = '${r.device}'),
           v as (select image_id, correct_at_1 c from '${preds}' where model_id = '${r.model_id}' and device = '${r.device}')
      select count(*)::int n, avg(v.c::int) - avg(p.c::int) delta,
             sum((p.c and not v.c)::int)::int only_parent, sum((v.c and not p.c)::int)::int only_variant
      from p join v using (image_id)`);
    assert.equal(got!.n, r.n_images, `${r.model_id}: images`);
    assert.ok(Math.abs(Number(got!.delta) - r.top1_delta!) < 1e-12, `${r.model_id}: top-1 change ${got!.delta} vs ${r.top1_delta}`);
    assert.deepEqual([got!.only_parent, got!.only_variant], [r.top1_only_parent, r.top1_only_variant], `${r.model_id}: discordant images`);
  }
});

test('the report of the committed variants study has the variants figure: a row per model and runtime variant, with the accuracy change', async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-variants-report-'));
  try {
    const { file, figuresDir } = await writeReport(dir, path.join(out, 'report.html'));
    const html = await readFile(file, 'utf8');
    assert.match(html, /id="cpu-x86_64-variants"/);
    const csv = (await readFile(path.join(figuresDir, 'cpu-x86_64', 'variants.csv'), 'utf8')).trim().split('\r\n');
    const latency = await readResultTable(dir, 'latency');
    const configurations = new Set(latency.map((l) => `${l.model_id}@${l.variant}`));
    assert.equal(csv.length - 1, configurations.size);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
