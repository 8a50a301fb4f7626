/**
 * Chooses the Parquet writer by measurement (issue 9, docs/PARQUET_WRITERS.md): each candidate
 * writes a latency_samples-like table of N rows (default 1,000,000) several times, then a small
 * table of the types the study needs (int64 beyond 2^53, timestamps, lists, repeated strings);
 * DuckDB and pyarrow read every file back and the values are checked.
 *
 * usage: npm run bench:parquet [-- --rows N --runs R --only NAME --json FILE]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { CANDIDATES, versionOf, type Candidate, type Columns, type Row } from './bench-parquet/candidates.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({ options: {
  rows: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' }, only: { type: 'string' }, json: { type: 'string' },
} });
const N = Number(args.rows);
const RUNS = Number(args.runs);

const SAMPLE_COLUMNS: Columns = [['model_id', 'utf8'], ['device', 'utf8'], ['batch_size', 'int32'], ['run_index', 'int32'], ['latency_ms', 'float64']];

/** N timed runs as a study makes them: 10 models × 7 batch sizes, runs in order, µs-resolution times. */
function sampleRows(n: number): Row[] {
  const models = ['squeezenet1.1', 'mobilenetv2-12-int8', 'resnet50', 'resnet101', 'vgg16', 'densenet121', 'efficientnet-b0', 'inception_v3', 'googlenet', 'alexnet'];
  const batches = [1, 2, 4, 8, 16, 32, 64];
  const perCell = Math.ceil(n / (models.length * batches.length));
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const cell = Math.floor(i / perCell);
    const b = batches[cell % batches.length]!;
    const base = (1 + (cell % models.length)) * b * 1.7;
    rows.push({
      model_id: models[Math.floor(cell / batches.length) % models.length], device: 'cpu-x86_64', batch_size: b,
      run_index: i % perCell, latency_ms: Math.round(base * (1 + 0.05 * rand()) * 1e6) / 1e6,
    });
  }
  return rows;
}

const TYPE_COLUMNS: Columns = [['name', 'utf8'], ['n', 'int64'], ['ts', 'timestamp_ms'], ['tags', 'utf8_list'], ['x', 'float64'], ['ok', 'bool']];
const BIG = 2n ** 53n + 1n;
const TS = new Date('2024-05-06T07:08:09.123Z');
function typeRows(): Row[] {
  return Array.from({ length: 1000 }, (_, i) => ({
    name: `model-${i % 3}`, n: BIG + BigInt(i), ts: new Date(TS.getTime() + i), tags: i % 2 ? ['avx2', 'fma'] : [],
    x: i % 10 === 0 ? null : i / 4, ok: i % 2 === 0,
  }));
}

interface TypeCheck { duckdb: string; pyarrow: string; dictionary: boolean; notes: string[] }

async function duck<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as T[];
  } finally {
    conn.closeSync();
  }
}

async function pyarrow(files: string[], summary: boolean): Promise<Record<string, { num_rows: number; schema: Record<string, string>; rows?: Row[]; summary?: Record<string, { non_null: number; sum?: number; distinct?: number }> }>> {
  const { stdout: py } = await run('bash', [path.join(ROOT, 'scripts/python-venv.sh')]);
  const { stdout } = await run(py.trim().split('\n').pop()!, [path.join(ROOT, 'scripts/python/read_parquet.py'), ...(summary ? ['--summary'] : []), ...files], { maxBuffer: 1 << 28 });
  return JSON.parse(stdout);
}

/** Reads the type table back with both readers; each problem is a note, so one bad writer does not stop the benchmark. */
async function checkTypes(file: string): Promise<TypeCheck> {
  const notes: string[] = [];
  const esc = file.replaceAll("'", "''");
  let duckTypes = '';
  try {
    const desc = await duck<{ column_name: string; column_type: string }>(`describe select * from '${esc}'`);
    duckTypes = desc.map((d) => `${d.column_name}:${d.column_type}`).join(' ');
    const [r] = await duck<{ n: bigint; ts: Date | string; tags: string[]; x: number | null; name: string; ok: boolean }>(
      `select n, ts::varchar ts, tags, x, name, ok from '${esc}' limit 1 offset 1`);
    if (r!.n !== BIG + 1n) notes.push(`duckdb int64 ${r!.n} ≠ ${BIG + 1n}`);
    if (!String(r!.ts).startsWith('2024-05-06 07:08:09.124')) notes.push(`duckdb timestamp ${r!.ts}`);
    if (JSON.stringify(r!.tags) !== '["avx2","fma"]') notes.push(`duckdb list ${JSON.stringify(r!.tags)}`);
    const [nulls] = await duck<{ c: bigint }>(`select count(*) c from '${esc}' where x is null`);
    if (Number(nulls!.c) !== 100) notes.push(`duckdb ${nulls!.c} nulls in x, wrote 100`);
  } catch (err) {
    notes.push(`duckdb failed: ${(err as Error).message.split('\n')[0]}`);
  }
  const enc = await duck<{ encodings: string }>(`select encodings from parquet_metadata('${esc}') where path_in_schema = 'name'`).catch(() => []);
  const dictionary = enc.some((e) => /DICTIONARY/.test(String(e.encodings)));
  let pyTypes = '';
  try {
    const py = (await pyarrow([file], false))[file]!;
    pyTypes = Object.entries(py.schema).map(([k, v]) => `${k}:${v}`).join(' ');
    const r = py.rows![1]!;
    if (String(r.n) !== String(BIG + 1n)) notes.push(`pyarrow int64 ${r.n}`);
    if (!String(r.ts).startsWith('2024-05-06T07:08:09.124')) notes.push(`pyarrow timestamp ${r.ts}`);
    if (JSON.stringify(r.tags) !== '["avx2","fma"]') notes.push(`pyarrow list ${JSON.stringify(r.tags)}`);
    if (JSON.stringify(py.rows![0]!.tags) !== '[]') notes.push(`pyarrow empty list read as ${JSON.stringify(py.rows![0]!.tags)}`);
  } catch (err) {
    notes.push(`pyarrow failed: ${(err as Error).message.split('\n').slice(-2).join(' ')}`);
  }
  return { duckdb: duckTypes, pyarrow: pyTypes, dictionary, notes };
}

