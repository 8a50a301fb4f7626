import type { ResolvedModel } from '../study/catalog.js';
import { openClassifier, type Classifier, type ClassifierOptions } from '../runtime/classifier.js';
import type { InProcessRuntime } from '../runtime/runtime.js';
import { fileForBatch } from '../onnx/rebatch.js';

export interface BatchSession {
  m: Classifier;
  /** The batch every run uses (a short last batch is padded up to it when the graph fixes it). */
  batchSize: number;
  rebatched: boolean;
  /** Why a fixed-batch model stayed at its own batch, when it did. */
  note?: string;
}

/**
 * Opens the model for evaluation at `requested` images per run, by rebatch.ts's fileForBatch
 * policy: through its re-batched copy when the graph fixes another batch, else at the graph's own
 * batch when the rewrite cannot handle it (the evaluation goes on, `note` says why).
 */
export async function openForBatch(runtime: InProcessRuntime, model: ResolvedModel, requested: number, options: ClassifierOptions, rebatchCacheDir?: string): Promise<BatchSession> {
  const m = await openClassifier(runtime, model.path, options);
  const file = await fileForBatch(model.path, m.fixedBatch, requested, rebatchCacheDir).catch(async (err: unknown) => {
    await m.handle.dispose();
    throw err;
  });
  const { batchSize, rebatched, note } = file;
  if (!rebatched) return { m, batchSize, rebatched, note };
  await m.handle.dispose();
  return { m: await openClassifier(runtime, file.path, options), batchSize, rebatched };
}
