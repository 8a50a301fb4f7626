import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * nvidia-smi's CSV queries (`nvidia-smi --help-query-gpu` documents the fields). With
 * `--format=csv,noheader,nounits` each GPU is one line of comma-separated values in the order
 * asked, without units (MiB, MHz, °C); a value the GPU cannot report prints as `[N/A]` or
 * `[Not Supported]`. This module and the power samplers are the only places that run nvidia-smi.
 */
const CSV = '--format=csv,noheader,nounits';

export interface GpuFacts {
  index: number;
  name: string;
  uuid: string | null;
  driver: string;
  memoryBytes: number | null;
}

export const GPU_INVENTORY_FIELDS = ['index', 'uuid', 'name', 'driver_version', 'memory.total'] as const;

function numberOrNull(s: string | undefined): number | null {
  return s !== undefined && /^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s.trim()) : null;
}

function known(s: string | undefined): string | null {
  const v = s?.trim();
  return v && !/^\[.*\]$/.test(v) ? v : null;
}

/** One inventory line, e.g. `0, GPU-5f3c…, NVIDIA H100 80GB HBM3, 550.54.15, 81559`; null for anything else. */
export function parseGpuInventoryLine(line: string): GpuFacts | null {
  const parts = line.split(',').map((s) => s.trim());
  if (parts.length < GPU_INVENTORY_FIELDS.length || !/^\d+$/.test(parts[0]!)) return null;
  // A name with a comma in it would split: name is everything between the uuid and the last two fields.
  const name = parts.slice(2, -2).join(', ');
  const mib = numberOrNull(parts.at(-1));
  return { index: Number(parts[0]), uuid: known(parts[1]), name, driver: parts.at(-2)!, memoryBytes: mib === null ? null : mib * 1024 * 1024 };
}

export type GpuInventory = { gpus: GpuFacts[]; note: string | null };

/** Every NVIDIA GPU nvidia-smi sees, with why there are none (no nvidia-smi, no driver) when so. */
export async function queryGpuInventory(command = 'nvidia-smi'): Promise<GpuInventory> {
  try {
    const { stdout } = await promisify(execFile)(command, [`--query-gpu=${GPU_INVENTORY_FIELDS.join(',')}`, CSV], { timeout: 10_000 });
    const gpus = stdout.split('\n').map(parseGpuInventoryLine).filter((g): g is GpuFacts => g !== null);
    return { gpus, note: gpus.length ? null : 'nvidia-smi listed no GPU' };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string };
    if (e.code === 'ENOENT') return { gpus: [], note: 'nvidia-smi is not installed' };
    // nvidia-smi prints its reason (e.g. it cannot talk to the driver) on stdout.
    const said = (e.stdout ?? '').trim().split('\n')[0] || e.message;
    return { gpus: [], note: `nvidia-smi failed: ${said}` };
  }
}

/**
 * Whether every GPU reports `power.draw.instant` (drivers before it was added refuse the field;
 * GPUs that cannot measure it print [N/A]).
 */
export async function reportsInstantPower(command = 'nvidia-smi'): Promise<boolean> {
  try {
    const { stdout } = await promisify(execFile)(command, ['--query-gpu=power.draw.instant', CSV], { timeout: 10_000 });
    const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    return lines.length > 0 && lines.every((l) => numberOrNull(l) !== null);
  } catch {
    return false;
  }
}

/**
 * nvml.h's clock throttle (in newer drivers "clock event") reasons, as the bits of
 * `clocks_throttle_reasons.active`.
 */
export const THROTTLE_REASON_BITS: Record<string, number> = {
  gpu_idle: 0x1,
  applications_clocks_setting: 0x2,
  sw_power_cap: 0x4,
  hw_slowdown: 0x8,
  sync_boost: 0x10,
  sw_thermal_slowdown: 0x20,
  hw_thermal_slowdown: 0x40,
  hw_power_brake_slowdown: 0x80,
  display_clock_setting: 0x100,
};

export interface GpuClocks {
  index: number;
  smMhz: number | null;
  memoryMhz: number | null;
  temperatureC: number | null;
  /** Names of the active throttle reasons (THROTTLE_REASON_BITS); null when the GPU does not report them. */
  throttleReasons: string[] | null;
}

export const GPU_CLOCK_FIELDS = ['index', 'clocks.sm', 'clocks.mem', 'temperature.gpu', 'clocks_throttle_reasons.active'] as const;

/** The names of the bits set in a throttle-reason mask such as `0x0000000000000004`. */
export function throttleReasonNames(mask: bigint): string[] {
  const names = Object.entries(THROTTLE_REASON_BITS).filter(([, bit]) => (mask & BigInt(bit)) !== 0n).map(([name]) => name);
  const unknown = mask & ~BigInt(Object.values(THROTTLE_REASON_BITS).reduce((a, b) => a | b, 0));
  return unknown ? [...names, `unknown_0x${unknown.toString(16)}`] : names;
}

/** One clocks line, e.g. `0, 1980, 2619, 41, 0x0000000000000000`; null for anything else. */
export function parseGpuClocksLine(line: string): GpuClocks | null {
  const parts = line.split(',').map((s) => s.trim());
  if (parts.length !== GPU_CLOCK_FIELDS.length || !/^\d+$/.test(parts[0]!)) return null;
  const mask = /^0x[0-9a-f]+$/i.test(parts[4]!) ? BigInt(parts[4]!) : null;
  return {
    index: Number(parts[0]),
    smMhz: numberOrNull(parts[1]),
    memoryMhz: numberOrNull(parts[2]),
    temperatureC: numberOrNull(parts[3]),
    throttleReasons: mask === null ? null : throttleReasonNames(mask),
  };
}

/** Clocks, temperature and throttle reasons of every GPU, now, in one nvidia-smi call. */
export async function queryGpuClocks(command = 'nvidia-smi'): Promise<GpuClocks[]> {
  const { stdout } = await promisify(execFile)(command, [`--query-gpu=${GPU_CLOCK_FIELDS.join(',')}`, CSV], { timeout: 10_000 });
  return stdout.split('\n').map(parseGpuClocksLine).filter((g): g is GpuClocks => g !== null);
}
