/**
 * Interoperability: every table a study writes, read back by two independent readers (DuckDB
 * through @duckdb/node-api, pyarrow through the reference venv), must hold exactly the values of
 * the cells it was built from, with the types src/results/schema.ts declares (docs/SCHEMA.md is
 * held to the same definitions by test/unit/schema-doc.test.ts).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { accuracyProvenance } from '../../src/analysis/accuracy-provenance.js';
import { analyzeStudy } from '../../src/analysis/analyze.js';
import { adjustForRounds } from '../../src/latency/round-adjusted-cells.js';
import { readAllCells } from '../../src/results/cells.js';
import type { DeviceCell, RepetitionCell } from '../../src/results/cell-types.js';
import { deviceProvenanceLine } from '../../src/results/study-provenance.js';
import { columnOf, SCHEMA_VERSION, STUDY_TABLE_NAMES, STUDY_TABLES, type ColumnType, type StudyTableName } from '../../src/results/schema.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { KIT, ROOT, runCli } from '../helpers/cli.js';
import { queryParquet } from '../helpers/duckdb.js';
import { referencePython } from '../helpers/reference.js';
import { writeSyntheticStudy } from '../helpers/synthetic-study.js';

const run = promisify(execFile);
type Row = Record<string, unknown>;
const NAMES = STUDY_TABLE_NAMES;
/** Each table's [column, type], in file order. */
const columnsOf = (name: StudyTableName): [string, ColumnType][] => Object.entries(STUDY_TABLES[name]).map(([c, d]) => [c, columnOf(d).type]);

const ARROW_TYPES: Record<ColumnType, string> = {
  utf8: 'string', int32: 'int32', int64: 'int64', float64: 'double', bool: 'bool', timestamp_ms: 'timestamp[ms, tz=UTC]', utf8_list: 'list<item: string>',
  int32_list: 'list<item: int32>', float64_list: 'list<item: double>',
};
const DUCK_TYPES: Record<ColumnType, string> = {
  utf8: 'VARCHAR', int32: 'INTEGER', int64: 'BIGINT', float64: 'DOUBLE', bool: 'BOOLEAN', timestamp_ms: 'TIMESTAMP WITH TIME ZONE', utf8_list: 'VARCHAR[]',
  int32_list: 'INTEGER[]', float64_list: 'DOUBLE[]',
};

/** The study row's provenance, from git, package.json and the repetition cells (device lines: test/unit/study-provenance.test.ts). */
async function expectedProvenance(devices: DeviceCell[], repetitions: RepetitionCell[]): Promise<Row> {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  const kept = repetitions.filter((r) => !r.discarded);
  const mid = (v: number[]) => {
    if (!v.length) return null;
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  return {
    dnnbench_version: JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')).version,
    git_commit: git('rev-parse', 'HEAD'), git_dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
    device_provenance: devices.map(deviceProvenanceLine).sort(),
    host_load_avg_median: mid(kept.map((r) => r.load_avg_start)), host_load_avg_max: kept.length ? Math.max(...kept.map((r) => r.load_avg_start)) : null,
    host_steal_fraction_median: mid(kept.map((r) => r.steal_fraction)), host_other_cores_median: mid(kept.map((r) => r.other_cores)),
  };
}

/** What each table should hold, derived from the cell files (and the summary the study passed). */
async function expectedTables(out: string, summary: Row): Promise<Record<StudyTableName, Row[]>> {
  const models = await readAllCells(out, 'models');
  const devices = await readAllCells(out, 'devices');
  const accuracy = await readAllCells(out, 'accuracy');
  const repetitions = await readAllCells(out, 'latency_repetitions');
  // The times at the host's average speed over the rounds (test/unit/round-adjustment.test.ts checks the rule).
  const latency = adjustForRounds(await readAllCells(out, 'latency'), repetitions);
  const serving = await readAllCells(out, 'serving');
  const { fits, frontiers } = analyzeStudy({ models, accuracy, latency });
  return {
    models,
    model_ops: models.flatMap((m) => Object.entries(m.by_op_type).map(([op_type, c]) => ({ model_id: m.model_id, op_type, ...c }))),
    devices,
    // Cells written without accuracy provenance get it when the tables are built (Wilson: test/unit).
    accuracy: accuracy.map((a) => (a.basis ? a : { ...a, ...accuracyProvenance(a) })),
    latency,
    latency_repetitions: repetitions,
    // run_index counts within each repetition when the cell has them.
    latency_samples: latency.flatMap((c) => (c.samples_ms ?? []).map((ms, i) => {
      const rep = c.samples_repetition?.[i];
      const run_index = rep === undefined ? i : c.samples_repetition!.slice(0, i).filter((r) => r === rep).length;
      return { model_id: c.model_id, device: c.device, batch_size: c.batch_size, run_index, latency_ms: ms, repetition: rep ?? null };
    })),
    study: [{
      ...summary, schema_version: SCHEMA_VERSION, models: models.length, devices: devices.length, cells_done: accuracy.length + latency.length,
      ...await expectedProvenance(devices, repetitions),
    }],
    fits,
    frontiers,
    // Serving runs and their queries as the cells hold them; capacity needs a serving section, which this study has not.
    serving: serving.map(({ due_ms: _due, latency_ms: _lat, ...r }) => r),
    serving_samples: serving.flatMap((c) => c.due_ms.map((due_ms, query) => ({
      model_id: c.model_id, device: c.device, setting: c.setting, run_id: c.run_id, query, due_ms, latency_ms: c.latency_ms[query] ?? null,
    }))),
    serving_capacity: [],
    // No precision variant (tools/variants) and no runtime variant in this study.
    variants: [],
  };
}

const absent = (v: unknown) => v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v));

