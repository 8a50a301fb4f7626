/**
 * The committed papers study's write-ups are generated, never hand-edited: findings.md is what
 * `dnnbench findings` prints from the committed Parquet, every number in its README is one that
 * findings.md prints, and every number of the calibration's README one that its `dnnbench
 * compare` printed (test/integration/report-compare.test.ts reruns that).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runSummary } from '../../src/findings/run-summary.js';
import { findingsMarkdown } from '../../src/findings/write-findings.js';
import { loadStudy } from '../../src/report/load-study.js';
import { ROOT } from '../helpers/cli.js';
import { numbersIn } from '../helpers/writeup-numbers.js';

export const PAPERS_STUDY = 'docs/studies/epyc-zen3-2vcpu-avx2';
const dir = path.join(ROOT, PAPERS_STUDY);

test('findings.md of the committed papers study is what `dnnbench findings` writes from its Parquet', async () => {
  const committed = await readFile(path.join(dir, 'findings.md'), 'utf8');
  const s = await loadStudy(dir);
  assert.equal(findingsMarkdown(s, PAPERS_STUDY, await runSummary(s)), committed);
});

for (const [writeup, source] of [['README.md', 'findings.md'], ['calibration/README.md', 'calibration/compare.txt']] as const) {
  test(`every number in ${writeup} is one that ${source} prints`, async () => {
    const numbers = numbersIn(await readFile(path.join(dir, writeup), 'utf8'));
    const printed = await readFile(path.join(dir, source), 'utf8');
    assert.ok(numbers.length > 3, `${writeup} quotes no figures`);
    assert.deepEqual(numbers.filter((n) => !printed.includes(n)), [], `numbers in ${PAPERS_STUDY}/${writeup} that ${source} does not print`);
  });
}

test('the papers rerun section of docs/BENCHMARKS.md quotes only findings.md and the calibration compare', async () => {
  const doc = await readFile(path.join(ROOT, 'docs/BENCHMARKS.md'), 'utf8');
  const section = doc.split('<!-- papers-rerun:start -->')[1]?.split('<!-- papers-rerun:end -->')[0];
  assert.ok(section, 'docs/BENCHMARKS.md has no papers-rerun section');
  const printed = (await Promise.all(['findings.md', 'calibration/compare.txt'].map((f) => readFile(path.join(dir, f), 'utf8')))).join('\n');
  const numbers = numbersIn(section);
  assert.ok(numbers.length > 5);
  assert.deepEqual(numbers.filter((n) => !printed.includes(n)), []);
});
