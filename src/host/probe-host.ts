import { execFile } from 'node:child_process';
import { access, constants, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseCpuInfo, readCpuTopology, topologyFromCpuInfo, type CpuIdentity, type CpuTopology } from './cpu-info.js';
import { queryGpuInventory, reportsInstantPower, type GpuFacts } from './gpu-query.js';

export type { GpuFacts } from './gpu-query.js';

/** Where the power samplers (src/latency/power) can read from on this host. */
export interface PowerSources {
  /** A readable RAPL package energy counter under /sys/class/powercap (root only since Linux 5.10). */
  rapl: boolean;
  /** Jetson INA3221 rail monitors in sysfs. */
  ina3221: boolean;
  /** nvidia-smi answered and listed at least one GPU. */
  nvidiaSmi: boolean;
  /**
   * The GPU reports `power.draw.instant`. On Ampere and newer, `power.draw` is the average over the
   * last second (nvidia-smi --help-query-gpu, recorded in test/fixtures/nvidia-smi-h200/): sampled
   * every 100 ms it lags the load by a second, so the sampler reads the instant value where there is one.
   */
  nvidiaSmiInstantPower: boolean;
  /** tegrastats is on the PATH. */
  tegrastats: boolean;
}

/**
 * What this machine has, probed once per worker set (src/workers/start-workers.ts) and handed to
 * the activities and to each latency cell's process: plain data, so it crosses the IPC channel.
 */
export interface HostFacts {
  hostname: string;
  os: string;
  arch: string;
  cpu: CpuIdentity & {
    /** CPUs this process may run on (its affinity), which is what a timing can use. */
    usableCpus: number;
    /** Cores and SMT; null where neither sysfs nor /proc/cpuinfo shows the layout. */
    topology: CpuTopology | null;
  };
  memoryBytes: number;
  gpus: GpuFacts[];
  /** Why `gpus` is empty (no nvidia-smi, no driver), else null. */
  gpuNote: string | null;
  /** /proc/device-tree/model when it names a Jetson or Tegra board. */
  jetsonModel: string | null;
  /** First line of /etc/nv_tegra_release (L4T's version), present on every Jetson image. */
  tegraRelease: string | null;
  /** `nvpmodel -q`'s power mode (e.g. MAXN, 15W) on a Jetson; it caps clocks and cores. */
  jetsonPowerMode: string | null;
  power: PowerSources;
}

export interface ProbeRoots {
  proc: string;
  sys: string;
  etc: string;
  /** The nvidia-smi to run (tests point it at a stand-in). */
  nvidiaSmi: string;
}

const DEFAULT_ROOTS: ProbeRoots = { proc: '/proc', sys: '/sys', etc: '/etc', nvidiaSmi: 'nvidia-smi' };

const text = (file: string) => readFile(file, 'utf8').catch(() => null);

/** `NV Power Mode: MAXN` (first line of `nvpmodel -q`, L4T docs) → `MAXN`. */
export function parseNvpmodelQuery(output: string): string | null {
  return /NV Power Mode:\s*(.+)/.exec(output)?.[1]?.trim() || null;
}

async function onPath(command: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    try {
      await access(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

async function raplReadable(powercap: string): Promise<boolean> {
  const zones = (await readdir(powercap).catch(() => [] as string[])).filter((n) => /^(intel|amd)-rapl:\d+$/.test(n));
  for (const zone of zones) if (await text(path.join(powercap, zone, 'energy_uj')) !== null) return true;
  return false;
}

async function jetsonPowerMode(): Promise<string | null> {
  try {
    const { stdout } = await promisify(execFile)('nvpmodel', ['-q'], { timeout: 10_000 });
    return parseNvpmodelQuery(stdout);
  } catch {
    return null;
  }
}

export async function probeHost(roots: Partial<ProbeRoots> = {}): Promise<HostFacts> {
  const r = { ...DEFAULT_ROOTS, ...roots };
  const cpuinfo = (await text(path.join(r.proc, 'cpuinfo'))) ?? '';
  const identity = parseCpuInfo(cpuinfo);
  const topology = (await readCpuTopology(path.join(r.sys, 'devices/system/cpu'))) ?? topologyFromCpuInfo(cpuinfo);
  const { gpus, note } = await queryGpuInventory(r.nvidiaSmi);
  const deviceTree = ((await text(path.join(r.proc, 'device-tree/model'))) ?? '').replace(/\0/g, '').trim();
  const jetsonModel = /jetson|tegra/i.test(deviceTree) ? deviceTree : null;
  const tegraRelease = (await text(path.join(r.etc, 'nv_tegra_release')))?.split('\n')[0]?.trim() || null;
  const isJetson = jetsonModel !== null || tegraRelease !== null;
  const i2c = path.join(r.sys, 'bus/i2c/drivers');
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpu: {
      ...identity,
      model: identity.model !== 'unknown' ? identity.model : os.cpus()[0]?.model ?? 'unknown',
      usableCpus: os.availableParallelism(),
      topology,
    },
    memoryBytes: os.totalmem(),
    gpus,
    gpuNote: note,
    jetsonModel,
    tegraRelease,
    jetsonPowerMode: isJetson ? await jetsonPowerMode() : null,
    power: {
      rapl: await raplReadable(path.join(r.sys, 'class/powercap')),
      ina3221: (await readdir(path.join(i2c, 'ina3221')).catch(() => null)) !== null || (await readdir(path.join(i2c, 'ina3221x')).catch(() => null)) !== null,
      nvidiaSmi: gpus.length > 0,
      nvidiaSmiInstantPower: gpus.length > 0 && (await reportsInstantPower(r.nvidiaSmi)),
      tegrastats: await onPath('tegrastats'),
    },
  };
}
