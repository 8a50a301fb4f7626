import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceCell, RepetitionCell } from '../../src/results/cell-types.js';
import { deviceProvenanceLine, studyProvenance } from '../../src/results/study-provenance.js';

const device = {
  device: 'cpu-x86_64', cpu_model: 'AMD EPYC 7B13', cpu_cores: 2, onnxruntime_version: '1.30.0', cpu_family: 25, cpu_model_number: 1,
  cpu_stepping: 0, cpu_physical_cores: 1, cpu_threads_per_core: 2, runtime_settings: '{"threads":2}', dnnbench_version: '0.1.0',
  git_commit: '0123456789abcdef', git_dirty: true,
} as DeviceCell;
const rep = (load: number, steal: number, other: number, discarded = false) =>
  ({ load_avg_start: load, steal_fraction: steal, other_cores: other, discarded }) as RepetitionCell;

test('the study row names the code, each device in a line, and the load of the kept repetitions only', () => {
  const p = studyProvenance([device], [rep(1, 0.01, 0.1), rep(3, 0.03, 0.3), rep(2, 0.02, 0.2), rep(9, 0.5, 1.5, true)],
    { version: '0.1.0', gitCommit: 'feed', gitDirty: false });
  assert.deepEqual([p.dnnbench_version, p.git_commit, p.git_dirty], ['0.1.0', 'feed', false]);
  assert.deepEqual([p.host_load_avg_median, p.host_load_avg_max, p.host_steal_fraction_median, p.host_other_cores_median], [2, 3, 0.02, 0.2]);
  assert.deepEqual(p.device_provenance, [
    'cpu-x86_64: AMD EPYC 7B13 (family 25 model 1 stepping 0), 2 usable CPUs, 1 cores × 2 threads (SMT on); onnxruntime 1.30.0; session {"threads":2}; dnnbench 0.1.0 0123456789ab (modified)',
  ]);
});

test('devices described before provenance, and studies without repetitions, leave the columns empty', () => {
  const old = { device: 'gpu', cpu_model: 'x', cpu_cores: 8, onnxruntime_version: '1.2' } as DeviceCell;
  assert.equal(deviceProvenanceLine(old), 'gpu: x, 8 usable CPUs; onnxruntime 1.2');
  const p = studyProvenance([old], [], { version: '0.1.0', gitCommit: null, gitDirty: null });
  assert.deepEqual([p.host_load_avg_median, p.host_load_avg_max, p.git_commit], [null, null, null]);
});
