import { compareCells, type CompareCell, type CompareRow } from '../analysis/compare.js';
import { InputError } from '../errors.js';
import { assertResultsDir, readResultTable, readSampleGroups, sampleKey, type Row } from '../report/read-tables.js';

interface Side {
  dir: string;
  study_id: string;
  devices: Row[];
  latency: Row[];
  samples: Map<string, number[]>;
}

async function loadSide(dir: string): Promise<Side> {
  assertResultsDir(dir);
  const [study, devices, latency] = await Promise.all(['study', 'devices', 'latency'].map((t) => readResultTable(dir, t)));
  return { dir, study_id: String(study![0]?.study_id ?? dir), devices: devices!, latency: latency!, samples: await readSampleGroups(dir) };
}

function cells(s: Side, device: string): CompareCell[] {
  return s.latency
    .filter((l) => l.device === device && l.status === 'ok' && l.p50_ms !== null)
    .map((l) => ({
      model_id: String(l.model_id), batch_size: Number(l.batch_size), p50_ms: Number(l.p50_ms),
      samples: s.samples.get(sampleKey(device, String(l.model_id), Number(l.batch_size))) ?? [],
    }))
    .sort((x, y) => x.model_id.localeCompare(y.model_id) || x.batch_size - y.batch_size);
}

/**
 * Which devices to compare: the ones given; else every device both studies measured; else, when
 * each measured exactly one (two machines), those two.
 */
function devicePairs(a: Side, b: Side, opts: { deviceA?: string; deviceB?: string }): [string, string][] {
  const da = [...new Set(a.latency.map((l) => String(l.device)))].sort();
  const db = [...new Set(b.latency.map((l) => String(l.device)))].sort();
  if (opts.deviceA || opts.deviceB) {
    const x = opts.deviceA ?? opts.deviceB!;
    const y = opts.deviceB ?? opts.deviceA!;
    if (!da.includes(x)) throw new InputError(`${a.dir} has no device ${x} (it has ${da.join(', ') || 'none'})`);
    if (!db.includes(y)) throw new InputError(`${b.dir} has no device ${y} (it has ${db.join(', ') || 'none'})`);
    return [[x, y]];
  }
  const common = da.filter((d) => db.includes(d));
  if (common.length) return common.map((d) => [d, d]);
  if (da.length === 1 && db.length === 1) return [[da[0]!, db[0]!]];
  throw new InputError(`no device in common (A: ${da.join(', ') || 'none'}; B: ${db.join(', ') || 'none'}): pass --device-a and --device-b`);
}

const describe = (s: Side, device: string): string => {
  const d = s.devices.find((x) => x.device === device);
  return `${s.study_id} on ${device}${d ? ` (${d.cpu_model}${d.gpu_name ? ` + ${d.gpu_name}` : ''}, onnxruntime ${d.onnxruntime_version})` : ''}`;
};

function table(rows: CompareRow[]): string {
  const head = ['model', 'batch', 'A p50 ms', 'B p50 ms', 'B/A', '95% band', 'B is'];
  const body = rows.map((r) => [
    r.model_id, String(r.batch_size), r.p50_a_ms.toFixed(3), r.p50_b_ms.toFixed(3), r.ratio.toFixed(3),
    r.band_lo === null ? '-' : `${r.band_lo.toFixed(3)}–${r.band_hi!.toFixed(3)}`, r.verdict,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => (i === 0 || i === 6 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** `dnnbench compare A B [--json]`: per (model, device, batch) the p50 ratio B/A and its noise band. */
export async function compareCommand(dirA: string, dirB: string, opts: { json?: boolean; deviceA?: string; deviceB?: string; resamples?: number }): Promise<void> {
  const [a, b] = await Promise.all([loadSide(dirA), loadSide(dirB)]);
  const pairs = devicePairs(a, b, opts);
  const results = pairs.map(([x, y]) => ({ a: describe(a, x), b: describe(b, y), rows: compareCells(cells(a, x), cells(b, y), { a: x, b: y }, opts.resamples ?? 1000) }));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(results.flatMap((r) => r.rows), null, 1)}\n`);
    return;
  }
  for (const r of results) {
    process.stdout.write(`A: ${r.a}\nB: ${r.b}\n`);
    process.stdout.write(r.rows.length ? `${table(r.rows)}\n\n` : 'no (model, batch) measured in both\n\n');
  }
  process.stdout.write('B/A below 1: B is faster. Band: 95% bootstrap interval of median(B)/median(A) over the raw runs.\n');
}
