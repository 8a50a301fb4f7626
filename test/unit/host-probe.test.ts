import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseCpuInfo, parseCpuList, readCpuTopology, topologyFromCpuInfo } from '../../src/host/cpu-info.js';
import { DeviceLock } from '../../src/host/device-lock.js';
import { describeDevice } from '../../src/host/describe-device.js';
import { parseGpuClocksLine, parseGpuInventoryLine, queryGpuInventory, reportsInstantPower, throttleReasonNames } from '../../src/host/gpu-query.js';
import { parseNvpmodelQuery, probeHost } from '../../src/host/probe-host.js';
import { parseTegrastatsClocks } from '../../src/host/tegrastats.js';

/** lscpu's "Name: value" lines: an implementation independent of ours reading the same kernel. */
async function lscpu(): Promise<Map<string, string> | null> {
  try {
    const { stdout } = await promisify(execFile)('lscpu', [], { env: { ...process.env, LC_ALL: 'C' } });
    return new Map(stdout.split('\n').map((l) => l.split(/:\s+/, 2) as [string, string]).filter((kv) => kv.length === 2).map(([k, v]) => [k.trim(), v.trim()]));
  } catch {
    return null;
  }
}

test('this machine\'s CPU: identity and core layout agree with lscpu', async (t) => {
  const ls = await lscpu();
  if (!ls) return t.skip('no lscpu here');
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8');
  const cpu = parseCpuInfo(cpuinfo);
  assert.equal(cpu.model, ls.get('Model name'));
  if (ls.has('CPU family')) {
    assert.equal(cpu.family, Number(ls.get('CPU family')));
    assert.equal(cpu.modelNumber, Number(ls.get('Model')));
    assert.equal(cpu.stepping, Number(ls.get('Stepping')));
  }
  const lsFlags = new Set((ls.get('Flags') ?? '').split(' '));
  for (const f of cpu.simdFlags) assert.ok(lsFlags.has(f), `${f} is a flag lscpu lists`);
  if (lsFlags.has('avx2')) assert.ok(cpu.simdFlags.includes('avx2'));

  const topology = await readCpuTopology();
  assert.ok(topology, 'sysfs has a CPU topology here');
  assert.equal(topology.logicalCpus, Number(ls.get('CPU(s)')));
  assert.equal(topology.threadsPerCore, Number(ls.get('Thread(s) per core')));
  assert.equal(topology.packages, Number(ls.get('Socket(s)')));
  assert.equal(topology.physicalCores, Number(ls.get('Core(s) per socket')) * Number(ls.get('Socket(s)')));
  // Where x86 /proc/cpuinfo has the layout too, both readings agree.
  const fromCpuInfo = topologyFromCpuInfo(cpuinfo);
  if (fromCpuInfo) assert.deepEqual(fromCpuInfo, topology);
});

test('an ARM /proc/cpuinfo (Jetson Orin, L4T docs layout): SIMD features, no x86 family', () => {
  const orin = ['processor\t: 0', 'model name\t: ARMv8 Processor rev 1 (v8l)', 'BogoMIPS\t: 62.50',
    'Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp uscat ilrcpc flagm',
    'CPU implementer\t: 0x41', 'CPU architecture: 8', 'CPU variant\t: 0x0', 'CPU part\t: 0xd42', 'CPU revision\t: 1', ''].join('\n');
  const cpu = parseCpuInfo(orin);
  assert.equal(cpu.model, 'ARMv8 Processor rev 1 (v8l)');
  assert.deepEqual(cpu.simdFlags, ['asimd', 'asimddp', 'asimdhp', 'asimdrdm']);
  assert.deepEqual([cpu.vendor, cpu.family, cpu.modelNumber, cpu.stepping], [null, null, null, null]);
  assert.equal(topologyFromCpuInfo(orin), null, 'ARM cpuinfo has no core ids');
});

test('CPU lists and an SMT layout in sysfs: two cores of two threads', async () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.throws(() => parseCpuList('0-x'), /not a CPU list/);
  const root = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-topology-'));
  await writeFile(path.join(root, 'online'), '0-3\n');
  for (const [cpu, core, siblings] of [[0, 0, '0,2'], [1, 1, '1,3'], [2, 0, '0,2'], [3, 1, '1,3']] as const) {
    const dir = path.join(root, `cpu${cpu}`, 'topology');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'physical_package_id'), '0\n');
    await writeFile(path.join(dir, 'core_id'), `${core}\n`);
    await writeFile(path.join(dir, 'thread_siblings_list'), `${siblings}\n`);
  }
  assert.deepEqual(await readCpuTopology(root), { logicalCpus: 4, physicalCores: 2, threadsPerCore: 2, packages: 1 });
  assert.equal(await readCpuTopology(path.join(root, 'missing')), null);
});

