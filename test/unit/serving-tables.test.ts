/**
 * The serving tables (src/analysis/serving-tables.ts) from made-up cells: a run's trend verdict,
 * each search's capacity from its trials, whether two searches agree, and the sweep beside them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { servingStability, servingTables } from '../../src/analysis/serving-tables.js';
import type { LatencyCell, ServingCell } from '../../src/results/cell-types.js';
import { parseStudySpec } from '../../src/study/study-spec.js';
import { DEFAULT_STABILITY_SETTINGS } from '../../src/latency/stability.js';

const serving = parseStudySpec({ models: ['m'], devices: [{ queue: 'cpu' }], serving: { search: { precision: 0.1 } } }).serving!;

function cell(run_id: string, over: Partial<ServingCell> = {}): ServingCell {
  return {
    model_id: 'm', device: 'cpu', provider: 'cpu', precision: 'float32', setting: 'b1-d0-i1-t2', max_batch: 1, max_queue_delay_ms: 0,
    instances: 1, threads_per_instance: 2, spinning: true, scenario: 'server', run_id, search: null, trial: null, target_qps: null,
    achieved_qps: 10, queries: 3, samples: 3, samples_per_query: 1, samples_per_s: 10, duration_s: 0.3, p50_ms: 5, p90_ms: 6, p99_ms: 7,
    max_ms: 7, mean_ms: 5, latency_lower_bound: false, bound_ms: 20, percentile: 0.99, overlatency_count: 0, overlatency_fraction: 0,
    early_stopping_ok: true, early_stopping_queries_needed: 459, early_stop_estimate_ms: null, issue_lag_mean_ms: 0.5, issue_lag_max_ms: 1,
    min_duration_met: true, min_queries_met: true, valid: true, invalid_reasons: [], mean_batch: 1, warmup_runs: 3, sample_count: 16, seed: 1,
    host_disturbed: false, disturbances: [], discarded_runs: 0, steal_fraction: 0, other_cores: 0, load_avg_end: 0.5, worker: 'h:1',
    started_at: 0, seconds: 1, due_ms: [0, 100, 200], latency_ms: [5, 6, 7], ...over,
  };
}

const trial = (search: number, k: number, qps: number, valid: boolean) => cell(`server-s${search}-t${k}`, { search, trial: k, target_qps: qps, valid });

test('a run\'s verdict: a growing queue drifts, a flat one is stable, a disturbed host says so first', () => {
  const rising = Array.from({ length: 300 }, (_, i) => 5 + i * 0.2);
  const flat = Array.from({ length: 300 }, (_, i) => 5 + ((i * 7919) % 13) / 10);
  assert.equal(servingStability({ host_disturbed: false, disturbances: [] }, rising, DEFAULT_STABILITY_SETTINGS).stability, 'drifting');
  assert.equal(servingStability({ host_disturbed: false, disturbances: [] }, flat, DEFAULT_STABILITY_SETTINGS).stability, 'stable');
  const disturbed = servingStability({ host_disturbed: true, disturbances: ['steal 9%'] }, flat, DEFAULT_STABILITY_SETTINGS);
  assert.deepEqual([disturbed.stability, disturbed.stability_reason], ['host-disturbed', 'steal 9%']);
});

test('capacity per search from its trials; overlapping brackets agree, disjoint ones disagree, both answers kept', () => {
  const agreeing = [trial(0, 0, 40, true), trial(0, 1, 80, false), trial(0, 2, 60, true), trial(0, 3, 70, false),
    trial(1, 0, 40, true), trial(1, 1, 80, false), trial(1, 2, 60, false), trial(1, 3, 50, true), trial(1, 4, 55, true)];
  const rows = servingTables(agreeing, [], serving).serving_capacity;
  assert.deepEqual(rows.map((r) => [r.search, r.max_valid_qps, r.min_invalid_qps, r.trials]), [[0, 60, 70, 4], [1, 55, 60, 5]]);
  assert.ok(rows.every((r) => r.agreement === 'agree' && r.searches === 2 && r.capacity_low_qps === 55 && r.capacity_high_qps === 60));
  const disjoint = [trial(0, 0, 40, true), trial(0, 1, 50, false), trial(1, 0, 40, true), trial(1, 1, 80, true), trial(1, 2, 160, false)];
  assert.ok(servingTables(disjoint, [], serving).serving_capacity.every((r) => r.agreement === 'disagree'));
});

test('the sweep\'s batch-1 and best throughput, and the setting\'s Offline run, sit beside the capacity', () => {
  const sweep = [1, 2, 4].map((b) => ({ model_id: 'm', device: 'cpu', batch_size: b, status: 'ok', images_per_s: [200, 260, 240][b === 4 ? 2 : b - 1] }) as LatencyCell);
  const cells = [cell('single-stream', { scenario: 'single-stream', p50_ms: 4.5, achieved_qps: 210 }), cell('offline', { scenario: 'offline', samples_per_s: 250 }), trial(0, 0, 40, true)];
  const [row] = servingTables(cells, sweep, serving).serving_capacity;
  assert.deepEqual([row!.sweep_b1_images_per_s, row!.sweep_best_images_per_s, row!.sweep_best_batch, row!.offline_samples_per_s, row!.single_stream_p50_ms],
    [200, 260, 2, 250, 4.5]);
  assert.equal(row!.agreement, 'single');
  assert.equal(row!.ended, 'open');
});
