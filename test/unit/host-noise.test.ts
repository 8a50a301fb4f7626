/**
 * Host noise readings on this real machine: /proc and /sys as the kernel writes them, real busy
 * processes. (A shared 2-core VM: other work may run beside the tests, so the quiet reading is
 * checked against a second, per-process accounting of the same interval rather than assumed idle.)
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { DEFAULT_NOISE_THRESHOLDS, isDisturbed, readThermalZones, startReading, type HostNoiseReading } from '../../src/host/host-noise.js';
import { busyTicks, parseLoadAverage, parseProcPidStat, parseProcStat, processTreeTimes, readAllProcessTimes, totalTicks } from '../../src/host/proc-stat.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node process that spins until it has used `cpuMs` of CPU (not wall) time, whatever else runs. */
const SPIN = (cpuMs: number) => `const u=()=>{const c=process.cpuUsage();return (c.user+c.system)/1000};while(u()<${cpuMs}){}`;

/** Starts a CPU spinner outside our process tree (orphaned by a shell that exits at once); its pid. */
async function spinElsewhere(cpuMs: number): Promise<number> {
  const { stdout } = await promisify(execFile)('sh', ['-c', `"${process.execPath}" -e '${SPIN(cpuMs)}' >/dev/null 2>&1 & echo $!`]);
  return Number(stdout.trim());
}

async function clockTicksPerSecond(): Promise<number> {
  return Number((await promisify(execFile)('getconf', ['CLK_TCK'])).stdout.trim());
}

test('/proc/stat and /proc/loadavg of this machine parse into consistent tick counts', async () => {
  const a = parseProcStat(await readFile('/proc/stat', 'utf8'));
  assert.equal(a.cpus, os.cpus().length);
  await sleep(300);
  const b = parseProcStat(await readFile('/proc/stat', 'utf8'));
  const hz = await clockTicksPerSecond();
  // Every CPU accounts every tick somewhere: the total grows by CPUs × seconds × ticks per second.
  const perCpuSeconds = (totalTicks(b) - totalTicks(a)) / a.cpus / hz;
  assert.ok(perCpuSeconds > 0.2 && perCpuSeconds < 0.6, `${perCpuSeconds} s per CPU over a 0.3 s sleep`);
  assert.ok(busyTicks(b) >= busyTicks(a));
  assert.ok(parseLoadAverage(await readFile('/proc/loadavg', 'utf8')) >= 0);
  assert.throws(() => parseProcStat('intr 12 0 0\n'), /no aggregate "cpu" line/);
});

test('/proc/<pid>/stat of this process: its CPU ticks match process.cpuUsage()', async () => {
  const hz = await clockTicksPerSecond();
  const read = async () => parseProcPidStat(await readFile(`/proc/${process.pid}/stat`, 'utf8'));
  const before = await read();
  assert.equal(before.pid, process.pid);
  assert.equal(before.ppid, process.ppid);
  const cpu0 = process.cpuUsage();
  const until = performance.now() + 400;
  while (performance.now() < until) { /* spin */ }
  const used = process.cpuUsage(cpu0);
  const after = await read();
  const ticksSeconds = (after.utime + after.stime - before.utime - before.stime) / hz;
  const usageSeconds = (used.user + used.system) / 1e6;
  assert.ok(Math.abs(ticksSeconds - usageSeconds) < 0.05, `/proc says ${ticksSeconds} s, cpuUsage ${usageSeconds} s`);
  // A command name may hold spaces and parentheses.
  const odd = parseProcPidStat('4242 (a (b) c) S 1 4242 4242 0 -1 4194304 98 0 0 0 7 3 2 1 20 0 1 0 227055 3133440 389');
  assert.deepEqual([odd.pid, odd.comm, odd.ppid, odd.utime, odd.stime, odd.cutime, odd.cstime, odd.starttime], [4242, 'a (b) c', 1, 7, 3, 2, 1, 227055]);
});

test('a child is in our process tree; a process orphaned elsewhere is not', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 2000)']);
  const orphan = await spinElsewhere(150);
  try {
    const tree = processTreeTimes(await readAllProcessTimes(), process.pid)!;
    assert.ok(tree.pids.includes(process.pid) && tree.pids.includes(child.pid!));
    assert.ok(!tree.pids.includes(orphan), 'the orphan was re-parented away from us');
    assert.equal(processTreeTimes([], process.pid), null);
  } finally {
    child.kill();
  }
});

