import type { RuntimeFacts } from '../runtime/runtime.js';
import type { CodeVersion } from './code-version.js';
import type { HostFacts } from './probe-host.js';

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
  cpu_vendor: string | null;
  cpu_family: number | null;
  cpu_model_number: number | null;
  cpu_stepping: number | null;
  cpu_physical_cores: number | null;
  cpu_threads_per_core: number | null;
  cpu_packages: number | null;
  /** The session settings the device's timings run with, as JSON (src/runtime/classifier.ts). */
  runtime_settings: string;
  dnnbench_version: string;
  git_commit: string | null;
  git_dirty: boolean | null;
}

/**
 * What this host is, recorded with every result so timings are only compared like for like: the
 * worker's host probe, the onnxruntime this process loaded (its version and usable backends), the
 * settings its sessions use, and the code that measures.
 */
export function describeDevice(
  device: string, host: HostFacts, onnxruntime: RuntimeFacts, runtimeSettings: Record<string, unknown>, code: CodeVersion,
): DeviceDescription {
  const gpu = host.gpus[0];
  return {
    device,
    hostname: host.hostname,
    os: host.os,
    arch: host.arch,
    cpu_model: host.cpu.model,
    cpu_cores: host.cpu.usableCpus,
    cpu_simd_flags: host.cpu.simdFlags,
    memory_bytes: host.memoryBytes,
    gpu_name: gpu?.name ?? null,
    gpu_driver: gpu?.driver ?? null,
    gpu_memory_bytes: gpu?.memoryBytes ?? null,
    jetson_model: host.jetsonModel,
    node_version: process.version,
    onnxruntime_version: onnxruntime.version,
    onnxruntime_backends: onnxruntime.backends,
    cpu_vendor: host.cpu.vendor,
    cpu_family: host.cpu.family,
    cpu_model_number: host.cpu.modelNumber,
    cpu_stepping: host.cpu.stepping,
    cpu_physical_cores: host.cpu.topology?.physicalCores ?? null,
    cpu_threads_per_core: host.cpu.topology?.threadsPerCore ?? null,
    cpu_packages: host.cpu.topology?.packages ?? null,
    runtime_settings: JSON.stringify(runtimeSettings),
    dnnbench_version: code.version,
    git_commit: code.gitCommit,
    git_dirty: code.gitDirty,
  };
}
