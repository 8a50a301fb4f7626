import { latencyStats, type LatencyStats } from './latency-stats.js';
import { checkInputGeometry, makeInput, openClassifier, type ClassifierOptions } from '../runtime/classifier.js';
import type { InProcessRuntime } from '../runtime/runtime.js';
import { timeRuns, warmUp } from './timed-loop.js';
import type { ResolvedModel } from '../study/catalog.js';
import type { RunTiming } from '../study/study-spec.js';
import type { PowerAvailability, PowerReading, PowerSampler } from './power/power-sampler.js';

export interface LatencyRequest {
  model: ResolvedModel;
  /** The file to time: the model itself, or its re-batched copy. */
  modelPath: string;
  batchSize: number;
  timing: RunTiming;
  /** What runs the model, in this process, with the device's options. */
  runtime: InProcessRuntime;
  session: ClassifierOptions;
  /** Real preprocessed crops (uint8 RGB HWC); tiled when fewer than the batch. */
  crops: { pixels: Uint8Array; n: number; crop: number };
  power: PowerAvailability;
  onProgress?: () => void;
  /** Called as the timed runs start (after the warm-up): the host's noise is judged over them too. */
  onTimedRuns?: () => void;
}

export interface LatencyMeasurement extends LatencyStats {
  samples_ms: number[];
  /** Warm-up runs before the timed ones, and whether the latency had settled ('steady') or the cap stopped it; null for a self-timed runtime. */
  warmup_runs: number | null;
  warmup_reason: string | null;
  per_image_ms: number;
  images_per_s: number;
  threads: number;
  /** Resident memory (RSS, process.memoryUsage.rss() = /proc/self/statm) before the session, after creating it (static: weights + arena), and the highest value sampled after each timed run (dynamic peak). */
  rss_before_bytes: number;
  rss_static_bytes: number;
  rss_peak_bytes: number;
  power_avg_w: number | null;
  power_idle_w: number | null;
  energy_per_image_j: number | null;
  power_note: string;
  /** Peak GPU memory in use during the timed runs (nvidia-smi memory.used); null without a GPU. */
  gpu_memory_peak_bytes: number | null;
}

/**
 * One (model, batch) timing per SPEC.md §2 (timed-loop.ts) of a model the runtime runs in this
 * process: one session, one input tensor built outside the timed region, each sample the wall
 * time of one run.
 */
export async function measureLatency(req: LatencyRequest): Promise<LatencyMeasurement> {
  const { batchSize: b, timing } = req;
  let idleW: number | null = null;
  if (req.power.sampler) {
    // Idle baseline before the session exists: one second of nothing.
    await req.power.sampler.start();
    await new Promise((r) => setTimeout(r, 1000));
    idleW = (await stopSafely(req.power.sampler)).reading?.avgW ?? null;
  }
  const rssBefore = process.memoryUsage.rss();
  const m = await openClassifier(req.runtime, req.modelPath, req.session);
  try {
    const rssAfter = process.memoryUsage.rss();
    const { crop } = req.crops;
    checkInputGeometry(m, req.modelPath, req.model.preprocessing, crop);
    const input = makeInput(m, tileCrops(req.crops, b), b, crop, req.model.preprocessing).tensor;
    const feeds = { [m.inputName]: input };
    const run = () => m.handle.run(feeds);

    let lastBeat = performance.now();
    const beat = () => {
      const now = performance.now();
      if (now - lastBeat > 2000) { lastBeat = now; req.onProgress?.(); }
    };
    const warm = await warmUp(run, timing, beat);

    let rssPeak = process.memoryUsage.rss();
    await req.power.sampler?.start();
    req.onTimedRuns?.();
    const { samples, windowSeconds } = await timeRuns(run, timing, () => {
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
      beat();
    });
    const { reading: power, error: powerError } = req.power.sampler ? await stopSafely(req.power.sampler) : { reading: undefined, error: req.power.reason };
    const stats = latencyStats(samples);
    return {
      ...stats,
      samples_ms: samples,
      warmup_runs: warm.runs,
      warmup_reason: warm.reason,
      per_image_ms: stats.p50_ms / b,
      images_per_s: (b * 1000) / stats.p50_ms,
      threads: m.threads,
      rss_before_bytes: rssBefore,
      rss_static_bytes: rssAfter,
      rss_peak_bytes: rssPeak,
      power_avg_w: power?.avgW ?? null,
      power_idle_w: idleW,
      // Energy of the whole timed window (runs and the gaps between them) per image it produced.
      energy_per_image_j: power ? (power.avgW * windowSeconds) / (samples.length * b) : null,
      power_note: power ? `${power.source}, ${power.samples} readings` : powerError ?? '',
      gpu_memory_peak_bytes: power?.gpuMemoryPeakBytes ?? null,
    };
  } finally {
    await m.handle.dispose();
  }
}

/** Ends a power window; a sampler that fails costs the power figures, never the timing. */
async function stopSafely(sampler: PowerSampler): Promise<{ reading?: PowerReading; error?: string }> {
  try {
    return { reading: await sampler.stop() };
  } catch (err) {
    return { error: `power sampling failed: ${(err as Error).message}` };
  }
}

/** The first b crops, repeating them when the dataset sample is smaller than the batch. */
function tileCrops(crops: { pixels: Uint8Array; n: number; crop: number }, b: number): Uint8Array {
  const per = crops.crop * crops.crop * 3;
  if (crops.n >= b) return crops.pixels.subarray(0, b * per);
  const out = new Uint8Array(b * per);
  for (let i = 0; i < b; i++) out.set(crops.pixels.subarray((i % crops.n) * per, (i % crops.n + 1) * per), i * per);
  return out;
}
