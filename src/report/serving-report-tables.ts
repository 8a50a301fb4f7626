/**
 * The serving tables of a device (issue 21): each capacity search's answer beside the model's other
 * throughput figures, and every serving run in a line. Each comes as HTML rows and as its CSV's rows.
 */
import { formatNumber, type Annotated, type Cell } from './html.js';
import type { ReportTable } from './report-tables.js';
import type { CapacityRow, ServedModel, ServingRun } from './serving-data.js';

const familyOf = (models: ReadonlyMap<string, ServedModel>, id: string): string => models.get(id)?.family ?? 'other';

const CAPACITY_COLUMNS = [
  'model_id', 'family', 'setting', 'max_batch', 'max_queue_delay_ms', 'instances', 'threads_per_instance', 'search', 'searches', 'trials',
  'max_valid_qps', 'min_invalid_qps', 'p99_at_max_valid_ms', 'bound_ms', 'bound_basis', 'ended', 'non_monotonic', 'host_disturbed_trials',
  'agreement', 'capacity_low_qps', 'capacity_high_qps', 'sweep_b1_images_per_s', 'sweep_best_images_per_s', 'sweep_best_batch',
  'offline_samples_per_s', 'single_stream_qps', 'single_stream_p50_ms', 'capacity_over_b1',
];

/** A number cell with a hover note. */
const noted = (value: number, title: string | null): Annotated => ({ value, text: formatNumber(value), title, flagged: false });

/**
 * Per model × setting × search on the device: the capacity (highest valid target QPS), the lowest
 * invalid rate above it, the bound, whether the searches agree, and beside it the batch sweep's
 * batch-1 and best-batch images/s, the Offline samples/s and the SingleStream rate, with the
 * capacity as a share of batch-1 images/s.
 */
export function capacityTable(device: string, capacity: readonly CapacityRow[], models: ReadonlyMap<string, ServedModel>): ReportTable {
  const rows = capacity.filter((c) => c.device === device)
    .sort((a, b) => a.model_id.localeCompare(b.model_id) || a.setting.localeCompare(b.setting) || a.search - b.search);
  const csvRows = rows.map((c) => ({
    ...c, family: familyOf(models, c.model_id),
    capacity_over_b1: c.max_valid_qps !== null && c.sweep_b1_images_per_s ? c.max_valid_qps / c.sweep_b1_images_per_s : null,
  }));
  const html = rows.map((c, i): Record<string, Cell> => {
    const range = c.capacity_low_qps !== null && c.capacity_high_qps !== null ? `${formatNumber(c.capacity_low_qps)}–${formatNumber(c.capacity_high_qps)}` : null;
    const ratio = csvRows[i]!.capacity_over_b1;
    return {
      model_id: c.model_id, family: familyOf(models, c.model_id), setting: c.setting, search: `${c.search + 1} of ${c.searches}`,
      'capacity (QPS)': c.max_valid_qps === null
        ? { value: null, text: 'none valid', title: `no rate tried was valid (${c.trials} trials, ended: ${c.ended})`, flagged: true }
        : noted(c.max_valid_qps, c.p99_at_max_valid_ms === null ? null : `p99 there: ${formatNumber(c.p99_at_max_valid_ms)} ms`),
      'lowest invalid QPS': c.min_invalid_qps,
      'bound (ms)': noted(c.bound_ms, c.bound_basis),
      agreement: { value: c.agreement, text: c.agreement, title: range ? `capacity over the ${c.searches} searches: ${range} QPS` : null, flagged: c.agreement === 'disagree' },
      'capacity range (QPS)': range,
      ended: { value: c.ended, text: c.non_monotonic ? `${c.ended}, non-monotonic` : c.ended, title: c.non_monotonic ? 'a rate below the capacity failed: the answer is softer than its bracket' : null, flagged: c.non_monotonic },
      'disturbed trials': c.host_disturbed_trials,
      'batch-1 images/s': c.sweep_b1_images_per_s,
      'best-batch images/s': c.sweep_best_images_per_s === null ? null
        : { value: c.sweep_best_images_per_s, text: `${formatNumber(c.sweep_best_images_per_s)}${c.sweep_best_batch === null ? '' : ` (b${c.sweep_best_batch})`}`, title: null, flagged: false },
      'Offline samples/s': c.offline_samples_per_s,
      'SingleStream QPS': c.single_stream_qps,
      'capacity / batch-1': ratio === null ? null : Number(ratio.toFixed(3)),
    };
  });
  const none = rows.filter((c) => c.max_valid_qps === null).length;
  const disagree = new Set(rows.filter((c) => c.agreement === 'disagree').map((c) => `${c.model_id}\u0000${c.setting}`)).size;
  return {
    name: 'serving-capacity', title: 'Serving: capacity under the latency bound',
    note: 'Capacity: the highest offered QPS whose Server run was valid, per capacity search (searches run back to back; they agree when their ' +
      'brackets [capacity, lowest invalid] overlap, and a disagreement is marked: the host moved the answer). Beside it, the same model on this ' +
      'device: the batch sweep\'s images/s at batch 1 and at its best batch, the Offline run\'s samples/s with this setting, and SingleStream\'s ' +
      'rate; capacity / batch-1 is the share of one-at-a-time throughput left under Poisson arrivals and the tail bound. ' +
      `${rows.length - none} of ${rows.length} searches found a valid rate` + (disagree ? `; the searches disagree for ${disagree} model and setting pair${disagree > 1 ? 's' : ''}.` : '.'),
    rows: html, columns: Object.keys(html[0] ?? {}), table: { columns: CAPACITY_COLUMNS, rows: csvRows },
  };
}

