/**
 * docs/BENCHMARKS.md quotes `npm run bench:repetitions`'s summaries of the committed tables and
 * `npm run bench:serving`'s, `npm run bench:idle`'s, `npm run bench:offline`'s and `npm run bench:core-link`'s of their committed results files: each is regenerated here and must
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

/**
 * Each script whose summaries the document quotes: the option naming the committed data, the
 * quotes' pattern, how many quotes the document must have at least, and how many lines each summary
 * must print at least (a summary that prints next to nothing would pass vacuously).
 */
const QUOTED = [
  { bench: 'repetitions', source: 'its committed tables', option: '--dir', data: /docs\/benchmarks\/repetitions[\w-]*/, quotes: 2, lines: 11 },
  { bench: 'repetitions', source: 'every committed pair, pooled', option: '--pool', data: /docs\/benchmarks/, quotes: 1, lines: 12 },
  { bench: 'repetitions', source: 'every committed second run, by two interval rules', option: '--rules', data: /docs/, quotes: 1, lines: 19 },
  { bench: 'serving', source: 'its committed results file', option: '--file', data: /docs\/benchmarks\/serving-[\w-]+\.json/, quotes: 3, lines: 0 },
  { bench: 'idle', source: 'its committed results file', option: '--file', data: /docs\/benchmarks\/idle-gap-[\w-]+\.json/, quotes: 1, lines: 9 },
  { bench: 'offline', source: 'its committed results file', option: '--file', data: /docs\/benchmarks\/offline-[\w-]+\.json/, quotes: 1, lines: 20 },
  { bench: 'core-link', source: 'its committed results file', option: '--file', data: /docs\/benchmarks\/core-link-[\w-]+\.json/, quotes: 1, lines: 6 },
];

for (const q of QUOTED) {
  test(`every bench:${q.bench} summary docs/BENCHMARKS.md quotes is what the script prints from ${q.source}`, async () => {
    const doc = await readFile(path.join(ROOT, 'docs/BENCHMARKS.md'), 'utf8');
    const quoted = new RegExp(`\`npm run bench:${q.bench} -- ${q.option} (${q.data.source})\` prints:`, 'g');
    const data = [...doc.matchAll(quoted)].map((m) => m[1]!);
    assert.ok(data.length >= q.quotes, `quoted summaries: ${data.join(', ')}`);
    for (const d of data) {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, `scripts/bench-${q.bench}.ts`), q.option, d], { cwd: ROOT });
      const lines = stdout.trim().split('\n').filter((l) => l.trim() !== '');
      assert.ok(lines.length >= q.lines, stdout);
      for (const line of lines) assert.ok(doc.includes(line), `${d}: not in docs/BENCHMARKS.md: ${line}`);
    }
  });
}
