import type { CodeVersion } from '../host/code-version.js';
import { median } from '../stats/quantiles.js';
import type { DeviceCell, RepetitionCell } from './cell-types.js';
import type { TableRow } from './schema.js';

export type StudyProvenance = Pick<TableRow<'study'>,
  'dnnbench_version' | 'git_commit' | 'git_dirty' | 'device_provenance' | 'host_load_avg_median' | 'host_load_avg_max'
  | 'host_steal_fraction_median' | 'host_other_cores_median' | 'host_probe_compute_ms_median' | 'host_probe_memory_ms_median'>;

const orNull = (values: number[], f: (v: number[]) => number): number | null => (values.length ? f(values) : null);

/** One line per device: what a reader checks before comparing two studies' timings. */
export function deviceProvenanceLine(d: DeviceCell): string {
  const cpuid = d.cpu_family != null ? ` (family ${d.cpu_family} model ${d.cpu_model_number ?? '?'} stepping ${d.cpu_stepping ?? '?'})` : '';
  const layout = d.cpu_physical_cores != null && d.cpu_threads_per_core != null
    ? `, ${d.cpu_physical_cores} cores × ${d.cpu_threads_per_core} thread${d.cpu_threads_per_core === 1 ? '' : 's'} (SMT ${d.cpu_threads_per_core > 1 ? 'on' : 'off'})`
    : '';
  const settings = d.runtime_settings ? `; session ${d.runtime_settings}` : '';
  const code = d.dnnbench_version ? `; dnnbench ${d.dnnbench_version}${d.git_commit ? ` ${d.git_commit.slice(0, 12)}${d.git_dirty ? ' (modified)' : ''}` : ''}` : '';
  return `${d.device}: ${d.cpu_model}${cpuid}, ${d.cpu_cores} usable CPUs${layout}; onnxruntime ${d.onnxruntime_version}${settings}${code}`;
}

/**
 * The study's provenance: the code that built its tables (the control side; each device's own is
 * in devices.parquet), each device in a line, and how loaded the hosts were while the kept latency
 * repetitions ran (load average at their start, stolen CPU, other processes' cores) and how fast the
 * speed probe found the host then (src/host/speed-probe.ts).
 */
export function studyProvenance(devices: readonly DeviceCell[], repetitions: readonly RepetitionCell[], code: CodeVersion): StudyProvenance {
  const kept = repetitions.filter((r) => !r.discarded);
  const load = kept.map((r) => r.load_avg_start).filter(Number.isFinite);
  return {
    dnnbench_version: code.version, git_commit: code.gitCommit, git_dirty: code.gitDirty,
    device_provenance: [...devices].sort((a, b) => a.device.localeCompare(b.device)).map(deviceProvenanceLine),
    host_load_avg_median: orNull(load, median),
    host_load_avg_max: orNull(load, (v) => Math.max(...v)),
    host_steal_fraction_median: orNull(kept.map((r) => r.steal_fraction).filter(Number.isFinite), median),
    host_other_cores_median: orNull(kept.map((r) => r.other_cores).filter(Number.isFinite), median),
    // Repetitions from before the speed probe have no reading (undefined in their cells).
    host_probe_compute_ms_median: orNull(kept.map((r) => r.host_probe_compute_ms ?? NaN).filter(Number.isFinite), median),
    host_probe_memory_ms_median: orNull(kept.map((r) => r.host_probe_memory_ms ?? NaN).filter(Number.isFinite), median),
  };
}
