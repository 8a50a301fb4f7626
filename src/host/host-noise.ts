import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { queryGpuClocks, type GpuClocks } from './gpu-query.js';
import type { HostFacts } from './probe-host.js';
import { busyTicks, parseLoadAverage, parseProcStat, processTreeTimes, readAllProcessTimes, totalTicks, type ProcessTreeTimes, type SystemCpuTimes } from './proc-stat.js';
import { parseTegrastatsClocks, type TegrastatsClocks } from './tegrastats.js';
import { quantileSorted } from '../stats/quantiles.js';

/**
 * What else the host did while a timing ran (issue 18 item 5): read around each latency
 * repetition, so that a repetition another process or the hypervisor disturbed can be discarded
 * instead of reported with a narrow interval.
 */

export interface Range {
  min: number;
  mean: number;
  max: number;
}

export interface HostNoiseReading {
  /** Wall time the reading covered. */
  seconds: number;
  /** CPUs in /proc/stat: the cores figures below are out of this many. */
  cpus: number;
  /** Share of the interval's CPU time (all CPUs) the hypervisor gave to other guests. */
  stealFraction: number;
  /** CPU the whole system used (processes, kernel, interrupts), in cores (1 = one core busy throughout). */
  busyCores: number;
  /** CPU our process tree (the root pid and its descendants) used, in cores. */
  ownCores: number;
  /** busyCores − ownCores, floored at 0 (tick rounding can make it slightly negative). */
  otherCores: number;
  /** 1-minute load average at the start and the end (it lags: a trend, not the interval's own load). */
  loadAverage1m: { start: number; end: number };
  /** CPU clocks at the start and the end across every CPU; null where the host exposes none (some VMs). */
  cpuMhz: (Range & { source: 'cpufreq' | 'cpuinfo' }) | null;
  /** Thermal zones at the start and the end; null where there are none (VMs, containers). */
  temperaturesC: Array<{ zone: string; type: string; start: number; end: number }> | null;
  /** Each GPU's clocks, temperature and throttle reasons at the end; null without NVIDIA GPUs. */
  gpus: GpuClocks[] | null;
  /** A Jetson's power mode and its clocks over the interval from tegrastats; null elsewhere. */
  jetson: JetsonReading | null;
  /** Readings that were expected on this host but failed, and why. */
  notes: string[];
  /**
   * The same CPU figures over the timed runs alone, from markTimedRuns() to the end; null when the
   * timed runs' start was not marked (a runtime that times itself in its own process).
   */
  timedRuns: { seconds: number; stealFraction: number; otherCores: number } | null;
}

export interface JetsonReading {
  powerMode: string | null;
  /** tegrastats lines the interval covered (at TEGRASTATS_INTERVAL_MS): 0 for a very short interval. */
  lines: number;
  cpuMhz: Range | null;
  gpuMhz: Range | null;
  emcMhz: Range | null;
  maxTemperatureC: number | null;
}

export interface HostNoiseOptions {
  /**
   * The process tree whose CPU is ours: default this process. It must live until stop() (a worker,
   * or a repetition's process stopped before it exits): a root that has exited leaves no record of
   * its CPU time, so stop() refuses rather than count it as other processes'.
   */
  rootPid?: number;
  /** GPUs and Jetson tools from the worker's host probe; without it, CPU-side readings only. */
  host?: Pick<HostFacts, 'gpus' | 'jetsonPowerMode' | 'power'>;
  /** Roots and commands to read (tests point them elsewhere). */
  procRoot?: string;
  sysRoot?: string;
  nvidiaSmi?: string;
  tegrastats?: string;
}

export interface HostNoiseReader {
  /**
   * Marks the start of the timed runs (a snapshot, taken as the call returns): the timed runs are
   * what the figures come from, and a disturbance confined to them is diluted when judged over the
   * whole repetition (its process start, model load and warm-up).
   */
  markTimedRuns(): void;
  stop(): Promise<HostNoiseReading>;
}

export const TEGRASTATS_INTERVAL_MS = 250;

export function range(values: number[]): Range | null {
  if (values.length === 0) return null;
  return { min: Math.min(...values), mean: values.reduce((a, v) => a + v, 0) / values.length, max: Math.max(...values) };
}

