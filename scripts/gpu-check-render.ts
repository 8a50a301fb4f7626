/**
 * What scripts/gpu-check.ts writes (gpu-check.json) and its Markdown rendering, kept apart from the
 * check itself so that a test can render a recorded check without running one.
 */
import type { HostFacts } from '../src/host/probe-host.js';
import type { HostNoiseReading } from '../src/host/host-noise.js';
import type { runtimeFacts } from '../src/runtime/registry.js';
import type { ExecutionProvider } from '../src/runtime/runtime.js';
import type { RunTiming } from '../src/study/study-spec.js';

export interface GpuCheckCell {
  model: string;
  provider: ExecutionProvider;
  threads: number | null;
  batch: number;
  runs: number;
  warmup_runs: number | null;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  images_per_s: number;
  power_avg_w: number | null;
  power_idle_w: number | null;
  energy_per_image_j: number | null;
  power_note: string;
  gpu_memory_peak_bytes: number | null;
  rss_peak_bytes: number | null;
  /** The host-noise reading around the cell: GPU clocks and throttle reasons at its end. */
  noise: HostNoiseReading;
}

export interface GpuCheckAgreement {
  model: string;
  images: number;
  /** Images whose top-1 class is the same on the GPU as on the CPU. */
  sameTop1: number;
  maxAbsScoreDiff: number;
  /** The largest |score| on the CPU: what the difference is to be read against (not in the first recorded check). */
  maxAbsScore?: number;
}

export interface GpuCheck {
  startedAt: string;
  seconds: number;
  host: HostFacts;
  runtime: ReturnType<typeof runtimeFacts>;
  timing: RunTiming;
  crops: { shard: string; images: number; crop: number };
  cells: GpuCheckCell[];
  agreement: GpuCheckAgreement[];
  errors: string[];
}

const f = (x: number | null | undefined, digits: number) => (x === null || x === undefined ? '–' : x.toFixed(digits));

/** The check as Markdown: every figure is read from the JSON. */
export function renderGpuCheck(c: GpuCheck): string {
  const gpu = c.host.gpus[0];
  const lines = [
    `GPU check of ${c.startedAt} (${c.seconds.toFixed(0)} s): ${gpu ? `${gpu.name}, driver ${gpu.driver}, ${f((gpu.memoryBytes ?? 0) / 2 ** 30, 1)} GiB` : 'no GPU'}; `
      + `CPU ${c.host.cpu.model}, ${c.host.cpu.usableCpus} usable CPUs; onnxruntime ${c.runtime.onnxruntime.version}, backends ${c.runtime.onnxruntime.backends.join(', ')}.`,
    `Power: ${[...new Set(c.cells.map((x) => x.power_note.replace(/, \d+ readings$/, '') || 'none'))].join('; ')}.`,
    `Timing per cell: at least ${c.timing.minRuns} runs and ${c.timing.minSeconds} s after a warm-up of at least ${c.timing.warmupRuns} runs; `
      + `input: ${c.crops.images} real ${c.crops.crop}-pixel crops (${c.crops.shard}), tiled to the batch.`,
    '',
    '| model | provider | batch | runs | p50 ms | p90 ms | p99 ms | images/s | power W (idle) | J/image | GPU memory MiB | SM MHz at end | throttle reasons at end |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...c.cells.map((x) => {
      const clocks = x.noise.gpus?.[0];
      return `| ${x.model} | ${x.provider}${x.threads ? ` (${x.threads} threads)` : ''} | ${x.batch} | ${x.runs} | ${f(x.p50_ms, 3)} | ${f(x.p90_ms, 3)} | ${f(x.p99_ms, 3)} | ${f(x.images_per_s, 0)} | `
        + `${f(x.power_avg_w, 1)} (${f(x.power_idle_w, 1)}) | ${f(x.energy_per_image_j, 4)} | ${x.gpu_memory_peak_bytes === null ? '–' : f(x.gpu_memory_peak_bytes / 2 ** 20, 0)} | `
        + `${f(clocks?.smMhz, 0)} | ${clocks?.throttleReasons?.join(', ') || (clocks ? 'none' : '–')} |`;
    }),
    '',
    '| model | images | same top-1 on GPU and CPU | largest score difference | largest score |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...c.agreement.map((a) => `| ${a.model} | ${a.images} | ${a.sameTop1} | ${a.maxAbsScoreDiff.toExponential(2)} | ${a.maxAbsScore?.toExponential(2) ?? '–'} |`),
    '',
    ...(c.errors.length ? ['Errors:', ...c.errors.map((e) => `- ${e}`), ''] : []),
  ];
  return lines.join('\n');
}
