import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const KIT = path.resolve(process.env.DNNBENCH_KIT ?? path.join(ROOT, '../shared/kit'));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a program to its end, collecting its output; killed after timeoutMs. */
export function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 600_000): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Runs the real CLI (bin/dnnbench.js) as a user would, with extra environment. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 600_000): Promise<CliRun> {
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete fullEnv[k];
  return runProcess(process.execPath, [path.join(ROOT, 'bin/dnnbench.js'), ...args], fullEnv, timeoutMs);
}
