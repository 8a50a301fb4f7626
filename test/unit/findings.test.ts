import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FitRow, FrontierRow } from '../../src/analysis/analyze.js';
import { paperFindings } from '../../src/findings/paper-findings.js';
import { findingsMarkdown } from '../../src/findings/write-findings.js';
import type { StudyData } from '../../src/report/load-study.js';

const fit = (fit: string, param: string, value: number | null, extra: Partial<FitRow> = {}): FitRow => ({
  fit, device: 'cpu', batch_size: 1, model_id: null, param, value, ci_low: null, ci_high: null, unit: '', r2: null, n: 10,
  status: value === null ? 'no_data' : 'ok', note: null, accuracy_basis: null, ...extra,
});
const point = (frontier: string, model: string, x: number, top1: number): FrontierRow => ({
  frontier, device: 'cpu', batch_size: null, model_id: model, x_value: x, x_unit: '', top1, on_frontier: false, accuracy_basis: 'published',
});
const latency = (model: string, device: string, ips: number, low: number | null = null) => ({
  model_id: model, device, batch_size: 1, status: 'ok', images_per_s: ips, per_image_ms: 1000 / ips, p50_ms: 1000 / ips,
  p50_ci_low_ms: low === null ? null : 1000 / (ips * 1.01), p50_ci_high_ms: low === null ? null : 1000 / low,
  rss_peak_bytes: 2e8, gpu_memory_peak_bytes: null,
}) as unknown as StudyData['latency'][number];

function study(fits: FitRow[], frontiers: FrontierRow[] = [], lat: StudyData['latency'] = [latency('m1', 'cpu', 50)]): StudyData {
  return { dir: '/x', study: null, models: [], devices: [], accuracy: [], latency: lat, fits, frontiers, all: { models: [], accuracy: [], latency: lat, variants: [] } };
}
const byClaim = (s: StudyData, words: RegExp) => paperFindings(s).find((f) => words.test(f.claim))!;

test('no power source: power independence and the energy bound are untestable, with the reason', () => {
  const s = study([fit('power', 'mean_w', null, { batch_size: null, note: 'no RAPL counters readable' }), fit('energy_bound', 'A', null, { note: 'no energy per image' }), fit('energy_bound', 'k', null)]);
  assert.equal(byClaim(s, /Power consumption/).devices[0]!.verdict, 'untestable');
  assert.match(byClaim(s, /Power consumption/).devices[0]!.evidence[0]!, /no RAPL counters readable/);
  assert.equal(byClaim(s, /energy constraint/).devices[0]!.verdict, 'untestable');
});

test('operations → time: a tight line that mispredicts left-out models by 30–50% contradicts "reliable"; within 25% reproduces', () => {
  const line = fit('ops_time', 'a_ms_per_gflop', 4.7, { r2: 0.99, ci_low: 4.6, ci_high: 4.9 });
  const bad = study([line, fit('ops_time_loo', 'mape', 0.4, { ci_low: 0.3, ci_high: 0.5 })]);
  assert.equal(byClaim(bad, /number of operations/).devices[0]!.verdict, 'contradicted');
  assert.match(byClaim(bad, /number of operations/).devices[0]!.evidence[0]!, /LOO error 40\.0% \[30\.0%, 50\.0%\]/);
  const good = study([line, fit('ops_time_loo', 'mape', 0.1, { ci_low: 0.05, ci_high: 0.2 })]);
  assert.equal(byClaim(good, /number of operations/).devices[0]!.verdict, 'reproduced');
  const across = study([line, fit('ops_time_loo', 'mape', 0.22, { ci_low: 0.15, ci_high: 0.3 })]);
  assert.equal(byClaim(across, /number of operations/).devices[0]!.verdict, 'inconclusive');
  const loose = study([{ ...line, r2: 0.6 }, fit('ops_time_loo', 'mape', 0.1, { ci_low: 0.05, ci_high: 0.2 })]);
  assert.equal(byClaim(loose, /number of operations/).devices[0]!.verdict, 'contradicted');
});

