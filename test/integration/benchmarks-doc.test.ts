/**
 * docs/BENCHMARKS.md quotes `npm run bench:repetitions`'s summaries of the committed tables and
 * `npm run bench:serving`'s, `npm run bench:idle`'s and `npm run bench:offline`'s of their committed results files: each is regenerated here and must
 * appear in the document line for line, so a figure edited by hand, or data changed without the
 * document, fail.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);

test('every bench:repetitions summary docs/BENCHMARKS.md quotes is what the script prints from its committed tables', async () => {
  const doc = await readFile(path.join(ROOT, 'docs/BENCHMARKS.md'), 'utf8');
  const dirs = [...doc.matchAll(/`npm run bench:repetitions -- --dir (docs\/benchmarks\/repetitions[\w-]*)` prints:/g)].map((m) => m[1]!);
  assert.ok(dirs.length >= 2, `quoted summaries: ${dirs.join(', ')}`);
  for (const dir of dirs) {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench-repetitions.ts'), '--dir', dir], { cwd: ROOT });
    const lines = stdout.trim().split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length > 10, stdout);
    for (const line of lines) assert.ok(doc.includes(line), `${dir}: not in docs/BENCHMARKS.md: ${line}`);
  }
});

test('every bench:serving summary docs/BENCHMARKS.md quotes is what the script prints from its committed results file', async () => {
  const doc = await readFile(path.join(ROOT, 'docs/BENCHMARKS.md'), 'utf8');
  const files = [...doc.matchAll(/`npm run bench:serving -- --file (docs\/benchmarks\/serving-[\w-]+\.json)` prints:/g)].map((m) => m[1]!);
  assert.ok(files.length >= 3, `quoted summaries: ${files.join(', ')}`);
  for (const file of files) {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench-serving.ts'), '--file', file], { cwd: ROOT });
    for (const line of stdout.trim().split('\n').filter((l) => l.trim() !== '')) assert.ok(doc.includes(line), `${file}: not in docs/BENCHMARKS.md: ${line}`);
  }
});

test('every bench:idle summary docs/BENCHMARKS.md quotes is what the script prints from its committed results file', async () => {
  const doc = await readFile(path.join(ROOT, 'docs/BENCHMARKS.md'), 'utf8');
  const files = [...doc.matchAll(/`npm run bench:idle -- --file (docs\/benchmarks\/idle-gap-[\w-]+\.json)` prints:/g)].map((m) => m[1]!);
  assert.ok(files.length >= 1, `quoted summaries: ${files.join(', ')}`);
  for (const file of files) {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench-idle.ts'), '--file', file], { cwd: ROOT });
    const lines = stdout.trim().split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length >= 9, stdout);
    for (const line of lines) assert.ok(doc.includes(line), `${file}: not in docs/BENCHMARKS.md: ${line}`);
  }
});


test('every bench:offline summary docs/BENCHMARKS.md quotes is what the script prints from its committed results file', async () => {
  const doc = await readFile(path.join(ROOT, 'docs/BENCHMARKS.md'), 'utf8');
  const files = [...doc.matchAll(/`npm run bench:offline -- --file (docs\/benchmarks\/offline-[\w-]+\.json)` prints:/g)].map((m) => m[1]!);
  assert.ok(files.length >= 1, `quoted summaries: ${files.join(', ')}`);
  for (const file of files) {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench-offline.ts'), '--file', file], { cwd: ROOT });
    const lines = stdout.trim().split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length >= 20, stdout);
    for (const line of lines) assert.ok(doc.includes(line), `${file}: not in docs/BENCHMARKS.md: ${line}`);
  }
});