test('a busy loop in another process during the reading: about one core of other CPU, disturbed', async () => {
  const orphan = await spinElsewhere(1500);
  await sleep(150); // past the spinner's start-up
  const reader = await startReading();
  await sleep(1000);
  const reading = await reader.stop();
  assert.ok(reading.seconds > 0.9 && reading.seconds < 2, `${reading.seconds} s`);
  // The spinner alone is one core; anything else running only adds to "other".
  assert.ok(reading.otherCores > 0.8, `other processes ${reading.otherCores.toFixed(2)} cores (busy ${reading.busyCores.toFixed(2)}, own ${reading.ownCores.toFixed(2)})`);
  assert.ok(reading.ownCores < 0.2, `we slept: own ${reading.ownCores.toFixed(2)} cores`);
  assert.ok(reading.otherCores <= reading.cpus + 0.05);
  const reasons = isDisturbed(reading);
  assert.ok(reasons.some((r) => r.kind === 'other-processes'), JSON.stringify(reasons));
  try { process.kill(orphan); } catch { /* already done */ }
});

test('a busy loop only in the marked timed runs: the reading over them sees it, whatever the whole interval averages', async () => {
  const reader = await startReading();
  await sleep(2000);
  reader.markTimedRuns();
  const orphan = await spinElsewhere(400);
  await sleep(600);
  const reading = await reader.stop();
  assert.ok(reading.timedRuns && reading.timedRuns.seconds > 0.5 && reading.timedRuns.seconds < reading.seconds, JSON.stringify(reading.timedRuns));
  assert.ok(reading.timedRuns.otherCores > 0.3, `over the timed runs: ${reading.timedRuns.otherCores.toFixed(2)} cores`);
  assert.ok(reading.otherCores < reading.timedRuns.otherCores, `over the whole: ${reading.otherCores.toFixed(2)} cores`);
  assert.ok(isDisturbed(reading).some((r) => r.kind === 'other-processes' && r.message.includes('during the timed runs')), JSON.stringify(isDisturbed(reading)));
  assert.equal((await (await startReading()).stop()).timedRuns, null, 'nothing marked: no timed-runs figures');
  try { process.kill(orphan); } catch { /* already done */ }
});

test('our own child\'s CPU counts as ours, even when it exits within the reading', async () => {
  const reader = await startReading();
  const cpu0 = process.cpuUsage();
  const child = spawn(process.execPath, ['-e', SPIN(700)]);
  await new Promise((r) => child.once('exit', r));
  await sleep(100);
  const reading = await reader.stop();
  const mine = process.cpuUsage(cpu0);
  const ownSeconds = reading.ownCores * reading.seconds;
  const spinnerAndUs = 0.7 + (mine.user + mine.system) / 1e6;
  // Node's own start-up and exit add a little to the spinner's 0.7 s.
  assert.ok(ownSeconds > 0.65 && ownSeconds < spinnerAndUs + 0.35, `own ${ownSeconds.toFixed(2)} core-seconds`);
});

test('a quiet reading (1 s asleep) agrees with per-process accounting, and is not flagged when the machine was quiet', async (t) => {
  // A second accounting of the same interval: every process's CPU (with its reaped children's),
  // minus our tree's, against the reading's /proc/stat totals.
  const others = async () => {
    const all = await readAllProcessTimes();
    const ours = processTreeTimes(all, process.pid)!;
    const everyone = all.reduce((a, p) => a + p.utime + p.stime + p.cutime + p.cstime, 0);
    return { ticks: everyone - ours.ticks, at: performance.now() };
  };
  const hz = await clockTicksPerSecond();
  const before = await others();
  const reader = await startReading();
  await sleep(1000);
  const reading = await reader.stop();
  const after = await others();
  const perProcessCores = (after.ticks - before.ticks) / hz / ((after.at - before.at) / 1000);
  const flagged = isDisturbed(reading).some((r) => r.kind === 'other-processes');
  const said = `reading ${reading.otherCores.toFixed(3)} cores, per-process ${perProcessCores.toFixed(3)}, steal ${(reading.stealFraction * 100).toFixed(1)}%`;
  assert.ok(reading.ownCores < 0.1, `we slept: own ${reading.ownCores.toFixed(3)} cores`);
  assert.ok(Math.abs(reading.otherCores - perProcessCores) < 0.15, said);
  if (perProcessCores < DEFAULT_NOISE_THRESHOLDS.maxOtherCores / 2) assert.ok(!flagged, `quiet machine flagged: ${said}`);
  if (perProcessCores > DEFAULT_NOISE_THRESHOLDS.maxOtherCores * 2) assert.ok(flagged, `busy machine not flagged: ${said}`);
  assert.ok(reading.loadAverage1m.start >= 0 && reading.loadAverage1m.end >= 0);
  assert.equal(reading.gpus, null, 'no host facts given: no GPU query');
  t.diagnostic(`quiet reading: ${said}`);
});

