import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { discoverInaSampler, findInaRails, tegrastatsWatts, TegrastatsSampler } from '../../src/latency/power/jetson.js';
import { parseTegrastatsRails } from '../../src/host/tegrastats.js';
import { NvidiaSmiSampler, parseNvidiaSmiLine } from '../../src/latency/power/nvidia-smi.js';
import { RaplSampler } from '../../src/latency/power/rapl.js';
import { discoverPowerSampler } from '../../src/latency/power/discover.js';

// The tegrastats and INA3221 formats below are transcribed from NVIDIA's L4T docs, not recorded:
// no Jetson was lent to this project's sessions. nvidia-smi's lines here are made up in its
// documented format; nvidia-smi-recorded.test.ts checks the same readers against a real H200.

test('nvidia-smi CSV lines: watts, MiB → bytes, [N/A] as null, headers ignored', () => {
  assert.deepEqual(parseNvidiaSmiLine('0, 71.48, 1024'), { index: 0, powerW: 71.48, memoryUsedBytes: 1024 * 1024 * 1024 });
  assert.deepEqual(parseNvidiaSmiLine('1, [N/A], 512'), { index: 1, powerW: null, memoryUsedBytes: 512 * 1024 * 1024 });
  assert.deepEqual(parseNvidiaSmiLine('0, [Not Supported], [N/A]'), { index: 0, powerW: null, memoryUsedBytes: null });
  assert.equal(parseNvidiaSmiLine('index, power.draw [W], memory.used [MiB]'), null);
  assert.equal(parseNvidiaSmiLine(''), null);
});

test('NvidiaSmiSampler streams a real child process and averages its GPU only', async () => {
  // A stand-in executable that prints what `nvidia-smi ... -lms 100` prints for a two-GPU box.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-smi-'));
  const fake = path.join(dir, 'nvidia-smi');
  await writeFile(fake, '#!/bin/sh\nwhile true; do echo "0, 100.00, 2000"; echo "1, 35.00, 10"; echo "0, 300.00, 3000"; sleep 0.05; done\n');
  await chmod(fake, 0o755);
  const sampler = new NvidiaSmiSampler(0, 'power.draw', 100, fake);
  await sampler.start();
  await new Promise((r) => setTimeout(r, 300));
  const reading = await sampler.stop();
  assert.ok(reading.samples >= 2 && reading.samples % 2 === 0, `${reading.samples} readings`);
  assert.equal(reading.avgW, 200);
  assert.equal(reading.gpuMemoryPeakBytes, 3000 * 1024 * 1024);
});

const lines = {
  nano: 'RAM 2143/3964MB (lfb 76x4MB) SWAP 0/1982MB (cached 0MB) CPU [11%@1479,6%@1479,7%@1479,6%@1479] EMC_FREQ 0% GR3D_FREQ 0% PLL@27C CPU@29.5C PMIC@100C GPU@28.5C AO@36C thermal@29C POM_5V_IN 2158/2158 POM_5V_GPU 0/0 POM_5V_CPU 406/406',
  tx2: 'RAM 1771/7851MB (lfb 1284x4MB) SWAP 0/3926MB (cached 0MB) CPU [2%@345,off,off,1%@345,0%@345,0%@345] EMC_FREQ 0% GR3D_FREQ 0% PLL@37C MCPU@37C PMIC@100C Tboard@32C GPU@35.5C BCPU@37C thermal@36.6C Tdiode@34.5C VDD_SYS_GPU 152/152 VDD_SYS_SOC 457/457 VDD_4V0_WIFI 0/0 VDD_IN 2357/2357 VDD_SYS_CPU 152/152 VDD_SYS_DDR 162/162',
  xavier: 'RAM 2448/15823MB (lfb 3279x4MB) SWAP 0/7911MB (cached 0MB) CPU [1%@1190,0%@1190,0%@1190,0%@1190,off,off,off,off] EMC_FREQ 0% GR3D_FREQ 0% AO@32C GPU@32C Tdiode@35.75C PMIC@100C AUX@31.5C CPU@33C thermal@32.4C Tboard@32C GPU 0/0 CPU 155/155 SOC 1242/1242 CV 0/0 VDDRQ 155/155 SYS5V 1703/1703',
  orin: '11-24-2026 10:00:00 RAM 2989/30593MB (lfb 6597x4MB) SWAP 0/15296MB (cached 0MB) CPU [0%@729,0%@729,0%@729,0%@729] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[0,0] VIC_FREQ 729 APE 174 CPU@45.937C tj@46.5C VDD_GPU_SOC 3981mW/3981mW VDD_CPU_CV 796mW/796mW VIN_SYS_5V0 3328mW/3328mW VDDQ_VDD2_1V8AO 503mW/503mW',
};

test('tegrastats: rails of every L4T generation, input rail preferred, sizes are not rails', () => {
  assert.deepEqual([...parseTegrastatsRails(lines.nano)], [['POM_5V_IN', 2158], ['POM_5V_GPU', 0], ['POM_5V_CPU', 406]]);
  assert.equal(tegrastatsWatts(lines.nano), 2.158);
  assert.equal(tegrastatsWatts(lines.tx2), 2.357);
  assert.equal(tegrastatsWatts(lines.orin), 3.328);
  // Xavier (JetPack 4) names no input rail: the sum of its rails.
  assert.equal(tegrastatsWatts(lines.xavier), (0 + 155 + 1242 + 0 + 155 + 1703) / 1000);
  assert.equal(tegrastatsWatts('RAM 1505/3964MB SWAP 0/1982MB'), null);
});

