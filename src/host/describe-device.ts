import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import ort from 'onnxruntime-node';

export interface DeviceDescription {
  device: string;
  hostname: string;
  os: string;
  arch: string;
  cpu_model: string;
  cpu_cores: number;
  /** The SIMD flags that change onnxruntime's kernels (int8 results depend on VNNI, SPEC.md §2). */
  cpu_simd_flags: string[];
  memory_bytes: number;
  gpu_name: string | null;
  gpu_driver: string | null;
  gpu_memory_bytes: number | null;
  jetson_model: string | null;
  node_version: string;
  onnxruntime_version: string;
  onnxruntime_backends: string[];
}

const SIMD_FLAGS = /^(sse4_2|avx|avx2|fma|f16c|avx512\w*|avx_vnni|amx\w*|asimd\w*|sve\w*|neon)$/;

export function parseCpuInfo(text: string): { model: string; flags: string[] } {
  const model = /^(?:model name|Model|Hardware)\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? 'unknown';
  const flagLine = /^(?:flags|Features)\s*:\s*(.+)$/m.exec(text)?.[1] ?? '';
  const flags = [...new Set(flagLine.split(/\s+/).filter((f) => SIMD_FLAGS.test(f)))].sort();
  return { model, flags };
}

/**
 * nvidia-smi's CSV query, one line per GPU: "name, driver_version, memory.total [MiB]" with
 * `--format=csv,noheader,nounits`. Null when there is no NVIDIA GPU.
 */
export function parseNvidiaSmiGpuLine(line: string): { name: string; driver: string; memoryBytes: number } | null {
  const parts = line.split(',').map((s) => s.trim());
  if (parts.length < 3 || !parts[0]) return null;
  return { name: parts[0], driver: parts[1]!, memoryBytes: Number(parts[2]) * 1024 * 1024 };
}

async function queryGpu(): Promise<{ name: string; driver: string; memoryBytes: number } | null> {
  try {
    const { stdout } = await promisify(execFile)('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits'], { timeout: 10_000 });
    return parseNvidiaSmiGpuLine(stdout.split('\n')[0] ?? '');
  } catch {
    return null;
  }
}

async function jetsonModel(): Promise<string | null> {
  try {
    const model = (await readFile('/proc/device-tree/model', 'utf8')).replace(/\0/g, '').trim();
    return /jetson|tegra/i.test(model) ? model : null;
  } catch {
    return null;
  }
}

/** What this host is, recorded with every result so timings are only compared like for like. */
export async function describeDevice(device: string): Promise<DeviceDescription> {
  const cpuinfo = parseCpuInfo(await readFile('/proc/cpuinfo', 'utf8').catch(() => ''));
  const gpu = await queryGpu();
  return {
    device,
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpu_model: cpuinfo.model !== 'unknown' ? cpuinfo.model : os.cpus()[0]?.model ?? 'unknown',
    cpu_cores: os.availableParallelism(),
    cpu_simd_flags: cpuinfo.flags,
    memory_bytes: os.totalmem(),
    gpu_name: gpu?.name ?? null,
    gpu_driver: gpu?.driver ?? null,
    gpu_memory_bytes: gpu?.memoryBytes ?? null,
    jetson_model: await jetsonModel(),
    node_version: process.version,
    onnxruntime_version: ort.env.versions.node ?? 'unknown',
    // Only backends whose binaries are present: cuda/tensorrt are listed unbundled until installed (docs/GPU.md).
    onnxruntime_backends: ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name),
  };
}