test('a root process that ends during the reading is refused, not counted as someone else\'s', async () => {
  const child = spawn('sleep', ['0.2']);
  await new Promise((r) => child.once('spawn', r));
  const reader = await startReading({ rootPid: child.pid! });
  await new Promise((r) => child.once('exit', r));
  await assert.rejects(reader.stop(), new RegExp(`process ${child.pid} is not running`));
  await assert.rejects(startReading({ rootPid: child.pid! }), /is not running/);
});

test('CPU clocks where readable; thermal zones from sysfs, null where the host has none', async () => {
  const reader = await startReading();
  const reading = await reader.stop();
  const cpuinfoMhz = /^cpu MHz\s*:/m.test(await readFile('/proc/cpuinfo', 'utf8'));
  if (reading.cpuMhz) assert.ok(reading.cpuMhz.min > 0 && reading.cpuMhz.min <= reading.cpuMhz.mean && reading.cpuMhz.mean <= reading.cpuMhz.max);
  else assert.ok(!cpuinfoMhz, '/proc/cpuinfo has cpu MHz, the reading should too');
  const realZones = await readThermalZones();
  assert.equal(reading.temperaturesC === null, realZones.length === 0);

  const sys = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-thermal-'));
  for (const [zone, type, milli] of [['thermal_zone0', 'x86_pkg_temp', '47000'], ['thermal_zone1', 'acpitz', '27800']]) {
    await mkdir(path.join(sys, 'class/thermal', zone!), { recursive: true });
    await writeFile(path.join(sys, 'class/thermal', zone!, 'temp'), `${milli}\n`);
    await writeFile(path.join(sys, 'class/thermal', zone!, 'type'), `${type}\n`);
  }
  assert.deepEqual(await readThermalZones(sys), [{ zone: 'thermal_zone0', type: 'x86_pkg_temp', c: 47 }, { zone: 'thermal_zone1', type: 'acpitz', c: 27.8 }]);
  const hot = await (await startReading({ sysRoot: sys })).stop();
  assert.deepEqual(hot.temperaturesC, [{ zone: 'thermal_zone0', type: 'x86_pkg_temp', start: 47, end: 47 }, { zone: 'thermal_zone1', type: 'acpitz', start: 27.8, end: 27.8 }]);
  assert.deepEqual(isDisturbed(hot, { ...DEFAULT_NOISE_THRESHOLDS, maxTemperatureC: 45 }).filter((r) => r.kind === 'temperature').map((r) => r.message), ['above 45 °C: x86_pkg_temp 47 °C']);
  assert.deepEqual(isDisturbed(hot).filter((r) => r.kind === 'temperature'), [], 'temperatures are not checked by default');
});

