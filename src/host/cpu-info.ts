import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The SIMD flags that change onnxruntime's kernels (int8 results depend on VNNI, SPEC.md §2). */
const SIMD_FLAGS = /^(sse4_2|avx|avx2|fma|f16c|avx512\w*|avx_vnni|amx\w*|asimd\w*|sve\w*|neon)$/;

export interface CpuIdentity {
  model: string;
  vendor: string | null;
  /**
   * x86 CPUID family, model number and stepping: together they name the microarchitecture (a
   * model name such as "AMD EPYC" in a VM does not). Null on ARM, whose /proc/cpuinfo gives
   * implementer and part instead.
   */
  family: number | null;
  modelNumber: number | null;
  stepping: number | null;
  simdFlags: string[];
}

/** The fields of one /proc/cpuinfo block, by name (the first block describes the first CPU). */
function firstValue(text: string, names: string[]): string | undefined {
  for (const name of names) {
    const m = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text);
    if (m) return m[1]!.trim();
  }
  return undefined;
}

function integer(value: string | undefined): number | null {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
}

/** What /proc/cpuinfo says of the CPU: x86 (`model name`, `flags`) and ARM (`Model`/`Hardware`, `Features`) layouts. */
export function parseCpuInfo(text: string): CpuIdentity {
  const flagLine = firstValue(text, ['flags', 'Features']) ?? '';
  return {
    model: firstValue(text, ['model name', 'Model', 'Hardware']) || 'unknown',
    vendor: firstValue(text, ['vendor_id']) ?? null,
    family: integer(firstValue(text, ['cpu family'])),
    modelNumber: integer(firstValue(text, ['model'])),
    stepping: integer(firstValue(text, ['stepping'])),
    simdFlags: [...new Set(flagLine.split(/\s+/).filter((f) => SIMD_FLAGS.test(f)))].sort(),
  };
}

/** A kernel CPU list such as `0-3,8,10-11` → [0,1,2,3,8,10,11]. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',').filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`not a CPU list: "${text.trim()}"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let c = from; c <= to; c++) cpus.push(c);
  }
  return cpus;
}

export interface CpuTopology {
  /** Online logical CPUs. */
  logicalCpus: number;
  /** Distinct cores: hyperthreads (SMT siblings) of one core count once. */
  physicalCores: number;
  /** Logical CPUs per core: 2 with SMT on, 1 without. */
  threadsPerCore: number;
  packages: number;
}

/**
 * The core and SMT layout from sysfs (`/sys/devices/system/cpu/cpuN/topology`): SMT siblings share
 * a core's execution units, so two threads on them time differently from two on separate cores.
 * Null where sysfs has no topology (some containers).
 */
export async function readCpuTopology(sysCpuRoot = '/sys/devices/system/cpu'): Promise<CpuTopology | null> {
  let online: number[];
  try {
    online = parseCpuList(await readFile(path.join(sysCpuRoot, 'online'), 'utf8'));
  } catch {
    const names = await readdir(sysCpuRoot).catch(() => [] as string[]);
    online = names.filter((n) => /^cpu\d+$/.test(n)).map((n) => Number(n.slice(3)));
  }
  const cores = new Set<string>();
  const packages = new Set<string>();
  let threadsPerCore = 0;
  for (const cpu of online) {
    const dir = path.join(sysCpuRoot, `cpu${cpu}`, 'topology');
    try {
      const pkg = (await readFile(path.join(dir, 'physical_package_id'), 'utf8')).trim();
      const core = (await readFile(path.join(dir, 'core_id'), 'utf8')).trim();
      const siblings = parseCpuList(await readFile(path.join(dir, 'thread_siblings_list'), 'utf8'));
      packages.add(pkg);
      cores.add(`${pkg}:${core}`);
      threadsPerCore = Math.max(threadsPerCore, siblings.length);
    } catch {
      return null;
    }
  }
  if (online.length === 0) return null;
  return { logicalCpus: online.length, physicalCores: cores.size, threadsPerCore, packages: packages.size };
}

/**
 * The same layout from /proc/cpuinfo where sysfs has none: x86 blocks give `physical id`,
 * `core id`, `siblings` (threads per package) and `cpu cores` (cores per package). Null on
 * layouts without them (ARM).
 */
export function topologyFromCpuInfo(text: string): CpuTopology | null {
  const blocks = text.split(/\n\s*\n/).filter((b) => /^processor\s*:/m.test(b));
  const cores = new Set<string>();
  const packages = new Set<string>();
  for (const b of blocks) {
    const pkg = firstValue(b, ['physical id']);
    const core = firstValue(b, ['core id']);
    if (pkg === undefined || core === undefined) return null;
    packages.add(pkg);
    cores.add(`${pkg}:${core}`);
  }
  const siblings = integer(firstValue(text, ['siblings']));
  const coresPerPackage = integer(firstValue(text, ['cpu cores']));
  if (blocks.length === 0 || !siblings || !coresPerPackage) return null;
  return { logicalCpus: blocks.length, physicalCores: cores.size, threadsPerCore: siblings / coresPerPackage, packages: packages.size };
}
