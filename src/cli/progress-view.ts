import type { StudyProgress } from '../workflows/messages.js';

function bar(done: number, total: number, width = 24): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** One figure, or low–high when the rounds' estimate leaves a range (every cell stopping at its minimum repetitions, or at its maximum). */
function eta(p: Pick<StudyProgress, 'etaSeconds' | 'etaHighSeconds'>): string {
  const { etaSeconds: low, etaHighSeconds: high } = p;
  return low !== null && high !== null && high - low >= 60 ? `${duration(low)}–${duration(high)}` : duration(low);
}

/** Lines describing a study's progress: one per device, then the total with its ETA. */
export function renderProgress(p: StudyProgress): string[] {
  const lines = p.devices.map((d) => `  ${d.device.padEnd(16)} ${bar(d.done, d.total)} ${String(d.done).padStart(3)}/${d.total}  ${d.state === 'active' ? d.current ?? '' : `(${d.state})`}`);
  lines.push(`  ${p.phase.padEnd(16)} ${p.done}/${p.total} cells, ETA ${eta(p)}${p.failures.length ? `, ${p.failures.length} failed` : ''}${p.skippedModels.length ? `, skipped ${p.skippedModels.join(' ')}` : ''}`);
  return lines;
}

/** Redraws in place on a terminal; elsewhere (logs, CI) prints only when something changed. */
export class ProgressPrinter {
  private lastText = '';
  private linesOnScreen = 0;
  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(p: StudyProgress): void {
    const lines = renderProgress(p);
    const text = lines.join('\n');
    if (this.out.isTTY) {
      if (this.linesOnScreen) this.out.write(`\x1b[${this.linesOnScreen}A\x1b[J`);
      this.out.write(`${text}\n`);
      this.linesOnScreen = lines.length;
    } else if (text.replace(/ETA \S+/, '') !== this.lastText.replace(/ETA \S+/, '')) {
      this.out.write(`${text}\n`);
    }
    this.lastText = text;
  }
}