/** `cpu MHz` of every CPU in /proc/cpuinfo (x86; what the kernel last saw, or the nominal clock in many VMs). */
export function parseCpuInfoMhz(text: string): number[] {
  return [...text.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1]));
}

async function readCpuMhz(procRoot: string, sysRoot: string): Promise<{ source: 'cpufreq' | 'cpuinfo'; values: number[] } | null> {
  const cpuDir = path.join(sysRoot, 'devices/system/cpu');
  const cpus = (await readdir(cpuDir).catch(() => [] as string[])).filter((n) => /^cpu\d+$/.test(n));
  const khz = await Promise.all(cpus.map((c) => readFile(path.join(cpuDir, c, 'cpufreq/scaling_cur_freq'), 'utf8').then((t) => Number(t.trim()), () => NaN)));
  const mhz = khz.filter(Number.isFinite).map((k) => k / 1000);
  if (mhz.length) return { source: 'cpufreq', values: mhz };
  const fromCpuInfo = parseCpuInfoMhz(await readFile(path.join(procRoot, 'cpuinfo'), 'utf8').catch(() => ''));
  return fromCpuInfo.length ? { source: 'cpuinfo', values: fromCpuInfo } : null;
}

/** Every thermal zone's type and °C (sysfs gives millidegrees). */
export async function readThermalZones(sysRoot = '/sys'): Promise<Array<{ zone: string; type: string; c: number }>> {
  const dir = path.join(sysRoot, 'class/thermal');
  const zones = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^thermal_zone\d+$/.test(n)).sort();
  const read = await Promise.all(zones.map(async (zone) => {
    try {
      const milli = Number((await readFile(path.join(dir, zone, 'temp'), 'utf8')).trim());
      const type = (await readFile(path.join(dir, zone, 'type'), 'utf8').catch(() => zone)).trim();
      return Number.isFinite(milli) ? [{ zone, type, c: milli / 1000 }] : [];
    } catch {
      return []; // a zone whose sensor is off fails to read (EINVAL/ENODATA)
    }
  }));
  return read.flat();
}

interface Snapshot {
  at: number;
  system: SystemCpuTimes;
  tree: ProcessTreeTimes;
  load: number;
  mhz: { source: 'cpufreq' | 'cpuinfo'; values: number[] } | null;
  thermal: Array<{ zone: string; type: string; c: number }>;
}

async function snapshot(rootPid: number, procRoot: string, sysRoot: string): Promise<Snapshot> {
  const [statText, processes, loadText] = await Promise.all([
    readFile(path.join(procRoot, 'stat'), 'utf8'), readAllProcessTimes(procRoot), readFile(path.join(procRoot, 'loadavg'), 'utf8'),
  ]);
  const at = performance.now();
  const tree = processTreeTimes(processes, rootPid);
  if (!tree) throw new Error(`host noise: process ${rootPid} is not running, so its CPU time cannot be told from other processes'`);
  const [mhz, thermal] = await Promise.all([readCpuMhz(procRoot, sysRoot), readThermalZones(sysRoot)]);
  return { at, system: parseProcStat(statText), tree, load: parseLoadAverage(loadText), mhz, thermal };
}

