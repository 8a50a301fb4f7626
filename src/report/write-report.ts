import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-file.js';
import { deviceData, studyFamilies, type DeviceData } from './chart-data.js';
import { deviceCharts, type Chart } from './charts.js';
import { deviceFolder, writeFigureCsvs } from './figure-csv.js';
import { esc, page, sortableTable, type Cell } from './html.js';
import { fitTableRows, frontierTableRows, latencyTableRows } from './latency-cells.js';
import { loadStudy, type StudyData } from './load-study.js';
import { renderSvg } from './render-svg.js';
import { accuracyBasesTable, realTimeTable, timeByBatchTable, type ReportTable } from './report-tables.js';
import { serverChart } from './serving-chart.js';
import { hasServing, loadServing, servedModels, servingDevices, type ServedModel, type ServingData } from './serving-data.js';
import { capacityTable, servingRunsTable } from './serving-report-tables.js';
import { variantPoints, variantsChart, variantsTable } from './variants-figure.js';

type Rows = Record<string, Cell>[];

/** The header: what was measured where, and what is missing. */
function summary(s: StudyData, serving: ServingData): string {
  const st = s.study;
  const items: [string, string][] = [
    ['results', s.dir],
    ['models', String(s.models.length)],
    ['devices', s.devices.map((d) => `${d.device}: ${d.cpu_model}${d.gpu_name ? ` + ${d.gpu_name}` : ''}, onnxruntime ${d.onnxruntime_version}`).join('; ') || '(none recorded)'],
  ];
  if (st) {
    items.push(['cells', `${st.cells_done} of ${st.cells_expected}`], ['schema version', String(st.schema_version)]);
    const failures = (st.failures as string[] | null) ?? [];
    const missing = (st.missing_cells as string[] | null) ?? [];
    if (failures.length) items.push(['failures', failures.join('; ')]);
    if (missing.length) items.push(['missing cells', missing.join(', ')]);
    const below = st.timing_below_spec ?? [];
    if (below.length) items.push(['timing below SPEC', `${below.join('; ')} (${st.timing_reason ? `reason: ${st.timing_reason}` : 'no reason given'})`]);
  }
  const verdicts = stabilityCounts(s);
  if (verdicts) items.push(['latency cells', verdicts]);
  if (hasServing(serving)) items.push(['serving', servingCounts(serving)]);
  return `<dl>${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

/** How many latency cells got each stability verdict, e.g. `4 stable, 2 drifting`; null when none has one (older studies). */
function stabilityCounts(s: StudyData): string | null {
  const counts = new Map<string, number>();
  for (const l of s.latency) if (l.stability !== null) counts.set(l.stability, (counts.get(l.stability) ?? 0) + 1);
  if (counts.size === 0) return null;
  const order = ['stable', 'noisy', 'drifting', 'host-disturbed'];
  return [...counts].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)).map(([v, n]) => `${n} ${v}`).join(', ');
}

/** How many serving runs were valid and how many capacity searches found a rate, e.g. `15 runs (2 valid); 1 of 2 capacity searches found a valid rate`. */
function servingCounts(serving: ServingData): string {
  const valid = serving.runs.filter((r) => r.valid).length;
  const found = serving.capacity.filter((c) => c.max_valid_qps !== null).length;
  return `${serving.runs.length} runs (${valid} valid); ${found} of ${serving.capacity.length} capacity searches found a valid rate`;
}

/** A figure's or table's CSV, as a link relative to the report. */
const dataLink = (device: string, name: string): string => {
  const href = `figures/${deviceFolder(device)}/${name}.csv`;
  return `<a href="${esc(href)}">${esc(href)}</a>`;
};

const slugOf = (device: string): string => device.replace(/[^A-Za-z0-9_-]/g, '_');

async function figure(device: string, c: Chart): Promise<string> {
  const svg = await renderSvg(c.spec);
  return `<figure id="${esc(c.id)}" class="chart">${svg}<figcaption><b>${esc(c.title)}.</b> ${esc(c.caption)} Data: ${dataLink(device, c.name)}.</figcaption></figure>`;
}

function table(device: string, t: ReportTable): string {
  const slug = slugOf(device);
  return `<h3 id="${esc(`${slug}-${t.name}`)}">${esc(t.title)}</h3>\n<p>${esc(t.note)} Data: ${dataLink(device, t.name)}.</p>\n${sortableTable(`t-${slug}-${t.name}`, t.rows, t.columns)}`;
}

/**
 * A device's serving results (issue 21): the Server figure, the capacity table and every run, their
 * data written beside the others'; null when the device served nothing (no serving section at all).
 */
async function servingSection(device: string, serving: ServingData, served: ReadonlyMap<string, ServedModel>, figuresDir: string): Promise<{ html: string; charts: number } | null> {
  if (!servingDevices(serving).includes(device)) return null;
  const chart = serverChart(device, serving.runs, served);
  const tables = [capacityTable(device, serving.capacity, served), servingRunsTable(device, serving.runs, served)];
  await writeFigureCsvs(figuresDir, device, [chart, ...tables].map((f) => ({ name: f.name, table: f.table })));
  const html = [
    `<h3 id="${esc(`${slugOf(device)}-serving`)}">Serving</h3>`,
    `<div class="charts">\n${await figure(device, chart)}\n</div>`,
    ...tables.map((t) => table(device, t)),
  ].join('\n');
  return { html, charts: 1 };
}

/**
 * One device's papers part (under its heading): its figures, then its tables (accuracy on both
 * bases, time by batch, real time), and where it has variants their figure and table; every figure's and table's data is written to
 * `<figuresDir>/<device>/<name>.csv`.
 */
async function deviceSection(s: StudyData, d: DeviceData, figuresDir: string): Promise<{ html: string; charts: number }> {
  const variants = variantPoints(s, d.device);
  const figs = [...deviceCharts(d, studyFamilies(s)), ...(variants.length ? [variantsChart(d.device, variants)] : [])];
  const tables = [accuracyBasesTable(s, d), timeByBatchTable(s, d), realTimeTable(d), ...(variants.length ? [variantsTable(d.device, variants)] : [])];
  await writeFigureCsvs(figuresDir, d.device, [...figs, ...tables].map((f) => ({ name: f.name, table: f.table })));
  const html = [
    `<div class="charts">\n${(await Promise.all(figs.map((c) => figure(d.device, c)))).join('\n')}\n</div>`,
    ...tables.map((t) => table(d.device, t)),
  ].join('\n');
  return { html, charts: figs.length };
}

/** Every number of the study, one sortable table per Parquet table (raw samples summarized by latency and serving). */
function numbers(s: StudyData, serving: ServingData): string {
  const tables: [string, string, Rows][] = [
    ['models', 'models.parquet: one row per model', s.all.models as Rows],
    ['accuracy', 'accuracy.parquet: one row per model and device', s.all.accuracy as Rows],
    ['latency', 'latency.parquet: one row per model, device, batch size and runtime variant (raw runs in latency_samples.parquet)', latencyTableRows(s.all.latency)],
    ['fits', 'fits.parquet: the fits of SPEC §3, one row per parameter', fitTableRows(s.fits, s.latency)],
    ['frontiers', 'frontiers.parquet: every point of every Pareto frontier', frontierTableRows(s.frontiers, s.latency)],
    ['devices', 'devices.parquet', s.devices as Rows],
  ];
  // Serving's tables only where the study served, so a study without it shows nothing of it.
  if (serving.runs.length) {
    tables.push(['serving', 'serving.parquet: one row per serving run (per-query latencies in serving_samples.parquet)',
      serving.runs.map((r) => ({ ...r, started_at: new Date(r.started_at).toISOString() }))]);
  }
  // Variants only where the study had them (docs/VARIANTS.md).
  if (s.all.variants.length) tables.push(['variants', 'variants.parquet: each variant against its parent (precision) or the device\'s reference (runtime)', s.all.variants as Rows]);
  if (serving.capacity.length) tables.push(['serving-capacity', 'serving_capacity.parquet: one row per Server capacity search', serving.capacity as Rows]);
  return tables.map(([id, title, rows]) => `<h3 id="table-${id}">${esc(title)}</h3>\n${sortableTable(`t-${id}`, rows)}`).join('\n');
}

/**
 * Writes `<resultsDir>/report.html` (or `out`): the papers' figures and tables per device as inline
 * SVG and HTML, then every number; and beside it `figures/<device>/<name>.csv`, each figure's and
 * table's data.
 */
export async function writeReport(resultsDir: string, out?: string): Promise<{ file: string; charts: number; figuresDir: string }> {
  const [s, serving] = await Promise.all([loadStudy(resultsDir), loadServing(resultsDir)]);
  const served = servedModels(s.models, serving);
  const file = path.resolve(out ?? path.join(resultsDir, 'report.html'));
  const figuresDir = path.join(path.dirname(file), 'figures');
  const sections: string[] = [];
  let charts = 0;
  const measured = new Map(deviceData(s).map((d) => [d.device, d]));
  // A device that only served (no sweep, no accuracy) still gets its section, with serving alone.
  for (const device of [...new Set([...measured.keys(), ...servingDevices(serving)])].sort()) {
    const d = measured.get(device);
    const parts = [d ? await deviceSection(s, d, figuresDir) : null, await servingSection(device, serving, served, figuresDir)]
      .filter((p) => p !== null);
    charts += parts.reduce((n, p) => n + p.charts, 0);
    sections.push([`<h2 id="device-${esc(device)}">${esc(device)}</h2>`, ...parts.map((p) => p.html)].join('\n'));
  }
  const id = String(s.study?.study_id ?? path.basename(path.resolve(resultsDir)));
  const body = [
    `<h1>dnnbench study ${esc(id)}</h1>`, summary(s, serving),
    sections.length ? sections.join('\n') : '<p class="empty">no device measured anything yet</p>',
    `<h2 id="numbers">Every number</h2>\n<p>Click a column header to sort. Latency figures (p50, time per image, images/s) show their 95% interval as
<i>value [low, high]</i>; hover one for its cell's stability verdict and why. A cell marked ⚠ is not <i>stable</i>: noisy, drifting or
disturbed by the host (docs/SCHEMA.md, latency.parquet).</p>`, numbers(s, serving),
  ].join('\n');
  await writeFileAtomic(file, page(`dnnbench ${id}`, body));
  return { file, charts, figuresDir };
}
