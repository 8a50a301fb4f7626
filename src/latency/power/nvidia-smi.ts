import { StreamingSampler, type PowerReading } from './power-sampler.js';

export interface NvidiaSmiSample {
  index: number;
  powerW: number | null;
  memoryUsedBytes: number | null;
}

/** Which power reading the sampler asks for: the instant one where the GPU has it (probe-host.ts). */
export type NvidiaSmiPowerField = 'power.draw.instant' | 'power.draw';

/** The query this sampler runs; its CSV columns are, in order, what parseNvidiaSmiLine reads. */
export function nvidiaSmiArgs(field: NvidiaSmiPowerField): string[] {
  return [`--query-gpu=index,${field},memory.used`, '--format=csv,noheader,nounits'];
}

/**
 * One line of `nvidia-smi --query-gpu=index,<power field>,memory.used --format=csv,noheader,nounits`,
 * e.g. `0, 71.48, 1024` (W, MiB). GPUs that cannot report a value print `[N/A]` (or
 * `[Not Supported]`): null.
 */
export function parseNvidiaSmiLine(line: string): NvidiaSmiSample | null {
  const parts = line.split(',').map((s) => s.trim());
  if (parts.length < 3 || !/^\d+$/.test(parts[0]!)) return null;
  const num = (s: string) => (/^-?\d+(\.\d+)?$/.test(s) ? Number(s) : null);
  const mib = num(parts[2]!);
  return { index: Number(parts[0]), powerW: num(parts[1]!), memoryUsedBytes: mib === null ? null : mib * 1024 * 1024 };
}

/**
 * Board power of one NVIDIA GPU from nvidia-smi's own sampling loop (`-lms`), which avoids
 * starting a process per reading. Also records the peak GPU memory in use (the study's GPU memory
 * footprint, SPEC.md §2). It reads `power.draw.instant` where the GPU has it: on Ampere and newer
 * `power.draw` is the last second's average, which over a few seconds of timed runs would carry
 * the second before them (on an H200, a 1-s "idle" reading after a cell read 197 W against the
 * 133 W of the cell itself: docs/GPU.md).
 */
export class NvidiaSmiSampler extends StreamingSampler {
  readonly source: string;
  private power: number[] = [];
  private memPeak: number | null = null;

  constructor(private readonly gpuIndex = 0, field: NvidiaSmiPowerField = 'power.draw', intervalMs = 100, command = 'nvidia-smi') {
    super(command, [...nvidiaSmiArgs(field), '-lms', String(intervalMs)]);
    this.source = `nvidia-smi ${field} gpu ${gpuIndex}`;
  }

  accept(line: string): void {
    const s = parseNvidiaSmiLine(line);
    if (!s || s.index !== this.gpuIndex) return;
    if (s.powerW !== null) this.power.push(s.powerW);
    if (s.memoryUsedBytes !== null) this.memPeak = Math.max(this.memPeak ?? 0, s.memoryUsedBytes);
  }

  protected reset(): void {
    this.power = [];
    this.memPeak = null;
  }

  protected result(): PowerReading {
    if (this.power.length === 0) throw new Error(`${this.source}: no power readings (does this GPU report power.draw?)`);
    const avgW = this.power.reduce((a, w) => a + w, 0) / this.power.length;
    return { avgW, source: this.source, samples: this.power.length, ...(this.memPeak !== null ? { gpuMemoryPeakBytes: this.memPeak } : {}) };
  }
}