interface Result {
  writer: string; version: string; codec: string; rows: number; write_ms: number[]; median_ms: number; bytes: number;
  readback: string[]; types: TypeCheck | null;
}

async function bench(c: Candidate, rows: Row[], dir: string): Promise<Result> {
  const slug = `${c.name}-${c.codec}`.replace(/[^A-Za-z0-9._-]/g, "_");
  const file = path.join(dir, `${slug}.parquet`);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await rm(file, { force: true });
    global.gc?.();
    const t0 = performance.now();
    await c.write(file, rows, SAMPLE_COLUMNS);
    times.push(performance.now() - t0);
    process.stderr.write(`  ${c.name} ${c.codec} run ${i + 1}: ${times[i]!.toFixed(0)} ms\n`);
  }
  const bytes = (await stat(file)).size;
  // Both readers must see every row and the same sums as were written.
  const want = { n: rows.length, runSum: rows.reduce((a, r) => a + (r.run_index as number), 0), ms: rows.reduce((a, r) => a + (r.latency_ms as number), 0) };
  const readback: string[] = [];
  try {
    const [d] = await duck<{ n: bigint; rs: bigint; ms: number; m: bigint }>(`select count(*) n, sum(run_index) rs, sum(latency_ms) ms, count(distinct model_id) m from '${file}'`);
    if (Number(d!.n) !== want.n || Number(d!.rs) !== want.runSum || Math.abs(d!.ms - want.ms) > 1e-6 * want.ms || Number(d!.m) !== 10) readback.push(`duckdb mismatch ${JSON.stringify(d, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  } catch (err) { readback.push(`duckdb failed: ${(err as Error).message.split('\n')[0]}`); }
  try {
    const p = (await pyarrow([file], true))[file]!;
    if (p.num_rows !== want.n || p.summary!.run_index!.sum !== want.runSum || Math.abs(p.summary!.latency_ms!.sum! - want.ms) > 1e-6 * want.ms) readback.push(`pyarrow mismatch ${JSON.stringify(p.summary)}`);
  } catch (err) { readback.push(`pyarrow failed: ${(err as Error).message.split('\n').slice(-2).join(' ')}`); }

  const typesFile = path.join(dir, `${slug}-types.parquet`);
  let types: TypeCheck | null = null;
  try {
    await c.write(typesFile, typeRows(), TYPE_COLUMNS);
    types = await checkTypes(typesFile);
  } catch (err) {
    types = { duckdb: '', pyarrow: '', dictionary: false, notes: [`write failed: ${(err as Error).message.split('\n')[0]}`] };
  }
  await rm(file, { force: true });
  const sorted = [...times].sort((a, b) => a - b);
  return { writer: c.name, version: versionOf(c.pkg), codec: c.codec, rows: rows.length, write_ms: times, median_ms: sorted[Math.floor(sorted.length / 2)]!, bytes, readback, types };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-bench-parquet-'));
try {
  process.stderr.write(`${N} rows, ${RUNS} runs per writer, ${os.cpus().length} cores, node ${process.version}\n`);
  const rows = sampleRows(N);
  const results: Result[] = [];
  for (const c of CANDIDATES.filter((x) => !args.only || x.name === args.only)) results.push(await bench(c, rows, dir));
  console.log(`| writer | codec | write ${N.toLocaleString('en')} rows (median) | file size | DuckDB + pyarrow read-back | int64 > 2^53 · timestamp · list · dictionary strings |`);
  console.log('|---|---|---:|---:|---|---|');
  for (const r of results) {
    const t = r.types!;
    const typeCell = t.notes.length ? t.notes.join('; ') : 'all exact';
    console.log(`| ${r.writer} ${r.version} | ${r.codec} | ${(r.median_ms / 1000).toFixed(2)} s | ${(r.bytes / 1e6).toFixed(2)} MB | ${r.readback.length ? r.readback.join('; ') : 'ok'} | ${typeCell}; dictionary: ${t.dictionary ? 'yes' : 'no'} |`);
  }
  for (const r of results) console.log(`\n${r.writer} ${r.codec} types\n  duckdb:  ${r.types?.duckdb}\n  pyarrow: ${r.types?.pyarrow}`);
  if (args.json) await writeFile(args.json, JSON.stringify({ rows: N, runs: RUNS, cores: os.cpus().length, node: process.version, results }, null, 1));
} finally {
  await rm(dir, { recursive: true, force: true });
}
