/** The one write-then-rename helper (src/fs/atomic-file.ts) that cells, tables, shards and re-batched models use. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { replaceAtomically, writeFileAtomic } from '../../src/fs/atomic-file.js';

test('a failed write leaves the old file whole and no temporary file; a finished one replaces it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-atomic-'));
  try {
    const file = path.join(dir, 'deep', 'cell.json');
    await writeFileAtomic(file, 'old');
    await assert.rejects(replaceAtomically(file, async (tmp) => {
      await writeFile(tmp, 'half of the new');
      throw new Error('disk full');
    }), /disk full/);
    assert.equal(await readFile(file, 'utf8'), 'old');
    assert.deepEqual(await readdir(path.dirname(file)), ['cell.json']);

    const result = await replaceAtomically(file, async (tmp) => {
      await writeFile(tmp, 'new');
      assert.equal(await readFile(file, 'utf8'), 'old', 'readers see the old file until the rename');
      return 42;
    });
    assert.equal(result, 42);
    assert.equal(await readFile(file, 'utf8'), 'new');
    assert.deepEqual(await readdir(path.dirname(file)), ['cell.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
