/**
 * The report of the committed papers study (docs/studies/epyc-zen3-2vcpu-avx2, written to a temporary
 * folder): every one of its models on every accuracy figure and in its CSV, on one basis (published
 * full-val: every model has a published top-1), said on the figure; legends by family, whole, with
 * at most 16 entries; the tables beside the figures agree with the Parquet they come from. And a
 * synthetic study where not every model has a published top-1: the figures read the measured one,
 * and a random-weight export (nothing measured) is left off them, but not off the table.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { readResultTable } from '../../src/report/read-tables.js';
import { writeReport } from '../../src/report/write-report.js';
import { writeSyntheticStudy } from '../helpers/synthetic-study.js';

/** RFC 4180 fields of one line: quoted fields may hold commas and doubled quotes (no line breaks in these files). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      while (i < line.length && !(line[i] === '"' && line[i + 1] !== '"')) {
        value += line[i];
        i += line[i] === '"' ? 2 : 1;
      }
      fields.push(value);
      i += 2;
    } else {
      const end = line.indexOf(',', i);
      fields.push(line.slice(i, end === -1 ? line.length : end));
      i = end === -1 ? line.length + 1 : end + 1;
    }
  }
  return fields;
}

/** A figure CSV as rows keyed by its header. */
async function readCsv(file: string): Promise<Record<string, string>[]> {
  const [header, ...lines] = (await readFile(file, 'utf8')).split('\r\n').filter((l) => l !== '');
  const columns = csvFields(header!);
  return lines.map((line) => {
    const fields = csvFields(line);
    if (fields.length !== columns.length) throw new Error(`${file}: ${line} has ${fields.length} fields, the header ${columns.length}`);
    return Object.fromEntries(columns.map((c, i) => [c, fields[i]!]));
  });
}

/** The SVG of the figure with this id in the report's HTML. */
function figureSvg(html: string, id: string): string {
  const start = html.indexOf(`<figure id="${id}"`);
  if (start < 0) throw new Error(`no figure ${id}`);
  return html.slice(start, html.indexOf('</figure>', start));
}

const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** Each legend Vega drew: its title and its entries' labels, as the SVG has them. */
function legends(svg: string): { title: string; labels: string[] }[] {
  return svg.split('class="mark-group role-legend"').slice(1).map((part) => {
    const texts = (role: string) => [...part.matchAll(new RegExp(`class="mark-text ${role}"[^>]*><text[^>]*>([^<]*)</text>`, 'g'))].map((m) => unescape(m[1]!));
    return { title: texts('role-legend-title')[0] ?? '', labels: texts('role-legend-label') };
  });
}

const STUDY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/studies/epyc-zen3-2vcpu-avx2');
const DEVICE = 'cpu-x86_64';
const ACCURACY_FIGURES = ['top1-vs-gflops', 'top1-vs-time', 'top1-vs-images-per-s', 'accuracy-density'];

let work: string;
let html: string;
let published: Map<string, number>;

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-papers-report-'));
  await writeReport(STUDY, path.join(work, 'report.html'));
  html = await readFile(path.join(work, 'report.html'), 'utf8');
  published = new Map((await readResultTable(STUDY, 'models')).map((m) => [m.model_id, m.published_top1!]));
});
after(() => rm(work, { recursive: true, force: true }));

const csv = (name: string) => readCsv(path.join(work, 'figures', DEVICE, `${name}.csv`));

test('every model of the study is on each accuracy figure\'s CSV, with its published top-1', async () => {
  assert.equal(published.size, 33);
  for (const name of ACCURACY_FIGURES) {
    const rows = await csv(name);
    assert.deepEqual(rows.map((r) => r.model_id).sort(), [...published.keys()].sort(), name);
    for (const r of rows) {
      assert.equal(r.top1_basis, 'published', `${name} ${r.model_id}`);
      assert.equal(Number(r.top1), published.get(r.model_id!), `${name} ${r.model_id}`);
      assert.notEqual(r.family, 'other', `${name}: ${r.model_id} has a known family`);
    }
  }
});