/** Exact equality per declared type: doubles bit for bit, int64 as integers, lists element-wise. */
function assertSame(where: string, t: ColumnType, got: unknown, want: unknown): void {
  if (absent(want)) return assert.ok(absent(got), `${where}: wrote null, read ${String(got)}`);
  if (t.endsWith('_list')) return assert.deepEqual(Array.from(got as unknown[]), want, where);
  if (t === 'int64') return assert.equal(Number(got), Math.round(Number(want)), where);
  // DuckDB gives a Date, pyarrow (via JSON) an ISO 8601 string: the same instant, to the millisecond.
  if (t === 'timestamp_ms') return assert.equal(new Date(got as string | Date).getTime(), new Date(want as number | Date).getTime(), where);
  return assert.equal(got, want, where);
}

function compareTable(reader: string, name: StudyTableName, got: Row[], want: Row[]): void {
  assert.equal(got.length, want.length, `${reader} ${name}: ${got.length} rows, wrote ${want.length}`);
  want.forEach((w, i) => {
    for (const [c, t] of columnsOf(name)) assertSame(`${reader} ${name}[${i}].${c}`, t, got[i]![c], w[c]);
  });
}

async function checkWithDuckdb(out: string, want: Record<StudyTableName, Row[]>): Promise<void> {
  for (const name of NAMES) {
    const file = path.join(out, `${name}.parquet`);
    const types = await queryParquet<{ column_name: string; column_type: string }>(`describe select * from '${file}'`);
    assert.deepEqual(types.map((t) => [t.column_name, t.column_type]), columnsOf(name).map(([c, t]) => [c, DUCK_TYPES[t]]), `duckdb types of ${name}`);
    compareTable('duckdb', name, await queryParquet(`select * from '${file}'`), want[name]);
    const kv = await queryParquet<{ key: string; value: string }>(`select decode(key) as "key", decode(value) as "value" from parquet_kv_metadata('${file}')`);
    assert.equal(kv.find((k) => k.key === 'dnnbench.schema_version')?.value, String(SCHEMA_VERSION), `${name}: schema version metadata`);
    assert.equal(kv.find((k) => k.key === 'dnnbench.table')?.value, name);
  }
}

async function checkWithPyarrow(out: string, want: Record<StudyTableName, Row[]>): Promise<void> {
  const files = NAMES.map((n) => path.join(out, `${n}.parquet`));
  const { stdout } = await run(await referencePython(), [path.join(ROOT, 'scripts/python/read_parquet.py'), ...files], { maxBuffer: 1 << 28 });
  const read = JSON.parse(stdout) as Record<string, { schema: Record<string, string>; rows: Row[] }>;
  NAMES.forEach((name, i) => {
    const r = read[files[i]!]!;
    assert.deepEqual(r.schema, Object.fromEntries(columnsOf(name).map(([c, t]) => [c, ARROW_TYPES[t]])), `pyarrow types of ${name}`);
    compareTable('pyarrow', name, r.rows, want[name]);
  });
}

