/**
 * The committed papers study's write-ups are generated, never hand-edited: findings.md is what
 * `dnnbench findings` prints from the committed Parquet, and every number in its README is one
 * that findings.md or the calibration's `dnnbench compare` prints.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { runSummary } from '../../src/findings/run-summary.js';
import { findingsMarkdown } from '../../src/findings/write-findings.js';
import { loadStudy } from '../../src/report/load-study.js';
import { ROOT } from '../helpers/cli.js';

export const PAPERS_STUDY = 'docs/studies/epyc-zen3-2vcpu-avx2';
const dir = path.join(ROOT, PAPERS_STUDY);

test('findings.md of the committed papers study is what `dnnbench findings` writes from its Parquet', async () => {
  const committed = await readFile(path.join(dir, 'findings.md'), 'utf8');
  const s = await loadStudy(dir);
  assert.equal(findingsMarkdown(s, PAPERS_STUDY, await runSummary(s)), committed);
});

test('every number in the study README comes from a generated file beside it', async () => {
  const readme = await readFile(path.join(dir, 'README.md'), 'utf8');
  const sources = (await Promise.all(['findings.md', 'calibration/compare.txt'].map((f) => readFile(path.join(dir, f), 'utf8')))).join('\n');
  // Code spans (commands, paths, ids) and link targets are not figures.
  const prose = readme.replace(/`[^`]*`/g, '').replace(/\]\([^)]*\)/g, ']');
  const numbers = [...prose.matchAll(/(?<![\w.-])\d+(?:\.\d+)?%?(?![\w-])/g)].map((m) => m[0]);
  assert.ok(numbers.length > 5, 'the README quotes no figures');
  const missing = numbers.filter((n) => !sources.includes(n));
  assert.deepEqual(missing, [], `numbers in ${PAPERS_STUDY}/README.md that no generated file prints`);
});