// nvidia-smi's CSV query format as `nvidia-smi --help-query-gpu` documents it, with made-up values
// for cases the recorded H200 (nvidia-smi-recorded.test.ts) cannot show: other GPUs, two GPUs, [N/A].
test('nvidia-smi inventory and clock lines; throttle reasons decoded from nvml.h\'s bits', () => {
  assert.deepEqual(parseGpuInventoryLine('0, GPU-5f3c1a2b-0000-1111-2222-333344445555, NVIDIA H100 80GB HBM3, 550.54.15, 81559'), {
    index: 0, uuid: 'GPU-5f3c1a2b-0000-1111-2222-333344445555', name: 'NVIDIA H100 80GB HBM3', driver: '550.54.15', memoryBytes: 81559 * 1024 * 1024,
  });
  assert.equal(parseGpuInventoryLine('1, [N/A], Tesla T4, 535.104.05, [N/A]')?.memoryBytes, null);
  assert.equal(parseGpuInventoryLine('index, uuid, name, driver_version, memory.total [MiB]'), null);
  assert.deepEqual(parseGpuClocksLine('0, 1980, 2619, 41, 0x0000000000000000'), { index: 0, smMhz: 1980, memoryMhz: 2619, temperatureC: 41, throttleReasons: [] });
  assert.deepEqual(parseGpuClocksLine('1, 1410, 1593, 87, 0x0000000000000064')?.throttleReasons, ['sw_power_cap', 'sw_thermal_slowdown', 'hw_thermal_slowdown']);
  assert.equal(parseGpuClocksLine('0, [N/A], [N/A], 30, [Not Supported]')?.throttleReasons, null);
  assert.deepEqual(throttleReasonNames(0x1000000001n), ['gpu_idle', 'unknown_0x1000000000']);
});

test('the GPU inventory from a real child process; a missing nvidia-smi is said so, not thrown', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-smi-inventory-'));
  const fake = path.join(dir, 'nvidia-smi');
  // A stand-in that prints what the documented query prints for a two-GPU box.
  await writeFile(fake, '#!/bin/sh\necho "0, GPU-aaaa, NVIDIA A100-SXM4-40GB, 535.104.05, 40960"\necho "1, GPU-bbbb, NVIDIA A100-SXM4-40GB, 535.104.05, 40960"\n');
  await chmod(fake, 0o755);
  const two = await queryGpuInventory(fake);
  assert.deepEqual(two.gpus.map((g) => [g.index, g.uuid]), [[0, 'GPU-aaaa'], [1, 'GPU-bbbb']]);
  assert.equal(two.note, null);
  assert.deepEqual(await queryGpuInventory(path.join(dir, 'absent')), { gpus: [], note: 'nvidia-smi is not installed' });
  const failing = path.join(dir, 'failing-smi');
  await writeFile(failing, '#!/bin/sh\necho "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."\nexit 9\n');
  await chmod(failing, 0o755);
  assert.match((await queryGpuInventory(failing)).note!, /failed: NVIDIA-SMI has failed because it couldn't communicate/);
});

test('the probe asks whether the GPU reports power.draw.instant; an old driver\'s refusal or [N/A] is no', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-smi-instant-'));
  const stand = async (name: string, body: string) => {
    const file = path.join(dir, name);
    await writeFile(file, `#!/bin/sh\n${body}\n`);
    await chmod(file, 0o755);
    return file;
  };
  // What `--query-gpu=power.draw.instant --format=csv,noheader,nounits` prints on a GPU with it (78.74 W: the recorded H200 idle).
  assert.equal(await reportsInstantPower(await stand('has', 'echo 78.74')), true);
  assert.equal(await reportsInstantPower(await stand('na', 'echo "[N/A]"')), false);
  assert.equal(await reportsInstantPower(await stand('old', 'echo \'Field "power.draw.instant" is not a valid field to query.\'; exit 2')), false);
  assert.equal(await reportsInstantPower(path.join(dir, 'absent')), false);
});

test('a Jetson is recognised from its device tree or L4T release file, with its power mode', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-jetson-'));
  const proc = path.join(root, 'proc');
  const etc = path.join(root, 'etc');
  await mkdir(path.join(proc, 'device-tree'), { recursive: true });
  await mkdir(etc);
  await writeFile(path.join(proc, 'device-tree/model'), 'NVIDIA Jetson AGX Orin Developer Kit\0');
  await writeFile(path.join(etc, 'nv_tegra_release'), '# R36 (release), REVISION: 3.0, GCID: 36191598, BOARD: generic, EABI: aarch64\n');
  const host = await probeHost({ proc, etc, sys: path.join(root, 'sys'), nvidiaSmi: path.join(root, 'no-nvidia-smi') });
  assert.equal(host.jetsonModel, 'NVIDIA Jetson AGX Orin Developer Kit');
  assert.equal(host.tegraRelease, '# R36 (release), REVISION: 3.0, GCID: 36191598, BOARD: generic, EABI: aarch64');
  assert.deepEqual(host.gpus, []);
  assert.equal(host.power.nvidiaSmi, false);
  // `nvpmodel -q` as the L4T docs show it.
  assert.equal(parseNvpmodelQuery('NV Power Mode: MAXN\n0\n'), 'MAXN');
  assert.equal(parseNvpmodelQuery('NV Power Mode: 15W\n1\n'), '15W');
  assert.equal(parseNvpmodelQuery('nvpmodel: command not found'), null);
});

