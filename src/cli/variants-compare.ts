/**
 * `dnnbench compare <results>` with one study: each variant against what it varies, from its
 * variants.parquet (docs/VARIANTS.md): a precision variant against its parent at the same runtime
 * variant, a runtime variant against the device's reference. Speed-ups carry their 95% intervals
 * and are called faster or slower only when the interval excludes 1; the accuracy cost is the
 * paired difference with Newcombe's interval and the exact McNemar p.
 */
import { InputError } from '../errors.js';
import { runSummary } from '../findings/run-summary.js';
import { loadStudy, type StudyData } from '../report/load-study.js';
import { assertResultsDir, readResultTable } from '../report/read-tables.js';
import type { ReadRow } from '../results/schema.js';

type VariantRow = ReadRow<'variants'>;

const at = (model: string, variant: string | null): string => (variant ? `${model}@${variant}` : model);

function speedup(value: number | null, low: number | null, high: number | null, significant: boolean | null): string {
  if (value === null) return '-';
  const interval = low !== null && high !== null ? ` [${low.toFixed(2)}–${high.toFixed(2)}]` : '';
  const verdict = significant === null ? '' : significant ? (value > 1 ? ' faster' : ' slower') : ' ~';
  return `${value.toFixed(2)}×${interval}${verdict}`;
}

const signed = (v: number): string => `${v > 0 ? '+' : ''}${(100 * v).toFixed(2)}`;

function accuracy(r: VariantRow): string {
  if (r.kind === 'runtime') return '(the model\'s)';
  if (r.top1_delta === null) return r.accuracy_note ?? '-';
  const interval = r.top1_delta_ci_low !== null && r.top1_delta_ci_high !== null ? ` [${signed(r.top1_delta_ci_low)}, ${signed(r.top1_delta_ci_high)}]` : '';
  return `${signed(r.top1_delta)}${interval} p=${r.top1_mcnemar_p === null ? '?' : r.top1_mcnemar_p.toPrecision(2)}`;
}

const percent = (v: number | null): string => (v === null ? '-' : `${(100 * v).toFixed(2)}%`);

/** The instruction sets int8 and fp16 speed depend on (SPEC.md), of those the device has. */
const ISA_FLAGS = ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'avx512_fp16', 'avx_vnni', 'amx_int8', 'amx_bf16', 'asimd', 'asimddp'];

/** A device's heading: its CPU, onnxruntime and the instruction sets int8 and fp16 speed depend on. */
export function deviceLine(device: string, d: Pick<ReadRow<'devices'>, 'cpu_model' | 'cpu_cores' | 'onnxruntime_version' | 'cpu_simd_flags'> | undefined): string {
  if (!d) return `device ${device}`;
  const isa = ISA_FLAGS.filter((f) => d.cpu_simd_flags.includes(f));
  return `device ${device}: ${d.cpu_model}, ${d.cpu_cores} cores, onnxruntime ${d.onnxruntime_version}; ${isa.length ? isa.join(' ') : 'none of ' + ISA_FLAGS.join(' ')}`;
}

/** The rows as an aligned text table, one per device. */
export function variantsText(rows: readonly VariantRow[], devices: readonly ReadRow<'devices'>[] = []): string {
  const head = ['variant', 'against', 'speed-up b1 [95%]', 'best batch', 'speed-up at best [95%]', 'top-1 (parent)', 'top-1 Δ pts [95%], McNemar', 'agree', 'weights', 'peak mem b1'];
  const out: string[] = [];
  for (const device of [...new Set(rows.map((r) => r.device))].sort()) {
    const body = rows.filter((r) => r.device === device).map((r) => [
      at(r.model_id, r.variant), at(r.parent_model_id, r.parent_variant),
      speedup(r.speedup_b1, r.speedup_b1_ci_low, r.speedup_b1_ci_high, r.speedup_b1_significant),
      r.best_batch === null ? '-' : `${r.best_batch} vs ${r.parent_best_batch ?? '-'}`,
      speedup(r.speedup_best, r.speedup_best_ci_low, r.speedup_best_ci_high, r.speedup_best_significant),
      r.top1 === null ? '-' : `${percent(r.top1)} (${percent(r.parent_top1)})`, accuracy(r), r.top1_agreement === null ? '-' : r.top1_agreement.toFixed(3),
      `${r.weight_bytes_ratio.toFixed(2)}×`, r.rss_peak_ratio_b1 === null ? '-' : `${r.rss_peak_ratio_b1.toFixed(2)}×`,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (cols: string[]) => cols.map((c, i) => (i < 2 || i === 6 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
    out.push(deviceLine(device, devices.find((d) => d.device === device)), line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), '');
  }
  out.push(
    'speed-up: the p50 of what it is against over the variant\'s (above 1: the variant is faster); faster/slower when its 95% interval',
    'excludes 1 (from both cells\' repetitions), ~ otherwise. top-1 Δ: the variant\'s top-1 minus the parent\'s on the same images, in',
    'percentage points, Newcombe\'s 95% interval and the exact McNemar p; a runtime variant computes what the model does (accuracy is',
    'evaluated once per model). weights, peak mem b1: variant over what it is against.',
  );
  return out.join('\n');
}

/**
 * What `dnnbench compare <study>` prints: the study's id and how its run went (timing, host load,
 * minutes, verdicts of every latency cell, variants included), then the variants table.
 */
export async function variantsReport(dir: string): Promise<string> {
  const s = await loadStudy(dir);
  if (s.all.variants.length === 0) throw noVariants(dir);
  const run = await runSummary({ ...s, latency: s.all.latency });
  return `study ${s.study?.study_id ?? dir}\n${[...run, ...accuracyLines(s)].join('\n')}\n\n${variantsText(s.all.variants, s.devices)}\n`;
}

/** What the accuracy changes rest on: which images, how many, and the calibration set kept out of them. */
function accuracyLines(s: StudyData): string[] {
  const lines: string[] = [];
  for (const dataset of [...new Set(s.all.accuracy.map((a) => a.dataset))].sort()) {
    const rows = s.all.accuracy.filter((a) => a.dataset === dataset);
    const ns = [...new Set(rows.map((a) => a.n_images))].sort((a, b) => a - b).map((n) => n.toLocaleString('en'));
    lines.push(`Accuracy: ${rows.length} models evaluated on ${dataset} (${ns.join(' to ')} images each).`);
  }
  const calibrated = s.all.models.filter((m) => m.calibration_images != null);
  if (calibrated.length) {
    const counts = [...new Set(calibrated.map((m) => m.calibration_images!))].sort((a, b) => a - b);
    const excluded = s.all.variants.reduce((n, v) => n + (v.kind === 'precision' ? v.calibration_excluded ?? 0 : 0), 0);
    lines.push(`Calibration: ${calibrated.length} int8-static models, each calibrated on ${counts.join(' or ')} images; `
      + `${excluded} calibration images among the evaluated ones (left out of the paired accuracy).`);
  }
  return lines;
}

const noVariants = (dir: string) =>
  new InputError(`${dir} has no variants (variants.parquet is empty or absent): give two studies to compare them, or run one with variants (docs/VARIANTS.md)`);

/** Prints the study's variants side by side (`--json`: variants.parquet's rows); an InputError when it has none. */
export async function variantsCompare(dir: string, json: boolean): Promise<void> {
  assertResultsDir(dir);
  if (!json) {
    process.stdout.write(await variantsReport(dir));
    return;
  }
  const rows = await readResultTable(dir, 'variants');
  if (rows.length === 0) throw noVariants(dir);
  process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
}