test('hyperbola: k above 0 and a good fit reproduce; batch sizes that disagree are inconclusive', () => {
  const hyp = (b: number, k: [number, number, number], r2: number) => [
    fit('accuracy_time_hyperbolic', 'A', 0.8, { batch_size: b, r2, accuracy_basis: 'published' }),
    fit('accuracy_time_hyperbolic', 'k', k[0], { batch_size: b, r2, ci_low: k[1], ci_high: k[2] }),
  ];
  const lat = [latency('m1', 'cpu', 50), { ...latency('m1', 'cpu', 60), batch_size: 2 }];
  assert.equal(byClaim(study([...hyp(1, [0.3, 0.2, 0.4], 0.9), ...hyp(2, [0.3, 0.1, 0.5], 0.85)], [], lat), /hyperbolic/).devices[0]!.verdict, 'reproduced');
  assert.equal(byClaim(study([...hyp(1, [0.3, 0.2, 0.4], 0.9), ...hyp(2, [0.1, -0.1, 0.3], 0.85)], [], lat), /hyperbolic/).devices[0]!.verdict, 'inconclusive');
  assert.equal(byClaim(study([...hyp(1, [-0.3, -0.4, -0.2], 0.9), ...hyp(2, [-0.3, -0.5, -0.1], 0.9)], [], lat), /hyperbolic/).devices[0]!.verdict, 'contradicted');
});

test('accuracy against operations: a straight line contradicts "no linear relationship"; an alternating pattern reproduces it', () => {
  const linear = Array.from({ length: 8 }, (_, i) => point('top1_vs_gflops', `m${i}`, i + 1, 0.5 + 0.03 * i));
  const f1 = byClaim(study([], linear), /number of operations increases/).devices[0]!;
  assert.equal(f1.verdict, 'contradicted');
  assert.match(f1.evidence[0]!, /R² of top-1 ~ GFLOPs over 8 models: 1\.00 \[1\.00, 1\.00\]/);
  assert.match(f1.evidence[1]!, /^0 of 28 model pairs/);
  // x 1..30, top-1 0.5 / 0.8 alternating: R² = (Σ(x−x̄)(y−ȳ))² / (Σ(x−x̄)² Σ(y−ȳ)²) = 2.25² / (2247.5 · 0.675) ≈ 0.003;
  // pairs with different top-1: 15 · 15 = 225; against the trend when the 0.8 one (even x = 2k) has the smaller x:
  // 15 − k odd x above each, 14 + 13 + … + 0 = 105.
  const zigzag = Array.from({ length: 30 }, (_, i) => point('top1_vs_gflops', `m${i}`, i + 1, i % 2 ? 0.8 : 0.5));
  const f2 = byClaim(study([], zigzag), /number of operations increases/).devices[0]!;
  assert.equal(f2.verdict, 'reproduced');
  assert.match(f2.evidence[0]!, /over 30 models: 0\.00 /);
  assert.match(f2.evidence[1]!, /^105 of 225 model pairs/);
});

test('real time needs a GPU and a Jetson to decide; counts use the interval\'s low end', () => {
  const cpuOnly = study([], [], [latency('fast', 'cpu', 40, 35), latency('edge', 'cpu', 31, 28), latency('slow', 'cpu', 10, 9)]);
  const rt = byClaim(cpuOnly, /super real-time/).devices[0]!;
  assert.equal(rt.verdict, 'untestable');
  assert.match(rt.evidence[0]!, /^1 of 3 models reach 30 images\/s at batch 1 .*: fast$/);
  const fleet = study([], [], [latency('a', 'gpu-x', 300), latency('b', 'gpu-x', 200), latency('a', 'jetson-y', 40), latency('b', 'jetson-y', 12)]);
  assert.deepEqual(byClaim(fleet, /super real-time/).devices.map((d) => d.verdict), ['reproduced', 'reproduced']);
});

test('the write-up leads with a table of every claim and its verdict', () => {
  const md = findingsMarkdown(study([fit('power', 'mean_w', null, { batch_size: null })]), 'some/dir');
  assert.match(md, /Generated by `dnnbench findings some\/dir`/);
  assert.equal(md.match(/^\| (Canziani|Bianco) et al\./gm)?.length, 10);
  assert.match(md, /\| Canziani et al\. 2016 \| 1\. Power consumption is independent of batch size and architecture\. \| untestable here \|/);
});
