/**
 * `dnnbench report`: the static HTML of a study, opened in headless Chromium (Debian's chromium,
 * driven by playwright-core): every figure rendered as a non-empty SVG with its data marks, no
 * console errors, the number tables sort. Also a study too thin for any fit still gets a report.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { runCli } from '../helpers/cli.js';
import { writeSyntheticStudy } from '../helpers/synthetic-study.js';

const CHROMIUM = process.env.CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
// CI installs chromium (.ci/run): there a missing browser is a failure, not a skip.
const skip = !CHROMIUM && !process.env.CI ? 'no chromium (apt-get install -y chromium)' : false;
const FIGURES_PER_DEVICE = 9;

let work: string;
let browser: Browser | undefined;

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-report-'));
  await writeSyntheticStudy(path.join(work, 'full'));
  await writeSyntheticStudy(path.join(work, 'thin'), {
    devices: [{ device: 'cpu-test', power: false, speed: 1 }], models: [{ id: 'only-net', gflops: 1, mparams: 2, top1: 0.6 }], batches: [1],
  });
  if (!skip) browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  await rm(work, { recursive: true, force: true });
});

interface Opened {
  errors: string[];
  figures: { id: string; width: number; height: number; marks: number }[];
}

async function open(file: string, check?: (page: import('playwright-core').Page) => Promise<void>): Promise<Opened> {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  const figures = await page.$$eval('figure.chart', (figs) => figs.map((f) => {
    const svg = f.querySelector('svg');
    const box = svg?.getBoundingClientRect();
    // Vega puts data marks in groups with class role-mark; axes and legends have other roles.
    return { id: f.id, width: box?.width ?? 0, height: box?.height ?? 0, marks: svg ? svg.querySelectorAll('g.role-mark > *').length : 0 };
  }));
  await check?.(page);
  await page.close();
  return { errors, figures };
}

test('report of a two-device study: every figure renders in Chromium, no console errors, tables sort', { skip }, async () => {
  const dir = path.join(work, 'full');
  const r = await runCli(['report', dir]);
  assert.equal(r.code, 0, r.stderr);
  const file = path.join(dir, 'report.html');
  assert.match(r.stdout, /report\.html \(18 charts\)/);
  const html = await readFile(file, 'utf8');
  assert.ok(!/<script[^>]+src=|<link[^>]+href="http/.test(html), 'the report is self-contained');
  assert.ok(html.includes('Test CPU &quot;quoted&quot; &lt;&amp;&gt;'), 'text is escaped');

  const opened = await open(file, async (page) => {
    // Sort the latency table by p50 (ascending, then descending) and check the order.
    const col = await page.$$eval('#t-latency th', (ths) => ths.findIndex((t) => t.textContent === 'p50_ms'));
    assert.ok(col >= 0);
    const values = () => page.$$eval(`#t-latency tbody tr td:nth-child(${col + 1})`, (tds) => tds.map((td) => (td as HTMLElement).dataset.v!).filter((v) => v !== '').map(Number));
    await page.click(`#t-latency th:nth-child(${col + 1})`);
    const asc = await values();
    assert.deepEqual(asc, [...asc].sort((a, b) => a - b));
    await page.click(`#t-latency th:nth-child(${col + 1})`);
    const desc = await values();
    assert.deepEqual(desc, [...asc].reverse());
    assert.equal(await page.$$eval('#t-fits tbody tr', (rows) => rows.length) > 0, true);
  });
  assert.deepEqual(opened.errors, []);
  assert.equal(opened.figures.length, 2 * FIGURES_PER_DEVICE);
  for (const f of opened.figures) {
    assert.ok(f.width > 100 && f.height > 50, `${f.id}: ${f.width}×${f.height}`);
    assert.ok(f.marks > 0, `${f.id}: no data marks`);
  }
  // The GPU device has power: its power and energy figures show data, not the placeholder.
  assert.ok(opened.figures.find((f) => f.id === 'gpu-test-power-vs-batch')!.marks >= 4);
});

test('a one-model study still gets every figure (placeholders say why), and no errors', { skip }, async () => {
  const dir = path.join(work, 'thin');
  const out = path.join(work, 'thin.html');
  const r = await runCli(['report', dir, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const html = await readFile(out, 'utf8');
  assert.match(html, /no power data: no RAPL powercap in this container/);
  const opened = await open(out);
  assert.deepEqual(opened.errors, []);
  assert.equal(opened.figures.length, FIGURES_PER_DEVICE);
  for (const f of opened.figures) assert.ok(f.width > 100 && f.marks > 0, `${f.id}: ${JSON.stringify(f)}`);
});

test('report of a folder that is not a study fails in plain words', async () => {
  const r = await runCli(['report', work]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not a dnnbench results folder/);
});
