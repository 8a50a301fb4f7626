/**
 * Serving scenarios end to end (issue 21): a study with a `serving:` section on a real dev server
 * and a real worker process serving a kit model; the worker is killed with SIGKILL once the first
 * serving runs are written, and a new one finishes the study. Checked: every run exactly once, the
 * runs finished before the kill untouched, and the tables (read back by DuckDB) consistent with
 * the per-query latencies, recomputed here by LoadGen's rules.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildSpec } from '../../src/cli/run-study.js';
import { CONTROL_QUEUE } from '../../src/config/settings.js';
import type { StudyResult } from '../../src/workflows/index.js';
import { studyWorkflowId } from '../../src/workflows/ids.js';
import { KIT } from '../helpers/cli.js';
import { connectClient, devServer, startWorkerProcess, waitFor, type WorkerProcess } from '../helpers/cluster.js';
import { queryParquet } from '../helpers/duckdb.js';

interface ServingRow {
  setting: string; run_id: string; scenario: string; search: number | null; target_qps: number | null; queries: number;
  p50_ms: number | null; p99_ms: number | null; bound_ms: number | null; overlatency_count: number | null; valid: boolean;
  latency_lower_bound: boolean; mean_batch: number; instances: number; threads_per_instance: number; worker: string; samples_per_s: number;
  stability: string; host_disturbed: boolean;
}

async function servingCellFiles(out: string): Promise<string[]> {
  const root = path.join(out, '_cells/serving');
  const files = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith('.json')).map((f) => path.join(root, f)).sort();
}

test('a serving study survives kill -9 of its worker: each run once, finished runs kept, figures that follow from the queries', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-serving-'));
  const server = await devServer(path.join(work, 'temporal.db'));
  const env = { DNNBENCH_DATA: path.join(work, 'data') };
  const file = path.join(work, 'serving.yaml');
  const out = path.join(work, 'out');
  await writeFile(file, [
    'id: serving-kill',
    `out: ${out}`,
    `dataset: { kit: ${KIT}, limit: 64 }`,
    'models: [squeezenet1.1_zoo-weights_opset13]',
    'devices: [{ queue: cpu-x86_64, threads: 2 }]',
    'batchSizes: [1]',
    'heartbeatTimeout: 5s',
    // Other test files run beside this one: the host is busy by design, so nothing is discarded for noise.
    'timing: { warmupRuns: 2, warmupSeconds: 0, minRuns: 5, minSeconds: 0.2, minRepetitions: 1, maxRepetitions: 1, noise: { discard: false }, reason: test }',
    'serving:',
    '  minDurationSeconds: 2',
    '  maxDurationSeconds: 12',
    '  minQueries: { singleStream: 64, multiStream: 20, server: 460, offline: 64 }',
    '  multiStreamSamples: 4',
    '  warmupSeconds: 0.2',
    '  sampleCount: 16',
    '  schedulers: [{ maxBatch: 2, maxQueueDelayMs: 1, instances: 2 }]',
    '  search: { searches: 2, maxTrials: 2 }',
  ].join('\n'));
  const spec = await buildSpec({ config: file });
  const first = startWorkerProcess(server.address, ['--queue', 'cpu-x86_64'], env);
  let second: WorkerProcess | undefined;
  try {
    await first.ready;
    const conn = await connectClient(server.address);
    const handle = await conn.client.workflow.start('studyWorkflow', { taskQueue: CONTROL_QUEUE, workflowId: studyWorkflowId(spec.id), args: [spec] });
    await waitFor('the first serving runs', async () => ((await servingCellFiles(out)).length >= 2 || undefined), 300_000);
    await new Promise((r) => setTimeout(r, 1500));
    await first.kill('SIGKILL');
    const before = await Promise.all((await servingCellFiles(out)).map(async (f) => ({ f, mtime: (await stat(f)).mtimeMs, text: await readFile(f, 'utf8') })));
    second = startWorkerProcess(server.address, ['--queue', 'cpu-x86_64'], env);
    await second.ready;
    const result = (await handle.result()) as StudyResult;
    await conn.close();
    assert.deepEqual(result.missingCells, []);

    for (const b of before) {
      assert.equal((await stat(b.f)).mtimeMs, b.mtime, `${b.f} was rewritten after the kill`);
      assert.equal(await readFile(b.f, 'utf8'), b.text);
    }
    const rows = await queryParquet<ServingRow>(`select * from '${out}/serving.parquet' order by setting, run_id`);
    assert.equal(rows.length, (await servingCellFiles(out)).length, 'one row per run file, no temp files left');
    const ids = rows.map((r) => `${r.setting} ${r.run_id}`);
    assert.equal(new Set(ids).size, ids.length, 'no run twice');
    // SingleStream with batching off and one instance sets the bound; the setting's Offline, MultiStream and two searches follow.
    assert.ok(ids.includes('b1-d0-i1-t2 single-stream'));
    for (const r of ['offline', 'multi-stream', 'server-s0-t0', 'server-s1-t0']) assert.ok(ids.includes(`b2-d1-i2-t1 ${r}`), `${r} of b2-d1-i2-t1 in ${ids.join(', ')}`);
    const setting = rows.filter((r) => r.setting === 'b2-d1-i2-t1');
    assert.ok(setting.every((r) => Number(r.instances) === 2 && Number(r.threads_per_instance) === 1));
    // Noise discards are off here, so no run is host-disturbed; each gets the trend verdict.
    assert.ok(rows.every((r) => ['stable', 'drifting'].includes(r.stability) && !r.host_disturbed));
    const single = rows.find((r) => r.run_id === 'single-stream')!;
    assert.ok(Number(single.mean_batch) === 1);
    assert.ok(rows.some((r) => r.worker.endsWith(`:${second!.child.pid}`)), 'the new worker ran the rest');

    // Every Server figure again from its queries: the bound is 4 × the SingleStream p50, p99 = sorted[floor(0.99 n)].
    const samples = await queryParquet<{ setting: string; run_id: string; due_ms: number; latency_ms: number | null }>(
      `select setting, run_id, due_ms, latency_ms from '${out}/serving_samples.parquet' order by setting, run_id, query`);
    for (const r of rows.filter((x) => x.scenario === 'server')) {
      assert.ok(Math.abs(Number(r.bound_ms) - 4 * Number(single.p50_ms)) < 1e-9);
      const mine = samples.filter((s) => s.setting === r.setting && s.run_id === r.run_id);
      if (r.latency_lower_bound) continue; // given up on: its waiting queries count at what they had waited
      const lat = mine.map((s) => Number(s.latency_ms)).sort((a, b) => a - b);
      assert.equal(lat.length, Number(r.queries));
      assert.equal(Number(r.p99_ms), lat[Math.floor(lat.length * 0.99)]);
      assert.equal(Number(r.overlatency_count), lat.filter((l) => l > Number(r.bound_ms)).length);
      const due = mine.map((s) => Number(s.due_ms));
      assert.ok(due.every((d, i) => i === 0 || d >= due[i - 1]!), 'arrivals in order');
      // A valid run had at most 1% of its queries over the bound (LoadGen's early stopping allows fewer still).
      if (r.valid) assert.ok(Number(r.overlatency_count) <= lat.length * 0.01 && Number(r.p99_ms) <= Number(r.bound_ms));
    }
    const capacity = await queryParquet<{ search: number; searches: number; agreement: string; trials: number; ended: string; sweep_b1_images_per_s: number | null }>(
      `select search, searches, agreement, trials, ended, sweep_b1_images_per_s from '${out}/serving_capacity.parquet' order by search`);
    assert.deepEqual(capacity.map((c) => Number(c.search)), [0, 1]);
    for (const c of capacity) {
      assert.equal(Number(c.searches), 2);
      assert.ok(['agree', 'disagree'].includes(c.agreement), `agreement ${c.agreement}`);
      // Two trials (maxTrials), unless the first was invalid at a rate whose half is below the lowest rate
      // that can reach 460 queries in 12 s: the start rate follows the SingleStream p50, so a slow host ends there.
      assert.ok(Number(c.trials) === 2 || (Number(c.trials) === 1 && c.ended === 'below_min_qps'), `search ${c.search}: ${c.trials} trials, ended ${c.ended}`);
    }
    const [sweep] = await queryParquet<{ images_per_s: number }>(`select images_per_s from '${out}/latency.parquet' where batch_size = 1`);
    assert.equal(capacity[0]!.sweep_b1_images_per_s, sweep!.images_per_s);
  } finally {
    await first.kill();
    await second?.kill();
    await server.stop();
  }
});