let work: string;
let synthetic: string;
let summary: Row;

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-interop-'));
  synthetic = path.join(work, 'synthetic');
  summary = { ...(await writeSyntheticStudy(synthetic)) };
});
after(() => rm(work, { recursive: true, force: true }));

test('DuckDB reads every table of a study back: declared types, every value as the cells hold it', async () => {
  await checkWithDuckdb(synthetic, await expectedTables(synthetic, summary));
});

test('pyarrow reads every table of a study back: declared types, every value as the cells hold it', async () => {
  await checkWithPyarrow(synthetic, await expectedTables(synthetic, summary));
});

test('a real study (one kit model, batch 1 and 2, 64 images) reads back exactly too', { timeout: 300_000 }, async () => {
  const out = path.join(work, 'real');
  await writeFile(path.join(work, 'real.yaml'), [
    'id: it-interop', 'models: [mobilenetv2-12-int8]', 'devices: [{ queue: cpu-x86_64, accuracy: true }]', 'batchSizes: [1, 2]',
    'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 5, minSeconds: 0.1, maxRepetitions: 4 }', `dataset: { kit: ${KIT}, limit: 64 }`,
  ].join('\n'));
  const r = await runCli(['study', '--config', path.join(work, 'real.yaml'), '--out', out, '--port', String(await freePort())],
    { TEMPORAL_ADDRESS: undefined, DNNBENCH_DATA: path.join(work, 'data') });
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  const spec = await queryParquet<{ study_id: string; spec_json: string; cells_expected: number; failures: string[]; missing_cells: string[] }>(`select * from '${out}/study.parquet'`);
  // The spec's timing against SPEC.md §2's minimums (10 warm-up runs and 1 s, 50 runs and 3 s), in the order the spec lists them.
  const below = ['warmupRuns 1 < 10', 'warmupSeconds 0 < 1', 'minRuns 5 < 50', 'minSeconds 0.1 < 3'];
  const want = await expectedTables(out, { ...spec[0]!, timing_below_spec: below, timing_reason: null });
  assert.equal(want.latency.length, 2);
  assert.ok(want.latency_samples.length >= 10);
  assert.ok(want.latency_repetitions.length >= 6, 'three repetitions or more per cell');
  // Every repetition ran in its own process, which read the host's speed and marked its timed runs.
  for (const r of want.latency_repetitions as Array<Record<string, unknown>>) {
    assert.ok(Number(r.host_probe_compute_ms) > 0 && Number(r.host_probe_memory_ms) > 0, `speed probe: ${r.host_probe_compute_ms}, ${r.host_probe_memory_ms}`);
    assert.ok(typeof r.timed_other_cores === 'number' && typeof r.timed_steal_fraction === 'number', `timed runs' CPU: ${r.timed_other_cores}`);
  }
  // The cores' round trip, read in the same process: a sane figure where read (null on a one-CPU
  // host, or where both cores were busy elsewhere and the other thread never answered).
  const links = (want.latency_repetitions as Array<Record<string, unknown>>).map((r) => r.host_core_link_ns);
  if (os.availableParallelism() > 1) {
    const read = links.filter((v): v is number => typeof v === 'number');
    assert.ok(read.length > 0 && read.every((ns) => ns > 10 && ns < 100_000) && links.every((v) => v === null || typeof v === 'number'), `core round trips: ${links.join(', ')}`);
    // And whether the two threads shared a core: a ratio of one loop per thread, about 1 to 2.
    const shares = (want.latency_repetitions as Array<Record<string, unknown>>).map((r) => r.host_core_share_ratio);
    const ratios = shares.filter((v): v is number => typeof v === 'number');
    assert.ok(ratios.length > 0 && ratios.every((x) => x > 0.5 && x < 3) && shares.every((v) => v === null || typeof v === 'number'), `two-thread ratios: ${shares.join(', ')}`);
  }
  await checkWithDuckdb(out, want);
  await checkWithPyarrow(out, want);
});
