/**
 * What the lent H200 machine recorded: its GPU checks (docs/gpu/h200-2026-12-04/, `npm run gpu:check`)
 * and a serving check on its CPUs (docs/serving/h200-host-2026-12-04/, `npm run serving:check`): the
 * Markdown of each is regenerated from its JSON, the GPU figures hang together, the power finding
 * holds in the data, and docs/GPU.md and docs/SERVING.md quote only numbers the checks print.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { renderGpuCheck, type GpuCheck } from '../../scripts/gpu-check-render.js';

const root = path.join(import.meta.dirname, '../..');
const dirs = { instant: 'docs/gpu/h200-2026-12-04', averaged: 'docs/gpu/h200-2026-12-04/power-draw-averaged' } as const;
const load = async (dir: string) => JSON.parse(await readFile(path.join(root, dir, 'gpu-check.json'), 'utf8')) as GpuCheck;

test('each recorded GPU check\'s Markdown is its JSON rendered', async () => {
  for (const dir of Object.values(dirs)) {
    assert.equal(renderGpuCheck(await load(dir)), await readFile(path.join(root, dir, 'gpu-check.md'), 'utf8'), `${dir}: run npm run gpu:check -- --render ${dir}/gpu-check.json > ${dir}/gpu-check.md`);
  }
});

test('recorded GPU checks: throughput is batch / p50, percentiles in order, every model agrees with the CPU', async () => {
  for (const dir of Object.values(dirs)) {
    const c = await load(dir);
    assert.deepEqual(c.errors, []);
    assert.equal(c.cells.filter((x) => x.provider === 'cuda').length, 12);
    for (const x of c.cells) {
      assert.ok(Math.abs(x.images_per_s - (x.batch * 1000) / x.p50_ms) < 1e-6 * x.images_per_s, `${x.model} b${x.batch}`);
      assert.ok(x.p50_ms <= x.p90_ms && x.p90_ms <= x.p99_ms);
      assert.ok(x.runs >= c.timing.minRuns);
      if (x.provider === 'cuda') assert.ok(x.gpu_memory_peak_bytes !== null && x.power_avg_w !== null, `${x.model} b${x.batch}: GPU memory and power`);
    }
    for (const a of c.agreement) assert.equal(a.sameTop1, a.images, `${a.model}: same top-1 on GPU and CPU`);
  }
});

test('power.draw, a 1-s average, read an "idle" second above the cell it preceded; power.draw.instant does not', async () => {
  const cuda = (c: GpuCheck) => c.cells.filter((x) => x.provider === 'cuda');
  const averaged = cuda(await load(dirs.averaged));
  assert.ok(averaged.every((x) => x.power_note.startsWith('nvidia-smi power.draw gpu 0')));
  // The second before a session carried the previous cell's load into the "idle" baseline.
  assert.ok(averaged.filter((x) => x.power_idle_w! > x.power_avg_w!).length >= 3);
  const instant = cuda(await load(dirs.instant));
  assert.ok(instant.every((x) => x.power_note.startsWith('nvidia-smi power.draw.instant gpu 0')));
  assert.ok(instant.every((x) => x.power_idle_w! < x.power_avg_w!));
});

test('docs/GPU.md quotes only numbers the recorded checks print', async () => {
  const doc = await readFile(path.join(root, 'docs/GPU.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## An H200, checked'), doc.indexOf('\n## ', doc.indexOf('## An H200, checked') + 1));
  assert.ok(section.length > 100, 'docs/GPU.md has the section "An H200, checked"');
  const printed = (await Promise.all(Object.values(dirs).map((d) => readFile(path.join(root, d, 'gpu-check.md'), 'utf8')))).join('\n')
    + await readFile(path.join(root, 'test/fixtures/nvidia-smi-h200/version.txt'), 'utf8');
  // Decimal figures (ms, W, MHz with a unit) must appear in a check's output; paths, dates and counts of files are not figures.
  for (const n of section.replace(/`[^`]*`/g, '').replace(/\([^)]*\.(json|md|csv|ts)\)/g, '').match(/\d+\.\d+/g) ?? []) {
    assert.ok(printed.includes(n), `docs/GPU.md's ${n} is not printed by a recorded check`);
  }
});

const servingDirs = ['docs/serving/h200-host-2026-12-04', 'docs/serving/h200-host-2026-12-04/completion-stamped', 'docs/serving/xeon-2vcpu-2026-12-05', 'docs/serving/xeon-2vcpu-2026-12-05-sleeping-generator', 'docs/serving/xeon-2vcpu-2026-12-06',
  'docs/serving/xeon-2vcpu-2026-12-07-one-thread', 'docs/serving/xeon-2vcpu-2026-12-07-two-threads', 'docs/serving/xeon-2vcpu-2026-12-07-one-thread-again', 'docs/serving/xeon-2vcpu-2026-12-07-one-thread-third',
  'docs/serving/xeon-2vcpu-2026-12-07-mobilenetv2-int8-one-thread'];

test('docs/SERVING.md quotes only numbers the recorded serving checks print', async () => {
  const doc = await readFile(path.join(root, 'docs/SERVING.md'), 'utf8');
  const start = doc.indexOf('**On a quiet 16-core host**');
  const section = doc.slice(start, doc.indexOf('\n## ', start));
  assert.ok(start > 0 && section.length > 100 && section.includes('**On a 2-core Xeon VM**'));
  const printed = (await Promise.all(servingDirs.map((d) => readFile(path.join(root, d, 'serving-check.md'), 'utf8')))).join('\n');
  for (const n of section.replace(/`[^`]*`/g, '').match(/\d+\.\d+/g) ?? []) assert.ok(printed.includes(n), `docs/SERVING.md's ${n} is not in the recorded check`);
});

test('each recorded serving check\'s Markdown is its JSON rendered', async () => {
  for (const d of servingDirs) {
    const dir = path.join(root, d);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/serving-check.ts'), '--render', path.join(dir, 'serving-check.json')]);
    assert.equal(stdout, await readFile(path.join(dir, 'serving-check.md'), 'utf8'), d);
  }
});
