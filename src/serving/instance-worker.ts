/**
 * One instance of the model under serving load, in a thread of its own so that the load
 * generator's thread keeps time while it runs (onnxruntime-node runs a session synchronously on the
 * calling thread). It copies the requested samples from the shared buffer into the batch's input
 * and runs it; the batcher (dynamic-batcher.ts) decides what goes in a batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openClassifier, type Classifier } from '../runtime/classifier.js';
import { inProcessRuntime } from '../runtime/registry.js';
import type { Tensor } from '../runtime/runtime.js';
import { monotonicMs, type InstanceReply, type InstanceRequest, type InstanceSetup } from './instance-messages.js';

const setup = workerData as InstanceSetup;
const port = parentPort!;
const post = (m: InstanceReply) => port.postMessage(m);

const perSample = setup.sampleDims.reduce((a, d) => a * d, 1);
const values = setup.dtype === 'float16' ? new Uint16Array(setup.samples) : new Float32Array(setup.samples);
/** One input tensor per batch size, reused: its data is refilled in place before each run. */
const inputs = new Map<number, Tensor>();

function inputFor(rows: number): Tensor {
  let t = inputs.get(rows);
  if (!t) {
    const data = setup.dtype === 'float16' ? new Uint16Array(rows * perSample) : new Float32Array(rows * perSample);
    t = { type: setup.dtype, data, dims: [rows, ...setup.sampleDims] };
    inputs.set(rows, t);
  }
  return t;
}

function fill(t: Tensor, samples: readonly number[]): void {
  const data = t.data as Float32Array | Uint16Array;
  samples.forEach((s, i) => data.set(values.subarray(s * perSample, (s + 1) * perSample), i * perSample));
  // Padding rows of a fixed-batch graph stay as they were: their outputs are never read.
}

async function main(): Promise<void> {
  let model: Classifier | null = null;
  if (setup.modelPath) {
    model = await openClassifier(inProcessRuntime(setup.runtime), setup.modelPath, { provider: setup.provider, threads: setup.threads, spinning: setup.spinning });
    if (model.inputDtype !== setup.dtype) throw new Error(`model ${setup.modelPath} takes ${model.inputDtype} input, the samples are ${setup.dtype}`);
  }
  // Batches run one after another in arrival order: a batch sent while one runs (the batcher keeps
  // the next one waiting here, so no gap opens between them) must not refill the running one's input.
  const waiting: InstanceRequest[] = [];
  let running = false;
  const next = async (): Promise<void> => {
    running = true;
    for (let req = waiting.shift(); req; req = waiting.shift()) {
      if (!model) {
        post({ id: req.id, ok: true, doneMs: monotonicMs() });
        continue;
      }
      const rows = setup.fixedBatch ?? req.samples.length;
      if (req.samples.length > rows) {
        post({ id: req.id, ok: false, error: `a batch of ${req.samples.length} samples exceeds the graph's fixed batch ${rows}` });
        continue;
      }
      const input = inputFor(rows);
      fill(input, req.samples);
      try {
        await model.handle.run({ [model.inputName]: input });
        // Stamped here, as LoadGen stamps QuerySamplesComplete on the SUT's thread: the generator's
        // thread may be busy when the reply arrives, and that wait is not the system's latency.
        post({ id: req.id, ok: true, doneMs: monotonicMs() });
      } catch (err) {
        post({ id: req.id, ok: false, error: (err as Error).message ?? String(err) });
      }
    }
    running = false;
  };
  port.on('message', (req: InstanceRequest) => {
    waiting.push(req);
    if (!running) void next();
  });
  post({ ready: true, inputDtype: model?.inputDtype ?? setup.dtype });
}

main().catch((err: unknown) => post({ fatal: (err as Error).message ?? String(err) }));
