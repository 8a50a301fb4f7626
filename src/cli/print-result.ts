import type { StudyResult } from '../workflows/index.js';

/** A short human summary; the numbers themselves are in the Parquet tables. */
export function printStudyResult(r: StudyResult): void {
  const lines = [`study ${r.studyId} done: ${r.outDir}`];
  for (const [table, rows] of Object.entries(r.tables)) lines.push(`  ${table}.parquet: ${rows} rows`);
  for (const m of r.results) {
    const acc = m.top1 === null ? '' : ` top1 ${(m.top1 * 100).toFixed(2)}%`;
    // A cell that is not stable says so beside its figure (latency.parquet `stability_reason` says why).
    const lat = m.latency.map((l) => `b${l.batch}${l.variant ? `@${l.variant}` : ''} ${l.status === 'ok' ? `${l.p50_ms!.toFixed(2)}ms${l.stability && l.stability !== 'stable' ? ` (${l.stability})` : ''}` : l.status}`).join(', ');
    lines.push(`  ${m.device} ${m.model}:${acc}  p50 ${lat}`);
  }
  // These come from the cells as they finished; the tables then put each at the host's average speed.
  if (r.results.some((m) => m.latency.length)) lines.push('  (p50 as measured; latency.parquet has them at the host\'s average speed over the study\'s rounds: round_adjustment, docs/TIMING.md)');
  // Results of workflows started before serving existed have no serving field.
  for (const d of r.serving ?? []) {
    for (const c of d.capacities) {
      const answer = c.maxValidQps === null ? 'no valid rate' : `${c.maxValidQps} QPS${c.minInvalidQps === null ? ' (no invalid rate found above)' : ` (invalid at ${c.minInvalidQps})`}`;
      lines.push(`  ${d.device} ${c.model} ${c.setting} search ${c.search}: Server p99 ≤ ${c.boundMs.toFixed(2)} ms up to ${answer}, ${c.trials} trials`);
    }
  }
  if (r.missingCells?.length) lines.push(`  missing cells (${r.missingCells.length}):\n${r.missingCells.map((c) => `    - ${c}`).join('\n')}`);
  if (r.failures.length) lines.push(`  failures:\n${r.failures.map((f) => `    - ${f}`).join('\n')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
