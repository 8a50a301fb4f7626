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

export type InstanceReply =
  | { ready: true; inputDtype: string }
  | { id: number; ok: true }
  | { id: number; ok: false; error: string }
  | { fatal: string };
