import { existsSync } from 'node:fs';
import { median } from '../stats/quantiles.js';
import type { ReadRow } from '../results/schema.js';
import { readResultTable, tableFile } from '../report/read-tables.js';
import type { StudyData } from '../report/load-study.js';
import { hostMoveMinChangeOf, hostMoveSentence, hostMovesByDevice } from '../latency/host-move.js';

type Repetition = Pick<ReadRow<'latency_repetitions'>, 'model_id' | 'device' | 'batch_size' | 'variant' | 'p50_ms' | 'started_at' | 'seconds' | 'discarded' | 'discard_reasons'>;

const minutes = (ms: number) => (ms / 60_000).toFixed(1);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/**
 * What the run was, for the top of findings.md: its timing against SPEC.md's minimums, how long
 * the latency measurements took (first repetition's start to the last one's end, from
 * latency_repetitions.parquet), repetitions discarded for host noise, whether the host's speed
 * moved within the study (src/latency/host-move.ts), and how the cells' verdicts and interval widths
 * came out. Lines, without the heading.
 */
export async function runSummary(s: StudyData): Promise<string[]> {
  const lines: string[] = [];
  const below = s.study?.timing_below_spec ?? [];
  if (s.study?.timing_below_spec != null) {
    lines.push(below.length ? `Timing below SPEC.md's minimums: ${below.join('; ')}. Reason given: ${(s.study.timing_reason ?? 'none').replace(/\.$/, '')}.` : 'Timing meets SPEC.md\'s minimums.');
  }
  if (s.study?.host_load_avg_median != null) {
    lines.push(`Host load during the kept repetitions: load average median ${s.study.host_load_avg_median.toFixed(2)}, max ${s.study.host_load_avg_max?.toFixed(2) ?? '–'}; `
      + `CPU stolen by the hypervisor, median ${pct(s.study.host_steal_fraction_median ?? 0)}.`);
  }
  if (s.study?.host_probe_compute_ms_median != null) {
    lines.push(`The host's speed by the probe beside each kept repetition (src/host/speed-probe.ts): compute ${s.study.host_probe_compute_ms_median.toFixed(3)} ms, `
      + `memory ${s.study.host_probe_memory_ms_median?.toFixed(3) ?? '–'} ms (medians; \`dnnbench compare\` sets two studies' probes side by side).`);
  }
  const reps: Repetition[] = existsSync(tableFile(s.dir, 'latency_repetitions')) ? await readResultTable(s.dir, 'latency_repetitions') : [];
  if (reps.length) {
    const start = Math.min(...reps.map((r) => Number(r.started_at)));
    const end = Math.max(...reps.map((r) => Number(r.started_at) + r.seconds * 1000));
    const discarded = reps.filter((r) => r.discarded);
    const steal = discarded.filter((r) => r.discard_reasons.some((w) => /hypervisor/.test(w))).length;
    lines.push(`Latency: ${reps.length} repetitions in ${minutes(end - start)} minutes (first start to last end); `
      + `${discarded.length} discarded for host noise and run again (${steal} of them for CPU time stolen by the hypervisor).`);
    // Read from the repetitions, so a study whose tables were written before the rule is read with it too.
    const minChange = hostMoveMinChangeOf(s.study?.spec_json);
    for (const [device, move] of hostMovesByDevice(reps)) {
      lines.push(`The host's speed within the study on ${device} (src/latency/host-move.ts): ${hostMoveSentence(move, minChange)}.`);
    }
  }
  const ok = s.latency.filter((l) => l.status === 'ok');
  const verdicts = new Map<string, number>();
  for (const l of ok) if (l.stability != null) verdicts.set(l.stability, (verdicts.get(l.stability) ?? 0) + 1);
  const widths = ok.filter((l) => l.p50_ci_low_ms != null && l.p50_ci_high_ms != null && l.p50_ms != null)
    .map((l) => (l.p50_ci_high_ms! - l.p50_ci_low_ms!) / 2 / l.p50_ms!);
  if (verdicts.size) {
    lines.push(`Latency cells: ${ok.length} measured; verdicts ${[...verdicts].sort().map(([v, n]) => `${v} ${n}`).join(', ')}; `
      + `median 95% interval half-width of the p50 ${widths.length ? pct(median(widths)) : '–'}.`);
  }
  return lines;
}
