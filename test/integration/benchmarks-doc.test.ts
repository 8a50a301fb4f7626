/**
 * docs/BENCHMARKS.md quotes `npm run bench:repetitions`'s summary of the committed tables: the
 * summary is regenerated from them here and must appear in the document line for line, so a
 * figure edited by hand, or tables changed without the document, fail.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);

test('the repetitions section of docs/BENCHMARKS.md is what bench:repetitions prints from the committed tables', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench-repetitions.ts')], { cwd: ROOT });
  const doc = await readFile(path.join(ROOT, 'docs/BENCHMARKS.md'), 'utf8');
  const lines = stdout.trim().split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length > 10, stdout);
  for (const line of lines) assert.ok(doc.includes(line), `not in docs/BENCHMARKS.md: ${line}`);
});