/** tegrastats running for the length of a reading; its lines parsed as they come. */
function streamTegrastats(command: string): { stop(): Promise<{ lines: TegrastatsClocks[]; error: string | null }> } {
  const lines: TegrastatsClocks[] = [];
  let error: string | null = null;
  const child = spawn(command, ['--interval', String(TEGRASTATS_INTERVAL_MS)], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.once('error', (err) => { error = err.message; });
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(parseTegrastatsClocks(l)));
  return {
    async stop() {
      if (error === null && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      return { lines, error };
    },
  };
}

function jetsonReading(powerMode: string | null, lines: TegrastatsClocks[]): JetsonReading {
  const temps = lines.flatMap((l) => Object.values(l.temperaturesC));
  return {
    powerMode, lines: lines.length,
    cpuMhz: range(lines.flatMap((l) => l.cpuMhz)),
    gpuMhz: range(lines.flatMap((l) => l.gpuMhz)),
    emcMhz: range(lines.flatMap((l) => (l.emcMhz === null ? [] : [l.emcMhz]))),
    maxTemperatureC: temps.length ? Math.max(...temps) : null,
  };
}

/**
 * Starts a reading of the host; stop() returns what happened over the interval. Reads files
 * (/proc, /sys) at both ends, one nvidia-smi query at the end on a GPU host, and tegrastats
 * throughout on a Jetson: call it outside the timed runs' own clock.
 */
export async function startReading(options: HostNoiseOptions = {}): Promise<HostNoiseReader> {
  const rootPid = options.rootPid ?? process.pid;
  const procRoot = options.procRoot ?? '/proc';
  const sysRoot = options.sysRoot ?? '/sys';
  const host = options.host;
  const tegrastats = host?.power.tegrastats ? streamTegrastats(options.tegrastats ?? 'tegrastats') : null;
  const start = await snapshot(rootPid, procRoot, sysRoot);
  let timedStart: Promise<Snapshot | null> | null = null;
  return {
    markTimedRuns() {
      // A failed snapshot loses the timed-runs figures, not the repetition.
      timedStart ??= snapshot(rootPid, procRoot, sysRoot).catch(() => null);
    },
    async stop(): Promise<HostNoiseReading> {
      const end = await snapshot(rootPid, procRoot, sysRoot);
      const timed = timedStart ? await timedStart : null;
      if (end.tree.root.starttime !== start.tree.root.starttime) {
        throw new Error(`host noise: process ${rootPid} ended during the reading (its pid now names another process): stop the reading before the measured process exits`);
      }
      const notes: string[] = [];
      let gpus: GpuClocks[] | null = null;
      if (host?.gpus.length) {
        gpus = await queryGpuClocks(options.nvidiaSmi).catch((err: Error) => {
          notes.push(`nvidia-smi clocks query failed: ${err.message}`);
          return null;
        });
      }
      let jetson: JetsonReading | null = null;
      if (tegrastats) {
        const { lines, error } = await tegrastats.stop();
        if (error) notes.push(`tegrastats failed: ${error}`);
        else jetson = jetsonReading(host?.jetsonPowerMode ?? null, lines);
      }
      const cpus = end.system.cpus;
      const cpuBetween = (from: Snapshot) => {
        const total = Math.max(1, totalTicks(end.system) - totalTicks(from.system));
        const cores = (ticks: number) => (ticks / total) * cpus;
        const busy = cores(busyTicks(end.system) - busyTicks(from.system));
        const own = cores(end.tree.ticks - from.tree.ticks);
        return { stealFraction: (end.system.steal - from.system.steal) / total, busyCores: busy, ownCores: own, otherCores: Math.max(0, busy - own) };
      };
      const whole = cpuBetween(start);
      const overTimed = timed ? cpuBetween(timed) : null;
      const mhz = start.mhz && end.mhz ? { source: end.mhz.source, ...range([...start.mhz.values, ...end.mhz.values])! } : null;
      const zones = end.thermal.flatMap((z) => {
        const before = start.thermal.find((s) => s.zone === z.zone);
        return before ? [{ zone: z.zone, type: z.type, start: before.c, end: z.c }] : [];
      });
      return {
        seconds: (end.at - start.at) / 1000,
        cpus,
        ...whole,
        loadAverage1m: { start: start.load, end: end.load },
        cpuMhz: mhz,
        temperaturesC: zones.length ? zones : null,
        gpus, jetson, notes,
        timedRuns: timed && overTimed ? { seconds: (end.at - timed.at) / 1000, stealFraction: overTimed.stealFraction, otherCores: overTimed.otherCores } : null,
      };
    },
  };
}

/**
 * When a repetition counts as disturbed. The defaults (used unless a study's spec sets its own):
 * - steal above 5% of the interval's CPU time: the hypervisor ran other guests on our vCPUs, so
 *   runs waited for a CPU they appear to have had;
 * - other processes above 0.10 cores (10% of one core, averaged over the interval): on a 2-core
 *   host a busy loop elsewhere is 1.0, an idle system about 0.01–0.03 (kernel threads, interrupts);
 * - a GPU throttled by heat or by the board (thermal, hardware slowdown, power brake): clocks
 *   the runs did not choose. The software power cap and idle reasons are left out: a GPU under
 *   full load sits at its power cap by design;
 * - temperatures: not checked by default (limits differ per chip; throttling shows above);
 * - the round trip between two cores (core-link-probe.ts) above 2× the device's lower quartile of
 *   it, on a CPU device: the hypervisor has moved our vCPUs where they work together more slowly.
 *   On the Zen 4 EPYC VM where it was found, the two states read about 115–150 ns and 330–400 ns
 *   (`npm run bench:core-link`), so 2× the lower quartile falls between them; on a host whose round
 *   trip never moves, nothing comes near it. Relative to the device's own readings, because the
 *   round trip differs from CPU to CPU;
 * - the ratio of two threads' loop to one's (core-share-probe.ts) above maxCoreShareFactor × the
 *   device's lower quartile of it, on a CPU device, for a cell on more than one thread: our two
 *   vCPUs landed on one physical core's two hardware threads. Off by default (null). In the one
 *   bench:repetitions pair measured with it at ONE_CORE_FACTOR, the repetitions it alone discarded
 *   ran a median 1.4% faster than their cells' kept ones in A, 12.7% slower in B and 0.5% slower
 *   in C, and the intervals did not narrow (docs/BENCHMARKS.md, the 17:48 pair): the reading beside
 *   a repetition does not yet tell the state well enough to discard by. It is recorded in every
 *   repetition (host_core_share_ratio) all the same.
 */
export interface NoiseThresholds {
  maxStealFraction: number;
  maxOtherCores: number;
  gpuThrottleReasons: string[];
  /** Any thermal zone, GPU or Jetson sensor above this at the end; null: not checked. */
  maxTemperatureC: number | null;
  /** A repetition's core round trip above this many times the device's lower quartile of it; null: not checked. */
  maxCoreLinkFactor: number | null;
  /** A repetition's two-thread loop ratio above this many times the device's lower quartile of it; null: not checked. */
  maxCoreShareFactor: number | null;
}

export const DEFAULT_NOISE_THRESHOLDS: NoiseThresholds = {
  maxStealFraction: 0.05,
  maxOtherCores: 0.10,
  gpuThrottleReasons: ['hw_slowdown', 'sw_thermal_slowdown', 'hw_thermal_slowdown', 'hw_power_brake_slowdown'],
  maxTemperatureC: null,
  maxCoreLinkFactor: 2,
  maxCoreShareFactor: null,
};

/**
 * The two-thread ratio, as a multiple of the lower quartile of its readings, above which our
 * vCPUs counted as on one core in bench:core-link: there the ratio read about 1.04–1.06 (lower
 * quartiles) with a core each and about 2 on one core, and 1.5× falls between them. The value to
 * give maxCoreShareFactor to discard by the ratio.
 */
export const ONE_CORE_FACTOR = 1.5;

export type DisturbanceKind = 'steal' | 'other-processes' | 'gpu-throttle' | 'temperature' | 'core-link' | 'core-share';

export interface Disturbance {
  kind: DisturbanceKind;
  message: string;
}

/** Why a reading's interval was disturbed; an empty list means it was clean. */
export function isDisturbed(reading: HostNoiseReading, thresholds: NoiseThresholds = DEFAULT_NOISE_THRESHOLDS): Disturbance[] {
  const reasons: Disturbance[] = [];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  // Over the whole repetition, and over its timed runs alone: the first as each threshold has always
  // been read, the second so that a disturbance of the timed runs is not diluted by the rest.
  const worse = (key: 'stealFraction' | 'otherCores') => (reading.timedRuns && reading.timedRuns[key] > reading[key]
    ? { v: reading.timedRuns[key], during: ' during the timed runs' } : { v: reading[key], during: '' });
  const steal = worse('stealFraction');
  if (steal.v > thresholds.maxStealFraction) {
    reasons.push({ kind: 'steal', message: `the hypervisor took ${pct(steal.v)} of the CPU time${steal.during} (limit ${pct(thresholds.maxStealFraction)})` });
  }
  const other = worse('otherCores');
  if (other.v > thresholds.maxOtherCores) {
    reasons.push({ kind: 'other-processes', message: `other processes used ${other.v.toFixed(2)} cores${other.during} (limit ${thresholds.maxOtherCores})` });
  }
  for (const gpu of reading.gpus ?? []) {
    const bad = (gpu.throttleReasons ?? []).filter((r) => thresholds.gpuThrottleReasons.includes(r));
    if (bad.length) reasons.push({ kind: 'gpu-throttle', message: `GPU ${gpu.index} throttled: ${bad.join(', ')}` });
  }
  if (thresholds.maxTemperatureC !== null) {
    const limit = thresholds.maxTemperatureC;
    const hot = [
      ...(reading.temperaturesC ?? []).map((z) => ({ name: z.type, c: z.end })),
      ...(reading.gpus ?? []).flatMap((g) => (g.temperatureC === null ? [] : [{ name: `GPU ${g.index}`, c: g.temperatureC }])),
      ...(reading.jetson?.maxTemperatureC != null ? [{ name: 'Jetson', c: reading.jetson.maxTemperatureC }] : []),
    ].filter((t) => t.c > limit);
    if (hot.length) reasons.push({ kind: 'temperature', message: `above ${limit} °C: ${hot.map((t) => `${t.name} ${t.c} °C`).join(', ')}` });
  }
  return reasons;
}

/** Readings the device needs before a probe of its cores is judged: a quartile of fewer says little. */
export const CORE_PROBE_MIN_READINGS = 4;

/**
 * The device's usual reading of a probe of its cores so far (the round trip, or the two-thread
 * loop's ratio): the lower quartile of its repetitions' readings (the one being judged included),
 * so that a host that spends most of its time in the slow state is judged against that state, and
 * nothing is discarded for it; null below CORE_PROBE_MIN_READINGS.
 */
export function coreProbeReference(readings: readonly number[]): number | null {
  const ok = readings.filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => a - b);
  return ok.length < CORE_PROBE_MIN_READINGS ? null : quantileSorted(ok, 0.25);
}

