/**
 * The committed papers studies' write-ups are generated, never hand-edited: findings.md is what
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
import { ACROSS_DAYS, PAPERS_STUDIES } from '../helpers/papers-studies.js';

const findingsOf = (study: string) => readFile(path.join(ROOT, study, 'findings.md'), 'utf8');

for (const study of PAPERS_STUDIES) {
  const dir = path.join(ROOT, study);
  const others = PAPERS_STUDIES.filter((s) => s !== study);

  test(`findings.md of ${study} is what \`dnnbench findings\` writes from its Parquet`, async () => {
    const s = await loadStudy(dir);
    assert.equal(findingsMarkdown(s, study, await runSummary(s)), await findingsOf(study));
  });

  // A write-up may set its host beside another's: the other study's generated text counts too.
  for (const [writeup, source] of [['README.md', 'findings.md'], ['calibration/README.md', 'calibration/compare.txt']] as const) {
    test(`every number in ${study}/${writeup} is one that ${source} prints (its own, or another papers study's)`, async () => {
      const numbers = numbersIn(await readFile(path.join(dir, writeup), 'utf8'));
      const printed = (await Promise.all([study, ...others].map((s) => readFile(path.join(ROOT, s, source), 'utf8')))).join('\n');
      assert.ok(numbers.length > 3, `${writeup} quotes no figures`);
      assert.deepEqual(numbers.filter((n) => !printed.includes(n)), [], `numbers in ${study}/${writeup} that ${source} does not print`);
    });
  }
}

test('the papers rerun section of docs/BENCHMARKS.md quotes only the papers studies\' findings.md and calibration compares', async () => {
  const doc = await readFile(path.join(ROOT, 'docs/BENCHMARKS.md'), 'utf8');
  const section = doc.split('<!-- papers-rerun:start -->')[1]?.split('<!-- papers-rerun:end -->')[0];
  assert.ok(section, 'docs/BENCHMARKS.md has no papers-rerun section');
  const sources = [...PAPERS_STUDIES.flatMap((s) => ['findings.md', 'calibration/compare.txt'].map((f) => path.join(s, f))), ACROSS_DAYS.output];
  const printed = (await Promise.all(sources.map((f) => readFile(path.join(ROOT, f), 'utf8')))).join('\n');
  const numbers = numbersIn(section);
  assert.ok(numbers.length > 5);
  assert.deepEqual(numbers.filter((n) => !printed.includes(n)), []);
});