test('this host probed and described: the devices table\'s values come from the probe', async () => {
  const host = await probeHost();
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8');
  assert.equal(host.cpu.usableCpus, os.availableParallelism());
  assert.equal(host.memoryBytes, os.totalmem());
  assert.ok(cpuinfo.includes(host.cpu.model), host.cpu.model);
  assert.equal(host.jetsonModel, null);
  // Plain data: what the latency cell's process receives over IPC is the same object.
  assert.deepEqual(structuredClone(host), host);
  const d = describeDevice('cpu-test', host, { version: '1.2.3', backends: ['cpu'] }, { threads: 2 }, { version: '9.9.9', gitCommit: 'abc', gitDirty: false });
  assert.deepEqual([d.device, d.cpu_model, d.cpu_cores, d.cpu_simd_flags, d.onnxruntime_version, d.onnxruntime_backends],
    ['cpu-test', host.cpu.model, os.availableParallelism(), host.cpu.simdFlags, '1.2.3', ['cpu']]);
  // Provenance: the CPUID identity as /proc/cpuinfo prints it, the settings and the code as given.
  const field = (name: string) => cpuinfo.match(new RegExp(`^${name}\\s*:\\s*(\\d+)`, 'm'))?.[1];
  assert.equal(d.cpu_family, field('cpu family') === undefined ? null : Number(field('cpu family')));
  assert.equal(d.cpu_stepping, field('stepping') === undefined ? null : Number(field('stepping')));
  assert.deepEqual([JSON.parse(d.runtime_settings), d.dnnbench_version, d.git_commit], [{ threads: 2 }, '9.9.9', 'abc']);
  assert.equal(d.gpu_name, host.gpus[0]?.name ?? null);
});

test('tegrastats clocks and temperatures of each L4T generation (lines in the L4T docs\' format)', () => {
  const orin = parseTegrastatsClocks('11-24-2026 10:00:00 RAM 2989/30593MB (lfb 6597x4MB) SWAP 0/15296MB (cached 0MB) CPU [0%@729,0%@729,off,off,0%@1190] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[305,306] VIC_FREQ 729 APE 174 CV0@-256C CPU@45.937C tj@46.5C VDD_GPU_SOC 3981mW/3981mW');
  assert.deepEqual(orin, { cpuMhz: [729, 729, 1190], emcMhz: 2133, gpuMhz: [305, 306], temperaturesC: { CPU: 45.937, tj: 46.5 } });
  const xavier = parseTegrastatsClocks('RAM 2448/15823MB (lfb 3279x4MB) CPU [1%@1190,0%@1190] EMC_FREQ 7%@1600 GR3D_FREQ 0%@76 AO@32C GPU@32C GPU 0/0 CPU 155/155');
  assert.deepEqual([xavier.emcMhz, xavier.gpuMhz, xavier.temperaturesC], [1600, [76], { AO: 32, GPU: 32 }]);
  const nano = parseTegrastatsClocks('RAM 2143/3964MB (lfb 76x4MB) SWAP 0/1982MB (cached 0MB) CPU [11%@1479,6%@1479] EMC_FREQ 0% GR3D_FREQ 0% PLL@27C POM_5V_IN 2158/2158');
  assert.deepEqual([nano.cpuMhz, nano.emcMhz, nano.gpuMhz], [[1479, 1479], null, []]);
});

test('the device lock runs holders one at a time, in order, and a failing holder releases it', async () => {
  const lock = new DeviceLock();
  const events: string[] = [];
  const hold = (name: string, ms: number, fail = false) => lock.run(async () => {
    events.push(`${name}+`);
    await new Promise((r) => setTimeout(r, ms));
    events.push(`${name}-`);
    if (fail) throw new Error(`${name} failed`);
    return name;
  });
  const results = await Promise.allSettled([hold('a', 30), hold('b', 5, true), hold('c', 1)]);
  assert.deepEqual(events, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  // Two locks are two devices: they do not wait for each other.
  const other = new DeviceLock();
  let otherRan = false;
  const slow = lock.run(() => new Promise((r) => setTimeout(r, 50)));
  await other.run(async () => { otherRan = true; });
  assert.ok(otherRan);
  await slow;
});
