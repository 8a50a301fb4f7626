/** The real-time table: which models reach 30 images/s at batch 1, by their p50 and by their interval's low end, on hand-made points. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceData, LatencyPoint } from '../../src/report/chart-data.js';
import { realTimeTable } from '../../src/report/report-tables.js';

function point(model_id: string, batch_size: number, images_per_s: number, low: number | null, high: number | null): LatencyPoint {
  return {
    model_id, family: 'other', label: model_id, batch_size, images_per_s, per_image_ms: 1000 / images_per_s, gflops: 1, weight_mb: 1,
    rss_peak_mb: null, power_avg_w: null, energy_per_image_j: null, power_note: null,
    per_image_ci_low_ms: high === null ? null : 1000 / high, per_image_ci_high_ms: low === null ? null : 1000 / low,
    images_per_s_ci_low: low, images_per_s_ci_high: high, top1: null, top1_basis: null, top1_n_images: null, top1_source: null,
  };
}

test('real time at batch 1: by p50, and by the low end of the interval where there is one', () => {
  const d: DeviceData = {
    device: 'cpu', batch: 1, accuracy: { basis: 'published', label: '', reason: '' }, modelPoints: [], fits: [],
    latency: [
      point('fast', 1, 40, 31, 50), point('borderline', 1, 35, 28, 45), point('slow', 1, 20, null, null),
      point('old-fast', 1, 90, null, null), point('fast', 8, 300, 290, 310),
    ],
  };
  const t = realTimeTable(d);
  assert.deepEqual(t.table.rows.map((r) => [r.model_id, r.real_time_by_p50, r.real_time_by_interval_low]), [
    ['old-fast', true, null], ['fast', true, true], ['borderline', true, false], ['slow', false, null],
  ]);
  assert.equal(t.note, '3 of 4 models reach 30 images/s at batch 1 by their p50; 1 of the 2 with an interval do so at its low end too.');
});

test('no batch 1 measured: the table is empty and says so', () => {
  const d: DeviceData = {
    device: 'cpu', batch: 2, accuracy: { basis: 'published', label: '', reason: '' }, modelPoints: [], fits: [], latency: [point('a', 2, 100, null, null)],
  };
  const t = realTimeTable(d);
  assert.equal(t.table.rows.length, 0);
  assert.match(t.note, /No model was measured at batch 1/);
});
