/**
 * bench:repetitions --measure empties --dir before it measures for half an hour or more, so a bad
 * thread setting must be refused first, in one line, with the folder left as it was.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runProcess } from '../helpers/cli.js';

test('--measure refuses a bad --threads or --thread-variants before it empties --dir', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'reps-args-'));
  await writeFile(path.join(dir, 'keep.txt'), 'committed tables stand in here');
  for (const [flags, message] of [
    [['--threads', 'two'], /--threads must be a positive integer/],
    [['--thread-variants', '2'], /--thread-variants takes two or more different positive thread counts/],
    [['--thread-variants', '2,2'], /two or more different/],
    [['--thread-variants', '2,0'], /positive thread counts/],
    [['--thread-variants', '2,1', '--threads', '1'], /not with --threads/],
  ] as const) {
    const r = await runProcess(process.execPath, ['--import', 'tsx', 'scripts/bench-repetitions.ts', '--measure', '--dir', dir, ...flags]);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.deepEqual(await readdir(dir), ['keep.txt'], `${flags.join(' ')} emptied --dir`);
  }
});
