import type { RuntimeFacts } from '../runtime/runtime.js';
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
}

/**
 * What this host is, recorded with every result so timings are only compared like for like: the
 * worker's host probe and the onnxruntime this process loaded (its version and usable backends).
 */
export function describeDevice(device: string, host: HostFacts, onnxruntime: RuntimeFacts): DeviceDescription {
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
  };
}
