import path from 'node:path';
import { commonShift, compareCells, regressions, type CompareCell, type CompareRow } from '../analysis/compare.js';
import { compareHostSpeed, MIN_PROBE_READINGS, type HostSpeedComparison, type ProbeReadings, type SpeedRatio } from '../analysis/host-speed.js';
import { InputError } from '../errors.js';
import { assertResultsDir, readResultTable, readSampleGroups, sampleKey, type Row } from '../report/read-tables.js';
import type { StudyTableName } from '../results/schema.js';
import { median } from '../stats/quantiles.js';
import { hostMoveMinChangeOf, hostMoveSentence, hostMovesByDevice, type HostMove } from '../latency/host-move.js';
import type { RepetitionCell } from '../results/cell-types.js';

interface Side {
  dir: string;
  study_id: string;
  devices: Row[];
  latency: Row[];
  /** Clean repetitions' p50s by sampleKey. */
  repetitions: Map<string, number[]>;
  /** The speed probe's readings beside clean repetitions, by device. */
  probes: Map<string, ProbeReadings>;
  /** The host's move within the run, by device (none in studies from before repetitions). */
  hostMoves: Map<string, HostMove>;
  /** The study's threshold for calling that a move. */
  hostMoveMinChange: number;
  samples: Map<string, number[]>;
}

/**
 * latency_repetitions.parquet (absent in studies from before repetitions) grouped by cell; rows
 * marked discarded (host noise) are not the cell's repetitions.
 */
function repetitionP50s(rows: Row[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const r of rows) {
    if (r.discarded === true || r.p50_ms === null || r.p50_ms === undefined) continue;
    const key = sampleKey(String(r.device), String(r.model_id), Number(r.batch_size), r.variant as string | null | undefined);
    groups.set(key, [...(groups.get(key) ?? []), Number(r.p50_ms)]);
  }
  return groups;
}

/** The speed probe's readings of each device's clean repetitions (none in studies from before the probe). */
function probeReadings(rows: Row[]): Map<string, ProbeReadings> {
  const byDevice = new Map<string, { compute: number[]; memory: number[] }>();
  for (const r of rows) {
    if (r.discarded === true || typeof r.host_probe_compute_ms !== 'number' || typeof r.host_probe_memory_ms !== 'number') continue;
    const d = byDevice.get(String(r.device)) ?? { compute: [], memory: [] };
    d.compute.push(r.host_probe_compute_ms);
    d.memory.push(r.host_probe_memory_ms);
    byDevice.set(String(r.device), d);
  }
  return byDevice;
}

/**
 * latency_repetitions.parquet and latency.parquet's interval columns come with repetitions (issue
 * 18); until the schema names them they are read untyped, and either may be absent (older studies).
 */
const REPETITIONS_TABLE = 'latency_repetitions' as StudyTableName;

async function loadSide(dir: string): Promise<Side> {
  assertResultsDir(dir);
  const [study, devices, latency, repetitions, samples] = await Promise.all([
    readResultTable(dir, 'study'), readResultTable(dir, 'devices'), readResultTable(dir, 'latency'),
    readResultTable(dir, REPETITIONS_TABLE), readSampleGroups(dir),
  ]);
  return {
    dir, study_id: study[0]?.study_id ?? dir, devices, latency, repetitions: repetitionP50s(repetitions as Row[]),
    probes: probeReadings(repetitions as Row[]), hostMoves: hostMovesByDevice(repetitions as unknown as RepetitionCell[]),
    hostMoveMinChange: minChangeOf(dir, study[0]?.spec_json), samples,
  };
}

/** The study's host-move threshold; a spec that is not JSON is named with its file, not thrown as a parser's stack. */
function minChangeOf(dir: string, specJson: string | null | undefined): number {
  try {
    return hostMoveMinChangeOf(specJson);
  } catch (err) {
    throw new InputError(`${path.join(dir, 'study.parquet')}: its spec_json is not JSON (${(err as Error).message})`);
  }
}

