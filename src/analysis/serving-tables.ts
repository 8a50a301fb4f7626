/**
 * The serving tables from the serving cells (docs/SERVING.md): one row per run, one per query,
 * and one per capacity search, whose answer is rebuilt from its Server trials with the rule the
 * workflow searched with (src/stats/capacity-search.ts), set beside the model's SingleStream and
 * Offline runs and its batch sweep.
 */
import type { LatencyCell, ServingCell } from '../results/cell-types.js';
import type { TableRow } from '../results/schema.js';
import { capacityOf, searchFloorQps, type CapacitySearchSettings } from '../stats/capacity-search.js';
import type { ServingSpec } from '../study/study-spec.js';
import { DEFAULT_STABILITY_SETTINGS, runTrend, type StabilitySettings } from '../latency/stability.js';

type CapacityRow = TableRow<'serving_capacity'>;

export interface ServingTables {
  serving: TableRow<'serving'>[];
  serving_samples: TableRow<'serving_samples'>[];
  serving_capacity: CapacityRow[];
}

export function servingTables(
  cells: readonly ServingCell[], latency: readonly LatencyCell[], serving: ServingSpec | undefined, stability: StabilitySettings = DEFAULT_STABILITY_SETTINGS,
): ServingTables {
  const rows = cells.map(({ due_ms: _due, latency_ms: latencies, ...row }) => ({ ...row, ...servingStability(row, latencies, stability) }));
  const samples = cells.flatMap((c) => c.due_ms.map((due, query) => ({
    model_id: c.model_id, device: c.device, setting: c.setting, run_id: c.run_id, query, due_ms: due, latency_ms: c.latency_ms[query] ?? null,
  })));
  return { serving: rows, serving_samples: samples, serving_capacity: serving ? capacityRows(rows, latency, serving) : [] };
}

type StabilityColumns = Pick<TableRow<'serving'>, 'stability' | 'stability_reason' | 'drift_rho' | 'drift_change'>;

/**
 * The timing issue's verdicts, for a serving run: host-disturbed when the host disturbed the run
 * kept, drifting when its query latencies trend over the run (src/latency/stability.ts's rule: a
 * significant rank correlation with query order and a change of at least driftMinChange from the
 * first to the last third; for Server, a queue that keeps growing), else stable.
 */
export function servingStability(
  row: Pick<TableRow<'serving'>, 'host_disturbed' | 'disturbances'>, latencies: readonly (number | null)[], settings: StabilitySettings,
): StabilityColumns {
  const trend = runTrend(latencies.filter((l): l is number => l !== null), settings);
  const drift = { drift_rho: trend?.rho ?? null, drift_change: trend?.change ?? null };
  if (row.host_disturbed) return { stability: 'host-disturbed', stability_reason: row.disturbances.join('; '), ...drift };
  if (trend?.drifting) {
    return { stability: 'drifting', stability_reason: `query latency moved ${(trend.change * 100).toFixed(0)}% from the first to the last third of the run (rank correlation ${trend.rho.toFixed(2)})`, ...drift };
  }
  return { stability: 'stable', stability_reason: trend ? 'no trend in the query latencies, the host undisturbed' : 'too few queries for a trend; the host undisturbed', ...drift };
}

/** Two searches agree when their brackets [highest valid, lowest invalid above it] overlap. */
function agreementOf(searches: readonly CapacityRow[]): Pick<CapacityRow, 'agreement' | 'capacity_low_qps' | 'capacity_high_qps'> {
  const answers = searches.map((s) => s.max_valid_qps).filter((q): q is number => q !== null);
  const low = answers.length ? Math.min(...answers) : null;
  const high = answers.length ? Math.max(...answers) : null;
  if (searches.length < 2) return { agreement: 'single', capacity_low_qps: low, capacity_high_qps: high };
  const lo = Math.max(...searches.map((s) => s.max_valid_qps ?? 0));
  const hi = Math.min(...searches.map((s) => s.min_invalid_qps ?? Infinity));
  return { agreement: lo <= hi ? 'agree' : 'disagree', capacity_low_qps: low, capacity_high_qps: high };
}

function capacityRows(rows: readonly TableRow<'serving'>[], latency: readonly LatencyCell[], spec: ServingSpec): CapacityRow[] {
  const settings: CapacitySearchSettings = {
    startQps: 0, precision: spec.search.precision, maxTrials: spec.search.maxTrials,
    minQps: searchFloorQps(spec.search.minQps, spec.minQueries.server, spec.maxDurationSeconds),
  };
  const groups = new Map<string, TableRow<'serving'>[]>();
  for (const r of rows) {
    if (r.scenario !== 'server' || r.search === null) continue;
    const key = JSON.stringify([r.model_id, r.device, r.setting, r.search]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: CapacityRow[] = [];
  for (const trials of groups.values()) {
    trials.sort((a, b) => (a.trial ?? 0) - (b.trial ?? 0));
    const first = trials[0]!;
    const c = capacityOf(trials.map((t) => ({ qps: t.target_qps!, valid: t.valid })), settings);
    const atMax = trials.find((t) => t.valid && t.target_qps === c.maxValidQps);
    const ss = rows.find((r) => r.model_id === first.model_id && r.device === first.device && r.scenario === 'single-stream' && r.valid);
    const offline = rows.find((r) => r.model_id === first.model_id && r.device === first.device && r.setting === first.setting && r.scenario === 'offline');
    const sweep = latency.filter((l) => l.model_id === first.model_id && l.device === first.device && l.status === 'ok' && l.images_per_s != null);
    const best = sweep.reduce<LatencyCell | null>((b, l) => (b === null || l.images_per_s! > b.images_per_s! ? l : b), null);
    out.push({
      model_id: first.model_id, device: first.device, setting: first.setting, max_batch: first.max_batch,
      max_queue_delay_ms: first.max_queue_delay_ms, instances: first.instances, threads_per_instance: first.threads_per_instance,
      search: first.search!, bound_ms: first.bound_ms!, bound_basis: boundBasis(spec), trials: trials.length,
      max_valid_qps: c.maxValidQps, min_invalid_qps: c.minInvalidQps, p99_at_max_valid_ms: atMax?.p99_ms ?? null,
      ended: c.ended, non_monotonic: c.nonMonotonic, host_disturbed_trials: trials.filter((t) => t.host_disturbed).length,
      searches: 0, capacity_low_qps: null, capacity_high_qps: null, agreement: 'single',
      single_stream_p50_ms: ss?.p50_ms ?? null, single_stream_qps: ss ? ss.achieved_qps : null,
      offline_samples_per_s: offline?.samples_per_s ?? null,
      sweep_b1_images_per_s: sweep.find((l) => l.batch_size === 1)?.images_per_s ?? null,
      sweep_best_images_per_s: best?.images_per_s ?? null, sweep_best_batch: best?.batch_size ?? null,
    });
  }
  // Each search's row carries how all searches of its model, device and setting compare.
  return out.map((row) => {
    const same = out.filter((o) => o.model_id === row.model_id && o.device === row.device && o.setting === row.setting);
    return { ...row, searches: same.length, ...agreementOf(same) };
  });
}

export function boundBasis(spec: Pick<ServingSpec, 'bound'>): string {
  return 'ms' in spec.bound ? `fixed ${spec.bound.ms} ms` : `${spec.bound.singleStreamFactor} × SingleStream p50`;
}
