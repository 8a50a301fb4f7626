/**
 * The report's serving results (issue 21), on made-up rows: the Server figure draws every trial
 * (valid filled, invalid hollow, a caret over a lower bound, a rule per model's bound) and lists
 * it in its CSV; the capacity and runs tables say what each search and run found; and a study
 * without serving (empty tables, or written before they existed) renders with no serving at all.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ReadRow } from '../../src/results/schema.js';
import { writeTable } from '../../src/results/write-table.js';
import type { Annotated } from '../../src/report/html.js';
import { modelFamily } from '../../src/report/model-family.js';
import { renderSvg } from '../../src/report/render-svg.js';
import { serverChart } from '../../src/report/serving-chart.js';
import { servedModels, type CapacityRow, type ServingData, type ServingRun } from '../../src/report/serving-data.js';
import { capacityTable, servingRunsTable } from '../../src/report/serving-report-tables.js';
import { writeReport } from '../../src/report/write-report.js';
import { writeSyntheticStudy } from '../helpers/synthetic-study.js';

function run(over: Partial<ServingRun> & Pick<ServingRun, 'model_id' | 'run_id'>): ServingRun {
  const server = over.run_id.startsWith('server');
  return {
    device: 'cpu-a', provider: 'cpu', precision: 'fp32', setting: 'b1-d0-i1-t2', max_batch: 1, max_queue_delay_ms: 0, instances: 1,
    threads_per_instance: 2, spinning: true, scenario: server ? 'server' : (over.run_id as ServingRun['scenario']), search: server ? 0 : null,
    trial: server ? 0 : null, target_qps: server ? 10 : null, achieved_qps: 10, queries: 1000, samples: 1000, samples_per_query: 1, samples_per_s: 10,
    duration_s: 100, p50_ms: 5, p90_ms: 8, p99_ms: 12, max_ms: 20, mean_ms: 6, latency_lower_bound: false, bound_ms: server ? 20 : null,
    percentile: 0.99, overlatency_count: server ? 0 : null, overlatency_fraction: server ? 0 : null, early_stopping_ok: server ? true : null,
    early_stopping_queries_needed: null, early_stop_estimate_ms: null, issue_lag_mean_ms: 0.1, issue_lag_max_ms: 1, min_duration_met: true,
    min_queries_met: true, valid: true, invalid_reasons: [], mean_batch: 1, warmup_runs: 10, sample_count: 64, seed: 1, host_disturbed: false,
    disturbances: [], discarded_runs: 0, steal_fraction: 0, other_cores: 0, load_avg_end: 1, worker: 'w:1', started_at: 1_700_000_000_000, seconds: 100,
    stability: 'stable', stability_reason: 'no trend over the run', drift_rho: null, drift_change: null, ...over,
  };
}

const invalid = (reason: string) => ({ valid: false, invalid_reasons: [reason, 'min queries not met: 7 of 500'] });

function cap(over: Partial<CapacityRow> & Pick<CapacityRow, 'model_id'>): CapacityRow {
  return {
    device: 'cpu-a', setting: 'b1-d0-i1-t2', max_batch: 1, max_queue_delay_ms: 0, instances: 1, threads_per_instance: 2, search: 0, bound_ms: 20,
    bound_basis: '4 × SingleStream p50', trials: 5, max_valid_qps: 40, min_invalid_qps: 50, p99_at_max_valid_ms: 18, ended: 'converged',
    non_monotonic: false, host_disturbed_trials: 0, searches: 1, capacity_low_qps: 40, capacity_high_qps: 40, agreement: 'single',
    single_stream_p50_ms: 5, single_stream_qps: 190, offline_samples_per_s: 230, sweep_b1_images_per_s: 200, sweep_best_images_per_s: 260,
    sweep_best_batch: 8, ...over,
  };
}

const MODELS: Pick<ReadRow<'models'>, 'model_id' | 'architecture'>[] = [
  { model_id: 'tv_resnet50_opset17', architecture: 'ResNet-50' },
  { model_id: 'tv_resnet18_opset17', architecture: 'ResNet-18' },
  { model_id: 'tv_mobilenet_v2_opset17', architecture: null },
];

/** Two ResNets (one family) and a MobileNet on cpu-a, two searches of resnet50; other scenarios and another device beside them. */
const RUNS: ServingRun[] = [
  run({ model_id: 'tv_resnet50_opset17', run_id: 'single-stream' }),
  run({ model_id: 'tv_resnet50_opset17', run_id: 'offline', samples_per_s: 230 }),
  run({ model_id: 'tv_resnet50_opset17', run_id: 'server-s0-t0', target_qps: 80, p99_ms: 95, latency_lower_bound: true, ...invalid('given up: certain to fail') }),
  run({ model_id: 'tv_resnet50_opset17', run_id: 'server-s0-t1', trial: 1, target_qps: 40, p99_ms: 18 }),
  run({ model_id: 'tv_resnet50_opset17', run_id: 'server-s0-t2', trial: 2, target_qps: 60, p99_ms: 26, ...invalid('p99 26.00 ms over the 20.00 ms bound') }),
  run({ model_id: 'tv_resnet50_opset17', run_id: 'server-s1-t0', search: 1, target_qps: 5, p99_ms: 9, stability: 'drifting', stability_reason: 'the queue keeps growing' }),
  run({ model_id: 'tv_resnet18_opset17', run_id: 'server-s0-t0', target_qps: 120, p99_ms: 7, bound_ms: 10 }),
  // Never completed a query: in the CSV, but nothing to draw.
  run({ model_id: 'tv_resnet18_opset17', run_id: 'server-s0-t1', trial: 1, target_qps: 240, p99_ms: null, ...invalid('given up: nothing completed'), bound_ms: 10 }),
  run({ model_id: 'tv_mobilenet_v2_opset17', run_id: 'server-s0-t0', setting: 'b4-d2-i1-t2', max_batch: 4, target_qps: 300, p99_ms: 14, bound_ms: 12, ...invalid('p99 over the bound') }),
  run({ model_id: 'tv_mobilenet_v2_opset17', run_id: 'server-s0-t0', device: 'cpu-b', target_qps: 30, p99_ms: 3 }),
];