// The tools' output formats (nvidia-smi's documented CSV query, tegrastats' line as in the L4T
// docs), printed by stand-in executables: no GPU or Jetson is lent to this project's sessions.
test('on a GPU host one nvidia-smi query gives clocks and throttle reasons; on a Jetson tegrastats gives clocks', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-noise-tools-'));
  const smi = path.join(dir, 'nvidia-smi');
  await writeFile(smi, '#!/bin/sh\necho "0, 1410, 1593, 88, 0x0000000000000040"\necho "1, 1980, 2619, 40, 0x0000000000000004"\n');
  const tegrastats = path.join(dir, 'tegrastats');
  await writeFile(tegrastats, '#!/bin/sh\nwhile true; do echo "RAM 2989/30593MB CPU [5%@1190,0%@729,off] EMC_FREQ 0%@2133 GR3D_FREQ 40%@[612,610] CPU@45.9C tj@52.5C VIN_SYS_5V0 3328mW/3328mW"; sleep 0.05; done\n');
  await Promise.all([chmod(smi, 0o755), chmod(tegrastats, 0o755)]);
  const power = { rapl: false, ina3221: false, nvidiaSmi: true, nvidiaSmiInstantPower: false, tegrastats: true };
  const gpu = { index: 0, name: 'GPU', uuid: null, driver: '550', memoryBytes: null };
  const reader = await startReading({ host: { gpus: [gpu, { ...gpu, index: 1 }], jetsonPowerMode: 'MAXN', power }, nvidiaSmi: smi, tegrastats });
  await sleep(300);
  const reading = await reader.stop();
  assert.deepEqual(reading.gpus?.map((g) => [g.index, g.smMhz, g.temperatureC, g.throttleReasons]), [[0, 1410, 88, ['hw_thermal_slowdown']], [1, 1980, 40, ['sw_power_cap']]]);
  assert.ok(reading.jetson && reading.jetson.lines >= 2, `${reading.jetson?.lines} tegrastats lines`);
  assert.deepEqual([reading.jetson.powerMode, reading.jetson.cpuMhz?.min, reading.jetson.cpuMhz?.max, reading.jetson.gpuMhz?.max, reading.jetson.emcMhz?.max, reading.jetson.maxTemperatureC],
    ['MAXN', 729, 1190, 612, 2133, 52.5]);
  // A thermally throttled GPU disturbs the repetition; a GPU at its power cap does not.
  assert.deepEqual(isDisturbed(reading).filter((r) => r.kind === 'gpu-throttle').map((r) => r.message), ['GPU 0 throttled: hw_thermal_slowdown']);

  const broken = await (await startReading({ host: { gpus: [gpu], jetsonPowerMode: null, power }, nvidiaSmi: path.join(dir, 'absent'), tegrastats: path.join(dir, 'absent') })).stop();
  assert.equal(broken.gpus, null);
  assert.equal(broken.jetson, null);
  assert.equal(broken.notes.length, 2, broken.notes.join('; '));
});

test('isDisturbed: each threshold on its own, documented defaults', () => {
  const clean: HostNoiseReading = {
    seconds: 1, cpus: 2, stealFraction: 0.01, busyCores: 1.05, ownCores: 1, otherCores: 0.05, loadAverage1m: { start: 1, end: 1 },
    cpuMhz: null, temperaturesC: null, gpus: null, jetson: null, notes: [], timedRuns: null,
  };
  assert.deepEqual(isDisturbed(clean), []);
  // Over the timed runs alone: a disturbance there is judged on its own, not diluted by the rest.
  const lateBusy = { ...clean, timedRuns: { seconds: 0.5, stealFraction: 0.01, otherCores: 0.6 } };
  assert.deepEqual(isDisturbed(lateBusy).map((r) => r.message), ['other processes used 0.60 cores during the timed runs (limit 0.1)']);
  assert.deepEqual(isDisturbed({ ...clean, timedRuns: { seconds: 0.5, stealFraction: 0.2, otherCores: 0.01 } }).map((r) => r.message),
    ['the hypervisor took 20.0% of the CPU time during the timed runs (limit 5.0%)']);
  assert.deepEqual(isDisturbed({ ...clean, timedRuns: { seconds: 0.5, stealFraction: 0, otherCores: 0 } }), []);
  assert.deepEqual(isDisturbed({ ...clean, stealFraction: 0.08 }).map((r) => r.kind), ['steal']);
  assert.match(isDisturbed({ ...clean, stealFraction: 0.08 })[0]!.message, /took 8\.0% of the CPU time \(limit 5\.0%\)/);
  assert.deepEqual(isDisturbed({ ...clean, otherCores: 0.12 }).map((r) => r.kind), ['other-processes']);
  assert.deepEqual(isDisturbed({ ...clean, otherCores: 0.12 }, { ...DEFAULT_NOISE_THRESHOLDS, maxOtherCores: 0.5 }), []);
});