test('TegrastatsSampler averages the input rail of each printed line', async () => {
  const s = new TegrastatsSampler();
  s.accept(lines.nano);
  s.accept(lines.nano.replace('POM_5V_IN 2158/2158', 'POM_5V_IN 4158/3158'));
  assert.ok(Math.abs((await s.stop()).avgW - 3.158) < 1e-9);
});

async function put(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${text}\n`);
}

test('INA3221 sysfs, L4T 32 iio layout: the input rail in mW', async () => {
  const sys = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-ina-'));
  const dir = path.join(sys, 'bus/i2c/drivers/ina3221x/6-0040/iio:device0');
  await put(path.join(dir, 'rail_name_0'), 'POM_5V_IN');
  await put(path.join(dir, 'in_power0_input'), '2158');
  await put(path.join(dir, 'rail_name_1'), 'POM_5V_GPU');
  await put(path.join(dir, 'in_power1_input'), '0');
  assert.deepEqual((await findInaRails(sys)).map((r) => r.name), ['POM_5V_IN', 'POM_5V_GPU']);
  const sampler = await discoverInaSampler(sys);
  assert.ok(typeof sampler !== 'string');
  assert.match(sampler.source, /POM_5V_IN/);
  await sampler.start();
  await new Promise((r) => setTimeout(r, 250));
  const reading = await sampler.stop();
  assert.equal(reading.avgW, 2.158);
  assert.ok(reading.samples >= 3);
});

test('INA3221 sysfs, L4T 34+ hwmon layout: mV × mA, unconnected channels skipped', async () => {
  const sys = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-ina-'));
  const dir = path.join(sys, 'bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3');
  await put(path.join(dir, 'in1_label'), 'VDD_IN');
  await put(path.join(dir, 'in1_input'), '5000');
  await put(path.join(dir, 'curr1_input'), '1200');
  await put(path.join(dir, 'in2_label'), 'VDD_CPU_GPU_CV');
  await put(path.join(dir, 'in2_input'), '5000');
  await put(path.join(dir, 'curr2_input'), '400');
  await put(path.join(dir, 'in3_label'), 'NC');
  assert.deepEqual((await findInaRails(sys)).map((r) => r.name), ['VDD_IN', 'VDD_CPU_GPU_CV']);
  const sampler = await discoverInaSampler(sys);
  assert.ok(typeof sampler !== 'string');
  await sampler.start();
  assert.equal((await sampler.stop()).avgW, 6);
  assert.match(await discoverInaSampler(path.join(sys, 'nothing')) as string, /no INA3221 rails/);
});

test('RAPL: energy counters over time, wrap-around handled, unreadable counters explained', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-rapl-'));
  const zone = path.join(root, 'intel-rapl:0');
  await put(path.join(zone, 'max_energy_range_uj'), '1000000');
  await put(path.join(zone, 'energy_uj'), '900000');
  await put(path.join(root, 'intel-rapl:0:0', 'energy_uj'), '5'); // a subzone: not counted
  const sampler = await RaplSampler.discover(root);
  assert.ok(typeof sampler !== 'string');
  await sampler.start();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 200));
  await put(path.join(zone, 'energy_uj'), '100000'); // wrapped: 100000 + 1000000 − 900000 = 200000 µJ
  const reading = await sampler.stop();
  const seconds = (performance.now() - t0) / 1000;
  assert.ok(Math.abs(reading.avgW - 0.2 / seconds) < 0.2 / seconds * 0.1, `${reading.avgW} W`);
  assert.match(await RaplSampler.discover(path.join(root, 'missing')) as string, /no .*missing/);
});

test('power discovery follows the worker\'s host probe: the GPU for GPU providers, tegrastats, else RAPL or the reason', async (t) => {
  if (typeof await discoverInaSampler() !== 'string' || typeof await RaplSampler.discover() !== 'string') return t.skip('this host has INA3221 or RAPL counters');
  const none = { rapl: false, ina3221: false, nvidiaSmi: false, nvidiaSmiInstantPower: false, tegrastats: false };
  const averaged = (await discoverPowerSampler('cuda', { ...none, nvidiaSmi: true })).sampler;
  assert.ok(averaged instanceof NvidiaSmiSampler);
  assert.equal(averaged.source, 'nvidia-smi power.draw gpu 0');
  // Where the GPU reports it, the instant reading: power.draw is a 1-s average on Ampere and newer.
  assert.equal((await discoverPowerSampler('cuda', { ...none, nvidiaSmi: true, nvidiaSmiInstantPower: true })).sampler?.source, 'nvidia-smi power.draw.instant gpu 0');
  assert.ok((await discoverPowerSampler('cpu', { ...none, nvidiaSmi: true, tegrastats: true })).sampler instanceof TegrastatsSampler, 'CPU timings do not read the GPU board');
  const nothing = await discoverPowerSampler('cuda', none);
  assert.equal(nothing.sampler, null);
  assert.match((nothing as { reason: string }).reason, /^no power source: nvidia-smi not found or no GPU; no INA3221 rails .*; no tegrastats; /);
});
