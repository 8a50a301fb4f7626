import { accessSync, constants, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { InputError } from '../errors.js';

/** The project root (where package.json lives), whatever the current directory. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Task queue for workflows and host-independent activities (planning, profiling, writing tables). */
export const CONTROL_QUEUE = 'dnnbench-control';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/**
 * dnnbench's own settings, from the environment. Temporal's variables (TEMPORAL_ADDRESS, TLS,
 * profiles) are read by @temporalio/envconfig in src/temporal/connection-config.ts, not here.
 */
export interface Settings {
  /** DNNBENCH_KIT: the kit of real models and images; default ../shared/kit beside the project. */
  kitDir: string;
  /** DNNBENCH_DATA: root of everything a study writes or caches; default data/ in the project. */
  dataDir: string;
  /** DNNBENCH_CACHE: tools built once per user (the temporal CLI, by scripts/install-temporal.sh). */
  cacheDir: string;
  /** TEMPORAL_CLI: a temporal CLI to use instead of finding or building one (scripts/install-temporal.sh). */
  temporalCli: string | null;
  /** DNNBENCH_DEBUG: print stacks of unexpected errors. */
  debug: boolean;
}

type PathKind = 'folder' | 'executable';

/** What is at `p`, as a sentence fragment when it is not what the variable needs; null when it is. */
function pathProblem(p: string, kind: PathKind, mayBeMissing: boolean): string | null {
  let isDir: boolean;
  try {
    isDir = statSync(p).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && mayBeMissing) return null;
    return code === 'ENOENT' ? 'which does not exist' : `which cannot be read (${code ?? String(err)})`;
  }
  if (kind === 'folder') return isDir ? null : 'which is a file, not a folder';
  if (isDir) return 'which is a folder, not an executable';
  try {
    accessSync(p, constants.X_OK);
    return null;
  } catch {
    return 'which is not executable';
  }
}

/** An optional path variable: relative values resolve against the current directory, as before. */
function pathVariable(name: string, kind: PathKind, mayBeMissing: boolean) {
  return z.string().optional().transform((value, ctx) => {
    if (value === undefined) return undefined;
    if (value.trim() === '') {
      ctx.addIssue({ code: 'custom', message: `${name} is set but empty: unset it or give a ${kind === 'folder' ? 'folder' : 'file'}` });
      return z.NEVER;
    }
    const resolved = path.resolve(value);
    const problem = pathProblem(resolved, kind, mayBeMissing);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: `${name} is ${value}, ${problem}` });
      return z.NEVER;
    }
    return resolved;
  });
}

const FLAG_VALUES: Record<string, boolean> = { '': false, 0: false, false: false, no: false, off: false, 1: true, true: true, yes: true, on: true };

const ENVIRONMENT = z.object({
  // An explicitly named kit must be there; the default one may be absent on hosts that never read it.
  DNNBENCH_KIT: pathVariable('DNNBENCH_KIT', 'folder', false),
  // Created on first use.
  DNNBENCH_DATA: pathVariable('DNNBENCH_DATA', 'folder', true),
  DNNBENCH_CACHE: pathVariable('DNNBENCH_CACHE', 'folder', true),
  // install-temporal.sh would silently pass over a TEMPORAL_CLI that is not executable.
  TEMPORAL_CLI: pathVariable('TEMPORAL_CLI', 'executable', false),
  DNNBENCH_DEBUG: z.string().optional().transform((value, ctx) => {
    if (value === undefined) return false;
    const flag = FLAG_VALUES[value.trim().toLowerCase()];
    if (flag === undefined) {
      ctx.addIssue({ code: 'custom', message: `DNNBENCH_DEBUG is "${value}", not one of 1/0, true/false, yes/no, on/off` });
      return z.NEVER;
    }
    return flag;
  }),
});

/**
 * Reads and checks dnnbench's settings; a bad value is an InputError naming the variable and what
 * is wrong with it (all of them at once). Cheap enough to call per use, so a test that changes
 * process.env sees its change.
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = ENVIRONMENT.safeParse(env);
  if (!parsed.success) throw new InputError(`bad setting: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const s = parsed.data;
  return {
    kitDir: s.DNNBENCH_KIT ?? path.join(PROJECT_ROOT, '../shared/kit'),
    dataDir: s.DNNBENCH_DATA ?? path.join(PROJECT_ROOT, 'data'),
    cacheDir: s.DNNBENCH_CACHE ?? path.join(os.homedir(), '.cache', 'dnnbench'),
    temporalCli: s.TEMPORAL_CLI ?? null,
    debug: s.DNNBENCH_DEBUG,
  };
}

/** Where the bundled kit of real models and images lives: DNNBENCH_KIT, else ../shared/kit beside the project. */
export function kitDir(): string {
  return readSettings().kitDir;
}

/** Root of everything a study writes or caches: DNNBENCH_DATA, else data/ in the project. */
export function dataDir(): string {
  return readSettings().dataDir;
}
