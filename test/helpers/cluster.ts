import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, freePort, type DevServer } from '../../src/temporal/dev-server.js';
import { ROOT } from './cli.js';

/** A real Temporal dev server on a free port with its own db file, restartable on the same port. */
export async function devServer(dbFile: string, port?: number): Promise<DevServer> {
  // A free port can be taken between our probe and the server's bind (CI once saw "bind: address
  // already in use"), so a server on ports we picked gets two more tries on fresh ones.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServer({ port: port ?? await freePort(), uiPort: await freePort(), dbFile });
    } catch (err) {
      if (port !== undefined || attempt === 3) throw err;
    }
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the worker printed that it polls. */
  ready: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `dnnbench worker` as a separate process, as on a real board. */
export function startWorkerProcess(address: string, args: string[], env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/dnnbench.js'), 'worker', ...args], {
    cwd: ROOT, env: { ...process.env, TEMPORAL_ADDRESS: address, ...env },
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('worker on')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  return {
    child, ready, output: () => out,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}

export async function connectClient(address: string): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection }), close: () => connection.close() };
}

/** Polls until fn returns a truthy value (or throws after timeoutMs). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 120_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}
