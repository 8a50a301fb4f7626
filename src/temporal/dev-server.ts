import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { PROJECT_ROOT } from '../config/settings.js';

export interface DevServer {
  address: string;
  uiPort: number;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  port?: number;
  uiPort?: number;
  dbFile: string;
  /** Where the server's own log goes (it is chatty); default beside the db file. */
  logFile?: string;
  log?: (line: string) => void;
}

/** Finds or builds the temporal CLI via scripts/install-temporal.sh, letting its progress through. */
export async function temporalCliPath(): Promise<string> {
  const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
    const child = spawn('bash', [path.join(PROJECT_ROOT, 'scripts/install-temporal.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve({ stdout: out }) : reject(new Error('could not find or install the temporal CLI (see above)'))));
  });
  return stdout.trim().split('\n').pop()!;
}

export async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Waits until the frontend answers a real gRPC call (not just an open port). */
export async function waitHealthy(address: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`temporal dev server exited with code ${child.exitCode} before it was healthy`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.getSystemInfo({});
        return;
      } finally {
        await conn.close();
      }
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`temporal dev server at ${address} not healthy after ${timeoutMs / 1000}s: ${(last as Error)?.message ?? last}`);
}

/**
 * Starts `temporal server start-dev` persisted to a SQLite file, with the UI on port+1000 (8233
 * for the default 7233), waits until it is healthy, and returns a handle to stop it.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const cli = await temporalCliPath();
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort ?? port + 1000;
  await mkdir(path.dirname(opts.dbFile), { recursive: true });
  const logFile = opts.logFile ?? `${opts.dbFile}.log`;
  const log = await open(logFile, 'a');
  const child = spawn(cli, [
    'server', 'start-dev', '--db-filename', opts.dbFile, '--port', String(port), '--ui-port', String(uiPort),
    '--ip', '127.0.0.1', '--log-level', 'warn',
  ], { stdio: ['ignore', log.fd, log.fd], detached: false });
  const address = `127.0.0.1:${port}`;
  try {
    await waitHealthy(address, 60_000, child);
  } catch (err) {
    child.kill('SIGKILL');
    await log.close();
    throw new Error(`${(err as Error).message} (server log: ${logFile})`);
  }
  opts.log?.(`temporal dev server on ${address}, UI http://127.0.0.1:${uiPort}, db ${opts.dbFile}`);
  let stopped = false;
  return {
    address,
    uiPort,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await log.close();
    },
  };
}