/** A repetition's readings of its cores, and the device's references for them (coreProbeReference). */
export interface CoreReadings {
  linkNs: number | null;
  shareRatio: number | null;
}

/**
 * What of a repetition's readings of its cores is judged: the round trip always, the two-thread
 * ratio only for a cell that runs on more than one thread. A one-thread cell leaves the other vCPU
 * idle, so sharing its core costs it little: 1.013× and 1.002× in the one-core seconds against the
 * usual ones (SqueezeNet 1.1 and ResNet-50 b1, `npm run bench:core-link`, docs/BENCHMARKS.md).
 * `threads` undefined (a runtime that does not say) is judged as more than one.
 */
export function judgedCoreReadings(linkNs: number | null, shareRatio: number | null, threads: number | null | undefined): CoreReadings {
  return { linkNs, shareRatio: threads === 1 ? null : shareRatio };
}

/**
 * Whether a repetition ran while its cores worked together worse than usual, on either probe (the
 * slower of the readings before and after it), against the device's references:
 * - its round trip (core-link-probe.ts) above maxCoreLinkFactor × the reference: the hypervisor
 *   moved the vCPUs apart;
 * - its two-thread loop ratio (core-share-probe.ts) above maxCoreShareFactor × the reference: it
 *   put them on one physical core.
 * One-thread cells are judged too: on the VM where this was found they moved with the round trip
 * as well, less (`npm run bench:core-link`, docs/BENCHMARKS.md).
 */
export function coreDisturbances(
  reading: CoreReadings, reference: CoreReadings, thresholds: Pick<NoiseThresholds, 'maxCoreLinkFactor' | 'maxCoreShareFactor'>,
): Disturbance[] {
  const out: Disturbance[] = [];
  const link = thresholds.maxCoreLinkFactor;
  if (link !== null && reading.linkNs !== null && reference.linkNs !== null && reading.linkNs > link * reference.linkNs) {
    out.push({ kind: 'core-link', message: `a round trip between two cores took ${reading.linkNs.toFixed(0)} ns, above ${link}× the device's usual ${reference.linkNs.toFixed(0)} ns (the hypervisor moved the vCPUs)` });
  }
  const share = thresholds.maxCoreShareFactor;
  if (share !== null && reading.shareRatio !== null && reference.shareRatio !== null && reading.shareRatio > share * reference.shareRatio) {
    out.push({ kind: 'core-share', message: `two threads ran a loop ${reading.shareRatio.toFixed(2)}× as long as one, above ${share}× the device's usual ${reference.shareRatio.toFixed(2)} (the hypervisor put the vCPUs on one core)` });
  }
  return out;
}
