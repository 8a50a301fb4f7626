import type { ResolvedModel } from '../study/catalog.js';
import { openModel, type ModelSession, type SessionOptions } from '../runtime/onnx-session.js';
import { OnnxModelError } from '../onnx/onnx-proto.js';
import { rebatchModel } from '../onnx/rebatch.js';

export interface BatchSession {
  m: ModelSession;
  /** The batch every run uses (a short last batch is padded up to it when the graph fixes it). */
  batchSize: number;
  rebatched: boolean;
  /** Why a fixed-batch model stayed at its own batch, when it did. */
  note?: string;
}

/**
 * Opens the model for evaluation at `requested` images per run. A graph with another fixed batch
 * (the WinML SqueezeNet is fixed at 1) runs through its re-batched copy: batch 32 is several
 * times faster than 32 runs of batch 1. A graph the rewrite cannot handle stays at its own batch.
 */
export async function openForBatch(model: ResolvedModel, requested: number, session: SessionOptions, rebatchCacheDir?: string): Promise<BatchSession> {
  const m = await openModel(model.path, session);
  if (m.fixedBatch === null || m.fixedBatch === requested || !rebatchCacheDir) {
    return { m, batchSize: m.fixedBatch ?? requested, rebatched: false };
  }
  const fixed = m.fixedBatch;
  let copy: string;
  try {
    copy = await rebatchModel(model.path, rebatchCacheDir);
  } catch (err) {
    // RebatchError and other model-structure errors: evaluate at the fixed batch instead.
    if (!(err instanceof OnnxModelError)) throw err;
    return { m, batchSize: fixed, rebatched: false, note: err.message };
  }
  await m.session.release();
  return { m: await openModel(copy, session), batchSize: requested, rebatched: true };
}
