/**
 * rowsToTable + writeParquet: typed columns, nulls, int64 past 2^53, the encoding chosen per
 * column (dictionary / delta / byte-stream-split), metadata, an empty table keeping its schema,
 * no temp file left behind, and rows whose keys are not the table's columns refused. Read back
 * by DuckDB, not by the library that wrote it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { rowsToTable, writeParquet, type ColumnDefs } from '../../src/results/parquet-table.js';
import { nullable, optional } from '../../src/results/schema.js';
import { writeTable } from '../../src/results/write-table.js';
import { queryParquet } from '../helpers/duckdb.js';

let dir: string;
before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-parquet-')); });
after(() => rm(dir, { recursive: true, force: true }));

const COLS: ColumnDefs = { id: 'utf8', n: 'int32', big: 'int64', x: 'float64', ok: 'bool', tags: 'utf8_list', at: 'timestamp_ms' };

test('values and nulls come back exactly, with their types', async () => {
  const file = path.join(dir, 'types.parquet');
  const rows = [
    { id: 'a', n: 1, big: 2n ** 53n + 1n, x: 0.1, ok: true, tags: ['avx2', 'fma'], at: new Date('2024-05-06T07:08:09.123Z') },
    { id: 'ünï', n: null, big: 12_345_678_901, x: NaN, ok: false, tags: [], at: null },
    { id: null, n: -7, big: undefined, x: -1e300, ok: null, tags: null, at: Date.UTC(2020, 0, 1) },
  ];
  await writeParquet(file, rowsToTable(rows, COLS), { 'dnnbench.table': 'types' });
  const types = await queryParquet<{ column_name: string; column_type: string }>(`describe select * from '${file}'`);
  assert.deepEqual(types.map((t) => t.column_type), ['VARCHAR', 'INTEGER', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'VARCHAR[]', 'TIMESTAMP WITH TIME ZONE']);
  const got = await queryParquet<Record<string, unknown>>(`select id, n, big, x, ok, tags, epoch_ms("at") as at_ms from '${file}'`);
  assert.deepEqual(got, [
    { id: 'a', n: 1, big: 2n ** 53n + 1n, x: 0.1, ok: true, tags: ['avx2', 'fma'], at_ms: 1714979289123n },
    { id: 'ünï', n: null, big: 12_345_678_901n, x: null, ok: false, tags: [], at_ms: null },
    { id: null, n: -7, big: null, x: -1e300, ok: null, tags: null, at_ms: 1577836800000n },
  ]);
  const [kv] = await queryParquet<{ v: string }>(`select decode(value) as v from parquet_kv_metadata('${file}') where decode(key) = 'dnnbench.table'`);
  assert.equal(kv!.v, 'types');
  assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
});

test('encodings: dictionary for repeated values, delta for other integers, byte-stream-split for other doubles', async () => {
  const file = path.join(dir, 'samples.parquet');
  const rows = Array.from({ length: 20_000 }, (_, i) => ({ model_id: `m${i % 5}`, batch_size: 1 << (i % 3), run_index: i, latency_ms: 1 + Math.sin(i) * 0.1 }));
  await writeParquet(file, rowsToTable(rows, { model_id: 'utf8', batch_size: 'int32', run_index: 'int32', latency_ms: 'float64' }));
  const meta = await queryParquet<{ path_in_schema: string; encodings: string; compression: string }>(
    `select path_in_schema, encodings, compression from parquet_metadata('${file}')`);
  const enc = Object.fromEntries(meta.map((m) => [m.path_in_schema, m.encodings]));
  assert.match(enc.model_id!, /DICTIONARY/);
  assert.match(enc.batch_size!, /DICTIONARY/);
  assert.match(enc.run_index!, /DELTA_BINARY_PACKED/);
  assert.match(enc.latency_ms!, /BYTE_STREAM_SPLIT/);
  assert.ok(meta.every((m) => m.compression === 'ZSTD'));
  const [sum] = await queryParquet<{ s: number; n: bigint }>(`select sum(latency_ms) s, count(*) n from '${file}'`);
  assert.equal(Number(sum!.n), 20_000);
  assert.ok(Math.abs(sum!.s - rows.reduce((a, r) => a + r.latency_ms, 0)) < 1e-6);
});

test('an empty table keeps its schema', async () => {
  const file = path.join(dir, 'empty.parquet');
  await writeParquet(file, rowsToTable([], COLS));
  const types = await queryParquet<{ column_name: string }>(`describe select * from '${file}'`);
  assert.deepEqual(types.map((t) => t.column_name), Object.keys(COLS));
  const [c] = await queryParquet<{ c: bigint }>(`select count(*) c from '${file}'`);
  assert.equal(c!.c, 0n);
});

test('a key that is not a column, or a missing column, is an error naming the table, the row and the key', () => {
  const cols = { model_id: 'utf8', note: nullable('utf8'), attempt: optional('int32') } as const;
  assert.throws(() => rowsToTable([{ model_id: 'a', note: null }, { model_id: 'b', note: null, attemt: 2 } as never], cols, 'accuracy'),
    { message: 'accuracy: row 1 (model_id=b) has key "attemt", which is not a column of accuracy' });
  assert.throws(() => rowsToTable([{ model_id: 'a' } as never], cols, 'accuracy'),
    { message: 'accuracy: row 0 (model_id=a) lacks column "note" (only optional columns may be left out)' });
  // A nullable column's key must be there even when its value is null; an optional one may be left out.
  assert.equal(rowsToTable([{ model_id: 'a', note: null }, { model_id: 'b', note: 'x', attempt: 2 }], cols, 'accuracy').numRows, 2);
});

test('writeTable: a schema table by name; an optional column a row leaves out is null in the file', async () => {
  const file = path.join(dir, 'accuracy.parquet');
  const row = {
    model_id: 'm', device: 'cpu', n_images: 64, n_failed: 0, n_non_finite: 0, top1: 0.5, top5: 0.75, batch_size: 8, threads: 2,
    provider: 'cpu', dataset: 'kit:val_227[:64]', resize_filter: 'linear', seconds: 1.5,
  };
  await writeTable(file, 'accuracy', [row, { ...row, device: 'gpu', rebatched: true, resumed_from_shard: 3, attempt: 2 }]);
  const got = await queryParquet<{ device: string; rebatched: boolean | null; resumed_from_shard: number | null; attempt: number | null }>(
    `select device, rebatched, resumed_from_shard, attempt from '${file}' order by device`);
  assert.deepEqual(got, [
    { device: 'cpu', rebatched: null, resumed_from_shard: null, attempt: null },
    { device: 'gpu', rebatched: true, resumed_from_shard: 3, attempt: 2 },
  ]);
  await assert.rejects(writeTable(file, 'accuracy', [{ ...row, samples_ms: [1] } as never]), /accuracy: row 0 .*"samples_ms", which is not a column of accuracy/);
});
