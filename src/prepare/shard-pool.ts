import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runShardJob, type ShardJob, type ShardResult } from './shard-job.js';

type Reply = { type: 'ready' } | { type: 'done'; result: ShardResult } | { type: 'error'; index: number; message: string };

export interface PoolOptions {
  /** Processes building shards: this one plus processes−1 children (1 or less: this process alone). */
  processes: number;
  onDone: (result: ShardResult) => void | Promise<void>;
  signal?: AbortSignal;
}

const WORKER = fileURLToPath(new URL('./shard-worker.ts', import.meta.url));

/** Children run the TypeScript worker through tsx, like the CLI, wherever the command was started. */
function tsxLoader(): string {
  return import.meta.resolve('tsx');
}

/**
 * Builds shards in this process and processes−1 child processes, each working on a whole shard at
 * a time: separate processes scale where libvips in worker threads does not (MEASURED.md), a
 * process writes its own shard so no pixels cross a pipe, and this process starts at once while
 * the children load (about half a second each). Memory is bounded by one shard per process. A
 * child that dies mid-shard (a crash in a decoder) is replaced and its shard tried once more; a
 * second death fails the run, naming the shard. Results arrive through `onDone` as shards finish,
 * in any order.
 */
export async function runShardJobs(jobs: ShardJob[], opts: PoolOptions): Promise<void> {
  if (jobs.length === 0) return;
  const queue = [...jobs];
  const attempts = new Map<number, number>();
  const children = new Set<ChildProcess>();
  let failure: Error | undefined;
  const killAll = () => { for (const c of children) c.kill('SIGKILL'); };
  const onAbort = () => { failure ??= new Error('dataset preparation cancelled'); killAll(); };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  /** This process working through the queue: it is warm already (no start-up) and is one of the cores. */
  const localLane = async (): Promise<void> => {
    try {
      while (!failure && queue.length) {
        const job = queue.shift()!;
        await opts.onDone(await runShardJob(job));
      }
    } catch (err) {
      failure ??= err as Error;
    }
  };

  /** One child working through the queue; resolves when the queue is empty or the run failed. */
  const lane = async (): Promise<void> => {
    while (!failure && queue.length) {
      const child = fork(WORKER, [], { execArgv: ['--import', tsxLoader()], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      children.add(child);
      try {
        try {
          await waitFor(child, (m) => m.type === 'ready');
        } catch (err) {
          failure ??= new Error(`a dataset worker process could not start (${WORKER}): ${(err as Error).message}`);
          return;
        }
        while (!failure && queue.length) {
          const job = queue.shift()!;
          attempts.set(job.index, (attempts.get(job.index) ?? 0) + 1);
          child.send(job);
          let reply: Reply;
          try {
            reply = await waitFor(child, (m) => m.type !== 'ready');
          } catch (err) {
            // The child died with this shard: once more in a fresh child, then give up.
            if (attempts.get(job.index)! < 2) queue.unshift(job);
            else failure ??= new Error(`building shard ${job.index} (${job.images[0]?.file} … ${job.images.at(-1)?.file}) crashed twice: ${(err as Error).message}`);
            break;
          }
          if (reply.type === 'error') failure ??= new Error(`building shard ${job.index} failed: ${reply.message}`);
          else if (reply.type === 'done') await opts.onDone(reply.result);
        }
      } catch (err) {
        failure ??= err as Error;
      } finally {
        // Disconnected, the child exits; wait for it, so no process outlives the run.
        if (child.connected) child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
        children.delete(child);
      }
    }
  };
  const n = Math.max(1, Math.min(opts.processes, jobs.length));
  try {
    await Promise.all([localLane(), ...Array.from({ length: n - 1 }, lane)]);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    killAll();
  }
  if (failure) throw failure;
}

/** The child's next message that matches, or a rejection when it exits first. */
function waitFor(child: ChildProcess, match: (m: Reply) => boolean): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Reply) => { if (match(m)) { cleanup(); resolve(m); } };
    const onExit = (code: number | null, signal: string | null) => { cleanup(); reject(new Error(`worker process exited (${signal ?? `code ${code}`})`)); };
    const onError = (err: Error) => { cleanup(); reject(err); };
    const cleanup = () => { child.off('message', onMessage); child.off('exit', onExit); child.off('error', onError); };
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.on('error', onError);
  });
}
