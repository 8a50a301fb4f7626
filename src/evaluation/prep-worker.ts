/**
 * Worker thread that reads shards and builds model inputs while the main thread runs onnxruntime
 * (whose run blocks the thread it is called on). Protocol, all messages small except batches:
 *   main → worker: the BatchPlan first; then { buffer } each time a batch's run is over, which
 *                  gives the buffer back for reuse and lets the worker prepare one more batch;
 *   worker → main: { batch } (its data buffer transferred), then { end }, or { failure }.
 */
import { parentPort } from 'node:worker_threads';
import { preparedBatches, type BatchPlan, type ShardFailure } from './batch-source.js';
import { InputError } from '../errors.js';

/** Batches prepared ahead of the one running: enough that a slow batch never starves the model. */
export const DEPTH = 3;

const port = parentPort!;
const spare: ArrayBuffer[] = [];
let credits = DEPTH;
let wake: (() => void) | undefined;

const plan = await new Promise<BatchPlan>((resolve) => port.once('message', resolve));
port.on('message', (m: { buffer: ArrayBuffer }) => {
  spare.push(m.buffer);
  credits++;
  wake?.();
});

try {
  const take = (bytes: number) => {
    const i = spare.findIndex((b) => b.byteLength === bytes);
    return i < 0 ? undefined : spare.splice(i, 1)[0];
  };
  for await (const batch of preparedBatches(plan, take)) {
    while (credits === 0) await new Promise<void>((r) => { wake = r; });
    credits--;
    port.postMessage({ batch }, [batch.data.buffer as ArrayBuffer]);
  }
  port.postMessage({ end: true });
} catch (err) {
  // Only an InputError (a bad shard) is final; anything else may pass on another attempt.
  const failure: ShardFailure = { message: (err as Error).message, missing: !(err instanceof InputError) };
  port.postMessage({ failure });
}
port.close();