/**
 * Each run's own move of the host's speed, from its first half to its second: a run whose host
 * moved within it is the one less to trust, whatever the two runs' ratio says.
 */
function hostMoveLine(a: Side, x: string, b: Side, y: string): string | null {
  const [ma, mb] = [a.hostMoves.get(x), b.hostMoves.get(y)];
  if (!ma && !mb) return null;
  const side = (m: HostMove | undefined, s: Side) => (m ? hostMoveSentence(m, s.hostMoveMinChange) : 'no repetitions in both halves');
  return `The host's speed within each run (src/latency/host-move.ts): A ${side(ma, a)}; B ${side(mb, b)}.`;
}

const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function cells(s: Side, device: string): CompareCell[] {
  return s.latency
    .filter((l) => l.device === device && l.status === 'ok' && l.p50_ms !== null)
    .map((l: Row) => {
      const variant = (l.variant ?? null) as string | null;
      const key = sampleKey(device, String(l.model_id), Number(l.batch_size), variant);
      return {
        model_id: String(l.model_id), batch_size: Number(l.batch_size), variant, p50_ms: Number(l.p50_ms),
        repetition_p50_ms: s.repetitions.get(key) ?? [],
        ci_low_ms: numberOrNull(l.p50_ci_low_ms), ci_high_ms: numberOrNull(l.p50_ci_high_ms), repetitions: numberOrNull(l.repetitions),
        samples: s.samples.get(key) ?? [],
      };
    })
    .sort((x, y) => x.model_id.localeCompare(y.model_id) || (x.variant ?? '').localeCompare(y.variant ?? '') || x.batch_size - y.batch_size);
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

const BASIS_NOTE = {
  repetitions: 'repetitions: a t test on the p50s of both runs\' repetitions.',
  'cell intervals': 'cell intervals: both studies\' 95% intervals of each p50, combined.',
  'within-run': 'within-run only: intervals understate run-to-run noise (these studies have no repetitions; the runs of one process share its minute of the host).',
} as const;

/** The table; a row's interval basis is named only where the rows' bases differ (the footer names them). */
function table(rows: CompareRow[]): string {
  const mixed = new Set(rows.map((r) => r.basis)).size > 1;
  const head = ['model', 'batch', 'A p50 ms', 'B p50 ms', 'B/A', '95% interval', 'q', 'B is'];
  const body = rows.map((r) => [
    r.variant ? `${r.model_id}@${r.variant}` : r.model_id, String(r.batch_size), r.p50_a_ms.toFixed(3), r.p50_b_ms.toFixed(3), r.ratio.toFixed(3),
    r.ratio_low === null ? '-' : `${r.ratio_low.toFixed(3)}–${r.ratio_high!.toFixed(3)}`,
    r.q_value === null ? '-' : r.q_value < 0.001 ? '<0.001' : r.q_value.toFixed(3),
    mixed && r.basis ? `${r.verdict} (${r.basis})` : r.verdict,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => (i === 0 || i === 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/**
 * How far apart the runs are whatever the intervals say: wide intervals make "within noise" cheap,
 * so the reader also sees the median move and how many cells moved by more than 10% and 20%.
 */
function spread(rows: CompareRow[]): string {
  const mid = median(rows.map((r) => Math.abs(Math.log(r.ratio))));
  const beyond = (f: number) => rows.filter((r) => r.ratio > 1 + f || r.ratio < 1 / (1 + f)).length;
  return `Median move ${((Math.exp(mid) - 1) * 100).toFixed(1)}% (|B/A − 1| on a log scale); ${beyond(0.1)} of ${rows.length} cells moved more than 10%, ${beyond(0.2)} more than 20%.`;
}

/**
 * The move every cell shares, and the cells that moved differently: a host whose speed moved
 * between the runs moves them all, which no run's own intervals can foresee.
 */
function shared(rows: CompareRow[], minChange: number): string[] {
  const common = commonShift(rows);
  if (!common) return [];
  const relative = rows.filter((r) => r.relative_significant === true).length;
  return [
    `All ${common.cells} cells together: median B/A ${common.ratio.toFixed(3)}` +
      (common.ratio_low !== null ? ` (95% ${common.ratio_low.toFixed(3)}–${common.ratio_high!.toFixed(3)})` : '') +
      `; relative to it, ${relative} of ${common.cells} cells changed (the same rule on B/A over the median, ${(minChange * 100).toFixed(1)}% at least). ` +
      'A move every cell shares is the host\'s speed between the runs or a change every cell shares (onnxruntime, threads): compare cannot tell which.',
  ];
}

const speedText = (s: SpeedRatio) => `${s.ratio.toFixed(3)} (95% ${s.low.toFixed(3)}–${s.high.toFixed(3)})`;

/**
 * The host's speed by the probe beside every repetition, and the cells with it taken out: where
 * the cells' shared move matches the probe's, it was the host; a change in the runtime or the
 * model moves the cells and not the probe.
 */
function hostSpeedLines(speed: HostSpeedComparison, rows: CompareRow[], minChange: number): string {
  const adjusted = rows.filter((r) => r.host_adjusted_significant === true).length;
  return [
    `The host's speed, B/A of the probe's median time over ${speed.compute.readingsA} and ${speed.compute.readingsB} repetitions (above 1: slower in B): ` +
      `compute ${speedText(speed.compute)}, memory ${speedText(speed.memory)}.`,
    `With the compute probe's B/A taken out of each cell's, ${adjusted} of ${rows.length} cells changed (the same rule, ${(minChange * 100).toFixed(1)}% at least, the probe's uncertainty added).`,
  ].join('\n');
}

function summary(rows: CompareRow[], minChange: number): string {
  const count = (v: CompareRow['verdict']) => rows.filter((r) => r.verdict === v).length;
  const bases = [...new Set(rows.map((r) => r.basis).filter((b) => b !== null))];
  return [
    `${rows.length} cells: ${count('faster') + count('slower')} significant (${count('faster')} faster, ${count('slower')} slower), ${count('within noise')} within noise` +
      (count('no interval') ? `, ${count('no interval')} without an interval` : '') + '.',
    ...(rows.length ? [spread(rows)] : []),
    ...shared(rows, minChange),
    `B/A below 1: B is faster. Significant: q below 0.05 (the cell's p-value held to a 5% false discovery rate over these ${rows.length} cells, Benjamini-Hochberg) ` +
      `and B/A at least ${(minChange * 100).toFixed(1)}% from 1; anything else is within noise. The interval is each cell's own 95% one.`,
    ...bases.map((b) => `Intervals from ${BASIS_NOTE[b]}`),
  ].join('\n');
}

export interface CompareCommandOptions {
  json?: boolean;
  deviceA?: string;
  deviceB?: string;
  resamples?: number;
  /** Smallest change reported as significant, in percent, as typed (default 1). */
  minChange?: string;
  /** Exit 1 when a cell is significantly slower in B by more than this many percent, as typed. */
  failOnRegression?: string;
  /** The regression check decides on each cell's B/A over the host's speed by the speed probe. */
  hostAdjusted?: boolean;
}

function percentage(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !(v >= 0) || !Number.isFinite(v)) throw new InputError(`${flag} '${text}': give a percentage ≥ 0, such as 5`);
  return v;
}

/** One device pair of two studies, compared. */
export interface DevicePairComparison {
  /** Each side described: study, device, CPU, onnxruntime. */
  a: string;
  b: string;
  /** The host's speed B/A by the speed probe; null when a side has too few probe readings. */
  hostSpeed: HostSpeedComparison | null;
  /** Each run's own move of the host's speed; null without repetitions. */
  hostMove: string | null;
  rows: CompareRow[];
}

/** Two studies' cells per device pair, compared: what `dnnbench compare` prints, for scripts too. */
export async function compareStudies(
  dirA: string, dirB: string, opts: Pick<CompareCommandOptions, 'deviceA' | 'deviceB' | 'resamples'> & { minChange: number },
): Promise<DevicePairComparison[]> {
  const [a, b] = await Promise.all([loadSide(dirA), loadSide(dirB)]);
  return devicePairs(a, b, opts).map(([x, y]) => {
    const none = { compute: [], memory: [] };
    const hostSpeed = compareHostSpeed(a.probes.get(x) ?? none, b.probes.get(y) ?? none);
    return {
      a: describe(a, x), b: describe(b, y), hostSpeed, hostMove: hostMoveLine(a, x, b, y),
      rows: compareCells(cells(a, x), cells(b, y), { a: x, b: y }, { minChange: opts.minChange, resamples: opts.resamples ?? 1000, hostSpeed: hostSpeed?.compute }),
    };
  });
}

/**
 * `dnnbench compare A B [--json] [--fail-on-regression PCT [--host-adjusted]]`: per (model,
 * device, batch) the p50 ratio B/A, its 95% interval and whether the change is significant.
 * Resolves to the exit code: 1 when --fail-on-regression found a regression, else 0.
 */
export async function compareCommand(dirA: string, dirB: string, opts: CompareCommandOptions): Promise<number> {
  const minChange = percentage('--min-change', opts.minChange ?? '1') / 100;
  const failOver = opts.failOnRegression === undefined ? undefined : percentage('--fail-on-regression', opts.failOnRegression);
  if (opts.hostAdjusted && failOver === undefined) throw new InputError('--host-adjusted decides the regression check: give --fail-on-regression PCT with it');
  const results = await compareStudies(dirA, dirB, { ...opts, minChange });
  if (opts.hostAdjusted) {
    // Without the host's speed there is nothing to take out: failing or passing on the plain ratio
    // instead would answer a question the user did not ask.
    const blind = results.find((r) => !r.hostSpeed);
    if (blind) {
      throw new InputError(`--host-adjusted: no host speed for ${blind.a} against ${blind.b}: each study needs speed-probe readings ` +
        `(latency_repetitions.host_probe_compute_ms) beside at least ${MIN_PROBE_READINGS} clean repetitions of the device; studies from before the probe have none`);
    }
  }
  const all = results.flatMap((r) => r.rows);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(all, null, 1)}\n`);
  } else {
    for (const r of results) {
      process.stdout.write(`A: ${r.a}\nB: ${r.b}\n`);
      process.stdout.write(r.rows.length ? `${table(r.rows)}\n\n` : 'no (model, batch) measured in both\n\n');
      // Studies from before the speed probe have no readings: their output is as it was.
      if (r.hostSpeed) process.stdout.write(`${hostSpeedLines(r.hostSpeed, r.rows, minChange)}\n\n`);
      if (r.hostMove) process.stdout.write(`${r.hostMove}\n\n`);
    }
    process.stdout.write(`${summary(all, minChange)}\n`);
  }
  if (failOver === undefined) return 0;
  const basis = opts.hostAdjusted ? 'host-adjusted' : 'plain';
  const slower = regressions(all, failOver, basis);
  for (const r of slower) {
    const ratio = basis === 'plain' ? `B/A ${r.ratio.toFixed(3)} (95% ${r.ratio_low!.toFixed(3)}–${r.ratio_high!.toFixed(3)})`
      : `B/A ${r.ratio.toFixed(3)} over the host's ${r.host_speed_ratio!.toFixed(3)}: ${r.host_adjusted_ratio!.toFixed(3)}`;
    process.stderr.write(`dnnbench: regression: ${r.model_id} b${r.batch_size}${r.variant ? `@${r.variant}` : ''} on ${r.device_b}: ${r.p50_a_ms.toFixed(3)} → ${r.p50_b_ms.toFixed(3)} ms, ` +
      `${ratio}, more than ${failOver}% slower\n`);
  }
  process.stderr.write(`dnnbench: ${slower.length} of ${all.length} cells significantly slower by more than ${failOver}%` +
    `${basis === 'plain' ? '' : ' with the host\'s speed by the probe taken out'}\n`);
  return slower.length ? 1 : 0;
}