const RUN_COLUMNS = [
  'model_id', 'family', 'setting', 'scenario', 'run_id', 'search', 'trial', 'target_qps', 'achieved_qps', 'queries', 'samples_per_s',
  'p50_ms', 'p90_ms', 'p99_ms', 'latency_lower_bound', 'bound_ms', 'valid', 'host_disturbed', 'stability', 'stability_reason', 'invalid_reasons',
];

const SCENARIO_ORDER = ['single-stream', 'multi-stream', 'offline', 'server'];

/** A percentile of a run given up with queries waiting: only a lower bound, shown as `≥ value` and marked. */
function percentileCell(value: number | null, lowerBound: boolean): Cell {
  if (value === null || !lowerBound) return value;
  return { value, text: `≥ ${formatNumber(value)}`, title: 'the run was given up with queries still waiting: a lower bound', flagged: true };
}

/** Every serving run on the device, a line each: what was offered, what came back, and why an invalid run is. */
export function servingRunsTable(device: string, runs: readonly ServingRun[], models: ReadonlyMap<string, ServedModel>): ReportTable {
  const rows = runs.filter((r) => r.device === device).sort((a, b) => a.model_id.localeCompare(b.model_id) || a.setting.localeCompare(b.setting)
    || SCENARIO_ORDER.indexOf(a.scenario) - SCENARIO_ORDER.indexOf(b.scenario) || (a.search ?? -1) - (b.search ?? -1) || (a.trial ?? -1) - (b.trial ?? -1));
  const csvRows = rows.map((r) => ({
    ...r, family: familyOf(models, r.model_id), invalid_reasons: (r.invalid_reasons ?? []).join('; '),
  }));
  const html = rows.map((r): Record<string, Cell> => ({
    model_id: r.model_id, setting: r.setting, scenario: r.scenario, run: r.run_id,
    'target QPS': r.target_qps, 'achieved QPS': r.achieved_qps, 'samples/s': r.samples_per_s,
    'p50 (ms)': percentileCell(r.p50_ms, r.latency_lower_bound), 'p90 (ms)': percentileCell(r.p90_ms, r.latency_lower_bound),
    'p99 (ms)': percentileCell(r.p99_ms, r.latency_lower_bound), 'bound (ms)': r.bound_ms,
    valid: r.valid ? 'yes' : 'no',
    'host disturbed': r.host_disturbed ? { value: 'yes', text: 'yes', title: (r.disturbances ?? []).join('; ') || null, flagged: true } : 'no',
    // Absent (null) from tables built before serving runs got the timing verdicts.
    stability: r.stability === null ? null : { value: r.stability, text: r.stability, title: r.stability_reason, flagged: r.stability !== 'stable' },
    'invalid reasons': (r.invalid_reasons ?? []).join('; '),
  }));
  const valid = rows.filter((r) => r.valid).length;
  return {
    name: 'serving-runs', title: 'Serving: every run',
    note: `${rows.length} runs, ${valid} valid. Server latency runs from each query's scheduled arrival; percentiles marked ≥ are lower bounds ` +
      '(the run was given up with queries still waiting); an invalid run says why; a stability verdict other than stable is marked ' +
      '(drifting: the latencies trend over the run, for Server a queue that keeps growing; hover for why) (docs/SERVING.md).',
    rows: html, columns: Object.keys(html[0] ?? {}), table: { columns: RUN_COLUMNS, rows: csvRows },
  };
}
