/**
 * One instance of the model under serving load, in a thread of its own so that the load
 * generator's thread keeps time while it runs (onnxruntime-node runs a session synchronously on the
 * calling thread). It runs each batch it is sent from its copy of the samples (batch-inputs.ts); the
 * batcher (dynamic-batcher.ts) decides what goes in a batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openClassifier, type Classifier } from '../runtime/classifier.js';
import { inProcessRuntime } from '../runtime/registry.js';
import { BatchInputs, ownCopy } from './batch-inputs.js';
import { monotonicMs, type InstanceReply, type InstanceRequest, type InstanceSetup } from './instance-messages.js';

const setup = workerData as InstanceSetup;
const port = parentPort!;
const post = (m: InstanceReply) => port.postMessage(m);

async function openModel(modelPath: string): Promise<{ model: Classifier; inputs: BatchInputs }> {
  const model = await openClassifier(inProcessRuntime(setup.runtime), modelPath, { provider: setup.provider, threads: setup.threads, spinning: setup.spinning });
  if (model.inputDtype !== setup.dtype) throw new Error(`model ${modelPath} takes ${model.inputDtype} input, the samples are ${setup.dtype}`);
  return { model, inputs: new BatchInputs(ownCopy(setup.samples, setup.dtype), setup.dtype, setup.sampleDims) };
}

async function main(): Promise<void> {
  // The model and its inputs; null for the null system under test, which reads no samples.
  const sut = setup.modelPath ? await openModel(setup.modelPath) : null;
  // Batches run one after another in arrival order: a batch sent while one runs (the batcher keeps
  // the next one waiting here, so no gap opens between them) must not refill the running one's input.
  const waiting: InstanceRequest[] = [];
  let running = false;
  const next = async (): Promise<void> => {
    running = true;
    for (let req = waiting.shift(); req; req = waiting.shift()) {
      if (!sut) {
        post({ id: req.id, ok: true, doneMs: monotonicMs() });
        continue;
      }
      const rows = setup.fixedBatch ?? req.samples.length;
      if (req.samples.length > rows) {
        post({ id: req.id, ok: false, error: `a batch of ${req.samples.length} samples exceeds the graph's fixed batch ${rows}` });
        continue;
      }
      try {
        await sut.model.handle.run({ [sut.model.inputName]: sut.inputs.inputFor(req.samples, rows) });
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
  post({ ready: true, inputDtype: sut?.model.inputDtype ?? setup.dtype });
}

main().catch((err: unknown) => post({ fatal: (err as Error).message ?? String(err) }));
