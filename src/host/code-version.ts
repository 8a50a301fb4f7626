import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/settings.js';

/** Which dnnbench produced a result: package version, and the git commit when run from a checkout. */
export interface CodeVersion {
  version: string;
  /** HEAD's commit; null outside a git checkout (an npm install) or without git. */
  gitCommit: string | null;
  /** Whether tracked files differed from that commit: the commit alone does not say what ran. */
  gitDirty: boolean | null;
}

let cached: CodeVersion | undefined;

/** Read once per process: a study's workers do not change code under themselves. */
export function codeVersion(): CodeVersion {
  if (cached) return cached;
  const root = PROJECT_ROOT;
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  let gitCommit: string | null = null;
  let gitDirty: boolean | null = null;
  if (existsSync(path.join(root, '.git'))) {
    try {
      const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      gitCommit = git('rev-parse', 'HEAD').trim();
      gitDirty = git('status', '--porcelain', '--untracked-files=no').trim() !== '';
    } catch {
      // git missing or the folder not a repository after all: the version alone is what we know.
    }
  }
  cached = { version, gitCommit, gitDirty };
  return cached;
}
