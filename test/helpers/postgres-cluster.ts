import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, runProcess, type CliRun } from './cli.js';

const SCRIPT = path.join(ROOT, 'scripts/temporal-cluster.sh');

export type ScriptRun = CliRun;

/** scripts/temporal-cluster.sh as a user runs it. */
export function clusterScript(args: string[], timeoutMs = 600_000): Promise<ScriptRun> {
  return runProcess('bash', [SCRIPT, ...args], process.env, timeoutMs);
}

/** A Temporal cluster on PostgreSQL in `dir`, driven through the script. */
export class PostgresCluster {
  address = '';
  constructor(readonly dir: string, private readonly startArgs: string[] = []) {}

  private async run(args: string[]): Promise<ScriptRun> {
    const r = await clusterScript([...args, '--dir', this.dir]);
    if (r.code !== 0) throw new Error(`temporal-cluster.sh ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
    return r;
  }

  /** Starts whatever does not run; returns the frontend's host:port. */
  async start(): Promise<string> {
    const r = await this.run(['start', ...this.startArgs]);
    this.address = r.stdout.trim().split('\n').pop()!;
    return this.address;
  }

  async stop(what: 'server' | 'postgres' | 'all' = 'all'): Promise<void> {
    await this.run(['stop', what]);
  }

  /** The pids of the server's processes (one, or one per service), from the script's pid files. */
  async serverPids(): Promise<number[]> {
    const run = path.join(this.dir, 'run');
    const files = (await readdir(run)).filter((f) => f.endsWith('.pid'));
    return Promise.all(files.map(async (f) => Number((await readFile(path.join(run, f), 'utf8')).trim())));
  }

  /** kill -9 every server process, as a crash would (PostgreSQL keeps running). */
  async killServer(): Promise<number[]> {
    const pids = await this.serverPids();
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    for (const pid of pids) {
      while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
    }
    return pids;
  }
}

/** Running, and not a zombie waiting to be reaped (the script's processes are not our children). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
