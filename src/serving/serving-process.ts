/**
 * Runs one serving run in a fresh Node process, as a latency repetition is (src/latency/cell-process.ts):
 * no earlier run's sessions, threads or heap in it, and a worker killed mid-run takes only that run
 * with it. `onProgress` fires every second while it runs; `signal` kills it.
 */
import { fork } from 'node:child_process';
import type { ServingRunRequest, ServingRunResult } from './serving-run.js';

/** What crosses the IPC channel: latencies of queries that never completed travel as null. */
export type ServingRunReply = Omit<ServingRunResult, 'latencyMs'> & { latencyMs: (number | null)[] };

export type ServingChildMessage = { progress: true } | { result: ServingRunReply } | { error: string };

export function runServingInProcess(req: ServingRunRequest, onProgress?: () => void, signal?: AbortSignal): Promise<ServingRunReply> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./serving-child.mjs', import.meta.url), [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderr = '';
    let settled: { ok: ServingRunReply } | { err: Error } | undefined;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-4000); });
    const abort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', abort, { once: true });
    child.on('message', (m: ServingChildMessage) => {
      if ('progress' in m) onProgress?.();
      else if ('result' in m) settled = { ok: m.result };
      else settled = { err: new Error(m.error) };
    });
    child.on('error', (err) => { settled ??= { err }; });
    child.on('exit', (code, sig) => {
      signal?.removeEventListener('abort', abort);
      if (settled && 'ok' in settled) return resolve(settled.ok);
      if (settled) return reject(settled.err);
      if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      const last = stderr.trim().split('\n').slice(-3).join(' | ');
      reject(new Error(`the serving run's process ended without a result (${sig ? `signal ${sig}` : `exit code ${code}`})${last ? `: ${last}` : ''}`));
    });
    child.send(req);
  });
}
