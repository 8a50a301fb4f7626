/** What a model instance's thread is given and says back (instance-pool.ts ⇄ instance-worker.ts). */
import type { ExecutionProvider } from '../runtime/runtime.js';

export interface InstanceSetup {
  /** The model file; null for the null system under test (bench:serving), which returns at once. */
  modelPath: string | null;
  runtime: string;
  provider: ExecutionProvider;
  threads: number;
  /**
   * Whether the instance's intra-op threads spin between ops (onnxruntime's default, and the batch
   * sweep's). A setting of its own because under serving load the spinning threads of one instance
   * take the cores the load generator and the other instances need.
   */
  spinning: boolean;
  /** The preprocessed samples, back to back, shared by every instance (float32 values or float16 bits). */
  samples: SharedArrayBuffer;
  dtype: 'float32' | 'float16';
  /** One sample's dims without the batch (e.g. [3, 224, 224]). */
  sampleDims: number[];
  /** A graph whose batch is fixed runs every batch padded to it. */
  fixedBatch: number | null;
}

export type InstanceRequest = { id: number; samples: number[] };

/**
 * The process's monotonic clock in ms (process.hrtime), which every thread reads alike:
 * performance.now() is per thread, from each thread's own origin.
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * monotonicMs() − performance.now() on the calling thread: both run on one clock, so the offset is
 * constant, but the first reads of either are slow (the very first pair was off by 1 ms here), so
 * it is taken from the tightest of a few bracketed readings.
 */
export function monotonicOffsetMs(): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 20; i++) {
    const before = performance.now();
    const at = monotonicMs();
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      offset = at - (before + after) / 2;
    }
  }
  return offset;
}

export type InstanceReply =
  | { ready: true; inputDtype: string }
  /** doneMs: when the batch finished, on monotonicMs, taken on the instance's thread. */
  | { id: number; ok: true; doneMs: number }
  | { id: number; ok: false; error: string }
  | { fatal: string };
