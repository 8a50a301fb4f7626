/**
 * The model's instances under serving load (Triton's instance_group count): each a worker thread
 * with a session of its own, the device's threads split among them. `run` sends one batch to one
 * instance and resolves, once it has run, with the time the instance finished it.
 */
import { Worker } from 'node:worker_threads';
import { monotonicOffsetMs, type InstanceReply, type InstanceRequest, type InstanceSetup } from './instance-messages.js';

export interface BatchRunner {
  readonly instances: number;
  /**
   * Runs the given samples as one batch on instance i; resolves with when it finished
   * (performance.now() ms of the caller's thread), or nothing, for the caller to read its clock.
   */
  run(instance: number, samples: readonly number[]): Promise<number | void>;
  close(): Promise<void>;
}

export async function openInstancePool(setup: InstanceSetup, instances: number): Promise<BatchRunner> {
  const workers: Worker[] = [];
  const waiting = new Map<number, { resolve: (doneMs: number) => void; reject: (e: Error) => void }>();
  // The instances stamp completions on the process's monotonic clock; this thread's performance.now()
  // runs on the same clock from its own origin, so one offset converts them.
  const offset = monotonicOffsetMs();
  const toLocalMs = (doneMs: number) => doneMs - offset;
  let nextId = 0;
  let fatal: Error | null = null;
  let closing = false;
  const started = Array.from({ length: instances }, () => new Promise<void>((resolve, reject) => {
    const w = new Worker(new URL('./instance-worker.mjs', import.meta.url), { workerData: setup });
    workers.push(w);
    w.on('message', (m: InstanceReply) => {
      if ('ready' in m) return resolve();
      if ('fatal' in m) {
        fatal = new Error(m.fatal);
        reject(fatal);
        for (const p of waiting.values()) p.reject(fatal);
        return;
      }
      const p = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.ok) p?.resolve(toLocalMs(m.doneMs));
      else p?.reject(new Error(m.error));
    });
    const die = (err: Error) => {
      fatal ??= err;
      reject(fatal);
      for (const p of waiting.values()) p.reject(fatal);
      waiting.clear();
    };
    w.on('error', die);
    // A thread that ends without an error event (killed, or out of memory) must not leave its batches pending for ever.
    w.on('exit', (code) => { if (!closing) die(new Error(`model instance thread ended (exit code ${code})`)); });
  }));
  const close = async () => {
    closing = true;
    await Promise.all(workers.map((w) => w.terminate()));
  };
  try {
    await Promise.all(started);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    instances,
    run(instance, samples) {
      if (fatal) return Promise.reject(fatal);
      const id = nextId++;
      return new Promise<number>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        workers[instance]!.postMessage({ id, samples: [...samples] } satisfies InstanceRequest);
      });
    },
    close,
  };
}
