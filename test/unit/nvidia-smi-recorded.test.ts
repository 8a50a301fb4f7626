/**
 * nvidia-smi's readers against real output recorded on an H200 (test/fixtures/nvidia-smi-h200/,
 * scripts/record-nvidia-smi.sh): each CSV query is checked against nvidia-smi's own XML report of
 * the same moment, an independent reading of the same counters.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseGpuClocksLine, parseGpuInventoryLine, queryGpuClocks, queryGpuInventory } from '../../src/host/gpu-query.js';
import { NvidiaSmiSampler, parseNvidiaSmiLine } from '../../src/latency/power/nvidia-smi.js';

const dir = path.join(import.meta.dirname, '../fixtures/nvidia-smi-h200');
const read = (f: string) => readFile(path.join(dir, f), 'utf8');
const firstLine = async (f: string) => (await read(f)).split('\n')[0]!;

/** The text of the first <tag> inside <parent> (or anywhere when no parent is given). */
function xml(doc: string, tag: string, parent?: string): string {
  const scope = parent ? doc.match(new RegExp(`<${parent}>([\\s\\S]*?)</${parent}>`))?.[1] ?? '' : doc;
  const m = scope.match(new RegExp(`<${tag}>([^<]*)</${tag}>`));
  assert.ok(m, `<${tag}> ${parent ? `in <${parent}> ` : ''}is in the XML report`);
  return m[1]!.trim();
}
const xmlNumber = (doc: string, tag: string, parent?: string) => Number.parseFloat(xml(doc, tag, parent));

/** The XML's active clock event reasons, in nvml.h's names (the XML says "display_clocks_setting"). */
function activeReasons(doc: string): string[] {
  const block = doc.match(/<clocks_event_reasons>([\s\S]*?)<\/clocks_event_reasons>/)![1]!;
  return [...block.matchAll(/<clocks_event_reason_(\w+)>Active</g)].map((m) => (m[1] === 'display_clocks_setting' ? 'display_clock_setting' : m[1]!)).sort();
}

const moments = ['idle', 'load'] as const;

test('recorded H200: the inventory line is the XML report\'s GPU', async () => {
  for (const at of moments) {
    const report = await read(`${at}-before.xml`);
    const gpu = parseGpuInventoryLine(await firstLine(`${at}-inventory.csv`));
    assert.deepEqual(gpu, {
      index: 0,
      uuid: xml(report, 'uuid'),
      name: xml(report, 'product_name'),
      driver: xml(report, 'driver_version'),
      memoryBytes: xmlNumber(report, 'total', 'fb_memory_usage') * 2 ** 20,
    });
  }
});

test('recorded H200: clocks, temperature and throttle reasons agree with the XML before and after', async () => {
  for (const at of moments) {
    const reports = [await read(`${at}-before.xml`), await read(`${at}-after.xml`)];
    const clocks = parseGpuClocksLine(await firstLine(`${at}-clocks.csv`));
    assert.ok(clocks, `${at}: a clocks line`);
    const within = (value: number | null, tag: string, parent: string, slack: number) => {
      const seen = reports.map((r) => xmlNumber(r, tag, parent));
      assert.ok(value !== null && value >= Math.min(...seen) * (1 - slack) && value <= Math.max(...seen) * (1 + slack), `${at} ${tag}: ${value} against the XML's ${seen.join(' and ')}`);
    };
    // At idle nothing moves; under a power-capped load the SM clock hunts from reading to reading.
    within(clocks.smMhz, 'sm_clock', 'clocks', at === 'idle' ? 0 : 0.15);
    within(clocks.memoryMhz, 'mem_clock', 'clocks', 0);
    within(clocks.temperatureC, 'gpu_temp', 'temperature', at === 'idle' ? 0.1 : 0.1);
    for (const r of reports) assert.deepEqual([...clocks.throttleReasons!].sort(), activeReasons(r), `${at}: throttle reasons`);
  }
  // What the recording shows: the idle GPU reports gpu_idle, the loaded one runs at its power cap.
  assert.deepEqual(parseGpuClocksLine(await firstLine('idle-clocks.csv'))?.throttleReasons, ['gpu_idle']);
  assert.deepEqual(parseGpuClocksLine(await firstLine('load-clocks.csv'))?.throttleReasons, ['sw_power_cap']);
});