test('each accuracy figure says its basis; every figure\'s legends show whole labels, at most 16 entries each', () => {
  for (const name of ACCURACY_FIGURES) assert.match(figureSvg(html, `${DEVICE}-${name}`), />top-1: published full-val</, name);
  const figures = [...html.matchAll(/<figure id="([^"]+)"/g)].map((m) => m[1]!);
  assert.equal(figures.length, 9);
  for (const id of figures) {
    for (const legend of legends(figureSvg(html, id))) {
      assert.ok(legend.labels.length <= 16, `${id}: ${legend.title} has ${legend.labels.length} entries`);
      for (const label of legend.labels) assert.ok(!label.endsWith('…') && !/entries$/.test(label), `${id}: "${label}" is cut`);
    }
  }
});

test('top-1 vs GFLOPs: the family legend lists every family of the study\'s models', async () => {
  const rows = await csv('top1-vs-gflops');
  const family = legends(figureSvg(html, `${DEVICE}-top1-vs-gflops`)).find((l) => l.title === 'family');
  assert.ok(family, 'a family legend');
  assert.deepEqual([...family.labels].sort(), [...new Set(rows.map((r) => r.family!))].sort());
  // About a dozen families for 33 models: colour tells families apart, not models.
  assert.ok(family.labels.length >= 10 && family.labels.length <= 16, String(family.labels.length));
});

test('the tables beside the figures: measured top-1 beside published, time by batch, real time at batch 1', async () => {
  const accuracy = new Map((await readResultTable(STUDY, 'accuracy')).map((a) => [a.model_id, a]));
  const bases = await csv('accuracy-bases');
  assert.equal(bases.length, 33);
  for (const r of bases) {
    const a = accuracy.get(r.model_id!);
    if (!a) {
      assert.equal(r.measured_top1, '', `${r.model_id}: nothing measured`);
      continue;
    }
    assert.equal(Number(r.measured_n_images), a.n_images);
    assert.equal(r.measured_basis, 'measured_sample');
    const diff = 100 * (a.top1 - published.get(r.model_id!)!);
    assert.ok(Math.abs(Number(r.measured_minus_published_points) - diff) < 1e-9, `${r.model_id}`);
  }
  const latency = (await readResultTable(STUDY, 'latency')).filter((l) => l.device === DEVICE);
  assert.equal((await csv('time-by-batch')).length, latency.length);
  const realTime = await csv('real-time');
  const batch1 = latency.filter((l) => l.batch_size === 1 && l.status === 'ok');
  assert.equal(realTime.length, batch1.length);
  for (const l of batch1) {
    const r = realTime.find((x) => x.model_id === l.model_id)!;
    assert.equal(r.real_time_by_p50, String(1000 / l.p50_ms! >= 30), l.model_id);
  }
});

test('where a model lacks a published top-1, the figures read the measured one, on one basis, and say so', async () => {
  // The fixture: res-net has a published top-1 (0.7615), mobile-net and squeeze-net none; tiny-net is a
  // random-weight export (published 0.58, never measured); squeeze-net is not measured on cpu-test.
  const dir = path.join(work, 'synthetic');
  await writeSyntheticStudy(dir, { randomWeights: ['tiny-net'] });
  const { figuresDir } = await writeReport(dir);
  const read = (name: string) => readCsv(path.join(figuresDir, 'cpu-test', `${name}.csv`));
  const top1 = await read('top1-vs-gflops');
  assert.deepEqual(top1.map((r) => [r.model_id, r.top1_basis, r.top1_n_images]), [['mobile-net', 'measured_sample', '64'], ['res-net', 'measured_sample', '64']]);
  // measured on cpu-test: the fixture's top-1 less 0.01 (0.79 − 0.01 for res-net), not its published 0.7615
  assert.ok(Math.abs(Number(top1.find((r) => r.model_id === 'res-net')!.top1) - 0.78) < 1e-12);
  assert.deepEqual([...new Set((await read('time-vs-batch')).map((r) => r.model_id))].sort(), ['mobile-net', 'res-net', 'squeeze-net', 'tiny-net']);
  const reportHtml = await readFile(path.join(dir, 'report.html'), 'utf8');
  assert.match(figureSvg(reportHtml, 'cpu-test-top1-vs-gflops'), />top-1: measured on a sample \(N = 64\)</);
  const bases = await read('accuracy-bases');
  const tiny = bases.find((r) => r.model_id === 'tiny-net')!;
  assert.deepEqual([tiny.weights, tiny.published_top1, tiny.measured_top1, tiny.figures_basis], ['random', '0.58', '', '']);
  const res = bases.find((r) => r.model_id === 'res-net')!;
  assert.ok(Math.abs(Number(res.measured_minus_published_points) - 100 * (0.78 - 0.7615)) < 1e-9);
});