const serverRunsOn = (device: string) => RUNS.filter((r) => r.device === device && r.scenario === 'server');
const key = (r: Record<string, unknown>) => `${String(r.model_id)}/${String(r.setting)}/${String(r.run_id)}`;

/** The aria-labels of the items Vega drew in the layer with this name (each names its run, from the tooltip fields). */
function drawn(svg: string, layer: string): { label: string; tag: string }[] {
  const start = svg.indexOf(`${layer}_marks"`);
  if (start < 0) return [];
  const group = svg.slice(start, svg.indexOf('</g>', start));
  return [...group.matchAll(/<(path|line)\b([^>]*)\/>/g)].map((m) => ({ tag: m[0], label: /aria-label="([^"]*)"/.exec(m[2]!)?.[1] ?? '' }));
}

const runIdOf = (label: string): string => /run_id: ([^;]+)/.exec(label)?.[1] ?? '';
const modelOf = (label: string): string => /model_id: ([^;]+)/.exec(label)?.[1] ?? '';

const data: ServingData = { runs: RUNS, capacity: [] };
const models = servedModels(MODELS, data);

test('every Server trial of the device is in the figure\'s CSV; only those with a p99 are drawn', () => {
  const chart = serverChart('cpu-a', RUNS, models);
  assert.deepEqual(chart.table.rows.map(key).sort(), serverRunsOn('cpu-a').map(key).sort());
  for (const c of ['target_qps', 'p99_ms', 'bound_ms', 'valid', 'latency_lower_bound', 'invalid_reasons']) assert.ok(chart.table.columns.includes(c), c);
  const other = serverChart('cpu-b', RUNS, models);
  assert.deepEqual(other.table.rows.map(key), serverRunsOn('cpu-b').map(key));
});

test('valid trials are drawn filled, invalid ones hollow, a caret over each lower bound, a rule at each model\'s bound', async () => {
  const svg = await renderSvg(serverChart('cpu-a', RUNS, models).spec);
  const withP99 = serverRunsOn('cpu-a').filter((r) => r.p99_ms !== null);
  const valid = drawn(svg, 'valid_runs');
  const hollow = drawn(svg, 'invalid_runs');
  const idsOf = (rs: readonly { model_id: string; run_id: string }[]) => rs.map((r) => `${r.model_id}/${r.run_id}`).sort();
  assert.deepEqual(valid.map((p) => `${modelOf(p.label)}/${runIdOf(p.label)}`).sort(), idsOf(withP99.filter((r) => r.valid)));
  assert.deepEqual(hollow.map((p) => `${modelOf(p.label)}/${runIdOf(p.label)}`).sort(), idsOf(withP99.filter((r) => !r.valid)));
  for (const p of valid) assert.match(p.tag, / fill="#/, 'a valid point is filled');
  for (const p of hollow) {
    assert.doesNotMatch(p.tag, / fill="#/, 'an invalid point is not filled');
    assert.match(p.tag, / stroke="#/, 'an invalid point is outlined');
  }
  const carets = drawn(svg, 'lower_bounds');
  assert.deepEqual(carets.map((p) => `${modelOf(p.label)}/${runIdOf(p.label)}`).sort(), idsOf(withP99.filter((r) => r.latency_lower_bound)));
  const rules = drawn(svg, 'latency_bounds');
  const bounds = new Set(withP99.map((r) => `${r.model_id} ${r.bound_ms}`));
  assert.equal(rules.length, bounds.size);
  assert.deepEqual(new Set(rules.map((r) => `${modelOf(r.label)} ${Number(/bound_ms: ([\d.]+)/.exec(r.label)![1])}`)), bounds);
  for (const r of rules) assert.match(r.tag, /stroke-dasharray/, 'the bound is dashed');
});

test('the caption says what filled, hollow, the rule and the caret mean', () => {
  const { caption } = serverChart('cpu-a', RUNS, models);
  for (const words of [/Filled: a valid run/, /hollow: an invalid one/, /Dashed rule: the model's latency bound/, /caret .* lower bound/]) assert.match(caption, words);
});

test('one colour per model, in its family\'s hue; legend by model', async () => {
  const colors = [...models.values()].map((m) => m.color);
  assert.equal(new Set(colors).size, models.size, 'each model has its own colour');
  const resnets = [...models.values()].filter((m) => m.family === 'ResNet');
  assert.equal(resnets.length, 2);
  assert.ok(resnets.some((m) => m.color === modelFamily('ResNet', m.model_id).color), 'the first of a family has the family\'s colour');
  const svg = await renderSvg(serverChart('cpu-a', RUNS, models).spec);
  assert.match(svg, /aria-label="Symbol legend titled 'model' for fill color[^"]*with 3 values: mobilenet_v2, resnet18, resnet50"/);
});

test('a log axis where the values span a decade or more, linear otherwise', () => {
  const scaleType = (rs: ServingRun[], axis: 'x' | 'y') => {
    const layer = (serverChart('cpu-a', rs, models).spec as { layer: { encoding: Record<string, { scale?: { type: string } }> }[] }).layer[0]!;
    return layer.encoding[axis]!.scale!.type;
  };
  assert.equal(scaleType(RUNS, 'x'), 'log'); // 5 to 300 QPS
  const narrow = [40, 50, 60].map((q, i) => run({ model_id: 'tv_resnet50_opset17', run_id: `server-s0-t${i}`, trial: i, target_qps: q, p99_ms: 10 + i }));
  assert.equal(scaleType(narrow, 'x'), 'linear');
  assert.equal(scaleType(narrow, 'y'), 'linear');
});

test('no Server trial on a device: a placeholder, and an empty CSV with its header', () => {
  const chart = serverChart('cpu-a', RUNS.filter((r) => r.scenario !== 'server'), models);
  assert.equal(chart.table.rows.length, 0);
  assert.ok(chart.table.columns.includes('p99_ms'));
  assert.match(JSON.stringify(chart.spec), /no Server trials/);
});

test('capacity table: capacity, lowest invalid, bound, agreement, and the sweep\'s figures beside it with capacity / batch-1', () => {
  const rows = [
    cap({ model_id: 'tv_resnet50_opset17', search: 0, searches: 2, max_valid_qps: 40, min_invalid_qps: 60, agreement: 'disagree', capacity_low_qps: 5, capacity_high_qps: 40 }),
    cap({ model_id: 'tv_resnet50_opset17', search: 1, searches: 2, max_valid_qps: 5, min_invalid_qps: 10, agreement: 'disagree', capacity_low_qps: 5, capacity_high_qps: 40 }),
    cap({ model_id: 'tv_resnet18_opset17', max_valid_qps: null, min_invalid_qps: 120, ended: 'below_min_qps', capacity_low_qps: null, capacity_high_qps: null }),
    cap({ model_id: 'tv_resnet18_opset17', device: 'cpu-b' }),
  ];
  const t = capacityTable('cpu-a', rows, models);
  assert.equal(t.table.rows.length, 3);
  for (const c of ['max_valid_qps', 'min_invalid_qps', 'bound_ms', 'agreement', 'capacity_low_qps', 'capacity_high_qps', 'sweep_b1_images_per_s',
    'sweep_best_images_per_s', 'offline_samples_per_s', 'single_stream_qps', 'capacity_over_b1']) assert.ok(t.table.columns.includes(c), c);
  for (const r of t.table.rows) {
    const expected = r.max_valid_qps === null ? null : (r.max_valid_qps as number) / (r.sweep_b1_images_per_s as number);
    assert.equal(r.capacity_over_b1, expected);
  }
  const none = t.rows.find((r) => r.model_id === 'tv_resnet18_opset17')!;
  assert.equal((none['capacity (QPS)'] as Annotated).text, 'none valid');
  const disagreeing = t.rows.filter((r) => (r.agreement as Annotated).flagged);
  assert.equal(disagreeing.length, 2, 'both searches of a disagreeing pair are marked');
  assert.match(t.note, /2 of 3 searches found a valid rate; the searches disagree for 1 model and setting pair\./);
});

test('runs table: every run of the device, lower-bound percentiles shown as ≥ and marked, invalid reasons in full', () => {
  const t = servingRunsTable('cpu-a', RUNS, models);
  assert.deepEqual(t.table.rows.map(key).sort(), RUNS.filter((r) => r.device === 'cpu-a').map(key).sort());
  const given = t.rows.find((r) => r.model_id === 'tv_resnet50_opset17' && r.run === 'server-s0-t0')!;
  assert.equal((given['p99 (ms)'] as Annotated).text, '≥ 95');
  assert.equal((given['p99 (ms)'] as Annotated).flagged, true);
  assert.equal(given.valid, 'no');
  assert.equal(given['invalid reasons'], 'given up: certain to fail; min queries not met: 7 of 500');
  const plain = t.rows.find((r) => r.model_id === 'tv_resnet50_opset17' && r.run === 'server-s0-t1')!;
  assert.equal(plain['p99 (ms)'], 18);
  assert.equal(plain.valid, 'yes');
  assert.equal((plain.stability as Annotated).flagged, false);
  const drifting = t.rows.find((r) => r.model_id === 'tv_resnet50_opset17' && r.run === 'server-s1-t0')!;
  assert.deepEqual(drifting.stability, { value: 'drifting', text: 'drifting', title: 'the queue keeps growing', flagged: true });
  // A table built before the verdicts existed reads them as null: no verdict shown, nothing marked.
  const older = servingRunsTable('cpu-a', [{ ...RUNS[3]!, stability: null as unknown as ServingRun['stability'] }], models);
  assert.equal(older.rows[0]!.stability, null);
});

// ---- the whole report ---------------------------------------------------------------------------------

let work: string;
before(async () => { work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-sv-report-')); });
after(() => rm(work, { recursive: true, force: true }));

const SERVING_FILES = ['serving.parquet', 'serving_samples.parquet', 'serving_capacity.parquet'];

async function assertNoServing(dir: string): Promise<void> {
  const { file, charts } = await writeReport(dir);
  const html = await readFile(file, 'utf8');
  assert.equal(charts, 9 * 2, 'the papers\' nine figures on each of the two devices, nothing more');
  // Anything the serving part writes: its anchors, figure, heading, summary line and raw tables.
  const serving = /-serving|server-p99-vs-qps|>Serving|<dt>serving<|serving\.parquet|serving_capacity/.exec(html);
  assert.ok(serving === null, `no serving in the report: found "${serving?.[0]}" in "…${html.slice((serving?.index ?? 0) - 80, (serving?.index ?? 0) + 40)}…"`);
  for (const device of await readdir(path.join(dir, 'figures'))) {
    const csvs = await readdir(path.join(dir, 'figures', device));
    assert.deepEqual(csvs.filter((f) => /serv/.test(f)), [], device);
  }
}

test('a study without serving (empty tables) renders with no serving section, CSV or summary line', async () => {
  const dir = path.join(work, 'empty');
  await writeSyntheticStudy(dir);
  for (const f of SERVING_FILES) assert.ok((await readdir(dir)).includes(f), `${f} is written, empty`);
  await assertNoServing(dir);
});

test('a study written before serving existed (no serving files at all) renders too', async () => {
  const dir = path.join(work, 'older');
  await writeSyntheticStudy(dir);
  for (const f of SERVING_FILES) await rm(path.join(dir, f));
  await rm(path.join(dir, 'figures'), { recursive: true, force: true });
  await assertNoServing(dir);
});

test('a study with serving: each serving device gets the figure and both tables, their CSVs beside the others', async () => {
  const dir = path.join(work, 'served');
  await writeSyntheticStudy(dir);
  // The synthetic study's devices are cpu-test and gpu-test; edge-test only served.
  const onDevice = (device: string) => (r: ServingRun) => ({ ...r, device: r.device === 'cpu-a' ? device : 'edge-test' });
  const runs = RUNS.map(onDevice('cpu-test'));
  await writeTable(path.join(dir, 'serving.parquet'), 'serving', runs);
  await writeTable(path.join(dir, 'serving_capacity.parquet'), 'serving_capacity', [cap({ model_id: 'tv_resnet50_opset17', device: 'cpu-test' })]);
  const { file, charts } = await writeReport(dir);
  const html = await readFile(file, 'utf8');
  assert.equal(charts, 9 * 2 + 2, 'a serving figure on cpu-test and on edge-test');
  for (const device of ['cpu-test', 'edge-test']) {
    assert.match(html, new RegExp(`<figure id="${device}-server-p99-vs-qps"`));
    assert.match(html, new RegExp(`id="${device}-serving-capacity"`));
    assert.match(html, new RegExp(`id="${device}-serving-runs"`));
    const csv = await readFile(path.join(dir, 'figures', device, 'server-p99-vs-qps.csv'), 'utf8');
    for (const r of runs.filter((x) => x.device === device && x.scenario === 'server')) assert.ok(csv.includes(`,${r.run_id},`), `${device} ${r.model_id} ${r.run_id}`);
  }
  assert.doesNotMatch(html, /<figure id="gpu-test-server-p99-vs-qps"/, 'a device that served nothing has no serving figure');
  assert.match(html, /<dt>serving<\/dt><dd>10 runs \(\d+ valid\); 1 of 1 capacity searches found a valid rate/);
  assert.match(html, /id="table-serving"/);
});