test('recorded H200: power and memory lines agree with the XML\'s board power and memory in use', async () => {
  for (const at of moments) {
    const reports = [await read(`${at}-before.xml`), await read(`${at}-after.xml`)];
    for (const [file, tag] of [[`${at}-power.csv`, 'average_power_draw'], [`${at}-power-instant.csv`, 'instant_power_draw']] as const) {
      const s = parseNvidiaSmiLine(await firstLine(file));
      const seen = reports.map((r) => xmlNumber(r, tag, 'gpu_power_readings'));
      assert.ok(s?.powerW !== null && s!.powerW >= Math.min(...seen) * 0.9 && s!.powerW <= Math.max(...seen) * 1.1, `${file}: ${s?.powerW} W against ${seen.join(', ')}`);
      assert.equal(s!.memoryUsedBytes, xmlNumber(reports[0]!, 'used', 'fb_memory_usage') * 2 ** 20, `${file}: memory in use`);
    }
  }
});

/** A stand-in nvidia-smi that prints a recorded file for the query it was recorded with. */
async function replaying(files: Record<string, string>): Promise<string> {
  const bin = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-smi-replay-'));
  const cases = Object.entries(files).map(([pattern, file]) => `*${pattern}*) cat '${path.join(dir, file)}' ;;`).join('\n');
  const smi = path.join(bin, 'nvidia-smi');
  await writeFile(smi, `#!/bin/sh\ncase "$*" in\n${cases}\n*) echo "unexpected query: $*" >&2; exit 2 ;;\nesac\n`);
  await chmod(smi, 0o755);
  return smi;
}

test('recorded H200: the readers run nvidia-smi with the queries the recordings answer', async () => {
  const smi = await replaying({
    'index,uuid,name,driver_version,memory.total': 'load-inventory.csv',
    'index,clocks.sm,clocks.mem,temperature.gpu,clocks_throttle_reasons.active': 'load-clocks.csv',
  });
  const inventory = await queryGpuInventory(smi);
  assert.deepEqual(inventory.gpus.map((g) => g.name), ['NVIDIA H200']);
  assert.deepEqual((await queryGpuClocks(smi)).map((c) => c.throttleReasons), [['sw_power_cap']]);
});

test('recorded H200: the power sampler averages the recorded instant stream', async () => {
  const text = await read('load-power-instant-stream.csv');
  const watts = text.trim().split('\n').map((l) => Number(l.split(',')[1]));
  const smi = await replaying({ 'index,power.draw.instant,memory.used': 'load-power-instant-stream.csv' });
  const sampler = new NvidiaSmiSampler(0, 'power.draw.instant', 100, smi);
  await sampler.start();
  await new Promise((r) => setTimeout(r, 300));
  const reading = await sampler.stop();
  assert.equal(reading.samples, watts.length);
  assert.ok(Math.abs(reading.avgW - watts.reduce((a, w) => a + w, 0) / watts.length) < 1e-9);
  assert.equal(reading.gpuMemoryPeakBytes, 1011 * 2 ** 20);
});

test('recorded H200: power.draw (a 1-s average on Ampere and newer) trails power.draw.instant into a load', async () => {
  const rows = (await read('transition-stream.csv')).trim().split('\n').map((l) => l.split(',').map(Number));
  const plateau = rows.at(-1)![1]!;
  const firstAbove = (column: number) => rows.findIndex((r) => r[column]! >= 0.9 * plateau);
  const lag = firstAbove(1) - firstAbove(2);
  // 100-ms readings: the averaged one crosses 90% of the load's power at least half a second later.
  assert.ok(lag >= 5, `power.draw reached 90% of ${plateau} W ${lag} readings after power.draw.instant`);
});
