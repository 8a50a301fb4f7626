/**
 * One job in a fresh Node process, over the IPC channel: the request goes in, progress beats and
 * then the result or the error come back. Latency repetitions and serving runs use it so that no
 * earlier job's sessions, threads or heap are in the process that measures, and so that a worker
 * killed mid-job takes only that job with it.
 */
import { fork } from 'node:child_process';

/** A beat (with what the job says of its progress, if anything), the result, or the error: its message, name, and whether retrying cannot fix it. */
export type ChildJobMessage<R, P = undefined> =
  | { progress: true; detail?: P }
  | { result: R }
  | { error: string; name?: string; nonRetryable?: boolean };

/** The child's error as the parent throws it: an input error (`nonRetryable`) stays one across the process boundary. */
function childError(m: { error: string; name?: string; nonRetryable?: boolean }): Error {
  const err = new Error(m.error);
  if (m.name) err.name = m.name;
  if (m.nonRetryable) Object.assign(err, { nonRetryable: true });
  return err;
}

/**
 * Forks `entry` (a .mjs that registers tsx and loads the job's body, which calls serveJob), sends
 * it `req`, and resolves with its result. `onProgress` fires on every beat, with the beat's detail;
 * `signal` kills it. `what` names the job in the error of a process that ended without a result.
 */
export function runChildJob<Req extends object, R, P = undefined>(
  entry: URL, req: Req, what: string, onProgress?: (detail?: P) => void, signal?: AbortSignal,
): Promise<R> {
  return new Promise((resolve, reject) => {
    const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderr = '';
    let settled: { ok: R } | { err: Error } | undefined;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-4000); });
    const abort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', abort, { once: true });
    child.on('message', (m: ChildJobMessage<R, P>) => {
      if ('progress' in m) onProgress?.(m.detail);
      else if ('result' in m) settled = { ok: m.result };
      else settled = { err: childError(m) };
    });
    child.on('error', (err) => { settled ??= { err }; });
    child.on('exit', (code, sig) => {
      signal?.removeEventListener('abort', abort);
      if (settled && 'ok' in settled) return resolve(settled.ok);
      if (settled) return reject(settled.err);
      if (signal?.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      const last = stderr.trim().split('\n').slice(-3).join(' | ');
      reject(new Error(`${what} ended without a result (${sig ? `signal ${sig}` : `exit code ${code}`})${last ? `: ${last}` : ''}`));
    });
    child.send(req as Parameters<typeof child.send>[0]);
  });
}

/**
 * The child's side: takes one request, runs `job` (which may call `progress` to beat), sends the
 * result or the error, and leaves. When the parent goes (a worker killed mid-job) the channel
 * closes and the child leaves with it.
 */
export function serveChildJob<Req, R, P = undefined>(job: (req: Req, progress: (detail?: P) => void) => Promise<R>): void {
  const send = (m: ChildJobMessage<R, P>) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  const progress = (detail?: P) => { process.send!((detail === undefined ? { progress: true } : { progress: true, detail }) satisfies ChildJobMessage<R, P>); };
  process.on('disconnect', () => process.exit(1));
  process.once('message', (req: Req) => {
    void (async () => {
      try {
        await send({ result: await job(req, progress) });
      } catch (err) {
        const e = err as Error & { nonRetryable?: unknown };
        await send({ error: e?.message ?? String(err), ...(e?.name ? { name: e.name } : {}), ...(e?.nonRetryable === true ? { nonRetryable: true } : {}) });
      }
      process.disconnect();
    })();
  });
}
