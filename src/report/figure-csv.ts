/**
 * Each figure's data beside the report, so an analyst can redraw it: `figures/<device>/<figure>.csv`
 * next to report.html. Always one folder per device, even in a one-device study, so the layout
 * does not change with the study (the device is a folder, not a column: each file is one plot).
 */
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-file.js';

/** The rows a figure plots, its columns in order. */
export interface FigureTable {
  columns: readonly string[];
  rows: readonly Record<string, unknown>[];
}

/** A field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break, quotes doubled. */
function field(v: unknown): string {
  if (v === null || v === undefined) return '';
  // Numbers in full (round-trip) precision: the CSV is for redrawing, not for reading by eye.
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A table as RFC 4180 CSV: a header line, CRLF line ends, an empty field for null. */
export function toCsv(table: FigureTable): string {
  const lines = [table.columns.map(field).join(','), ...table.rows.map((r) => table.columns.map((c) => field(r[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

/** The folder name of a device: its name with anything but letters, digits, `.`, `_` and `-` as `_`. */
export const deviceFolder = (device: string): string => device.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * Writes `<figuresDir>/<device>/<name>.csv` for each table. Files of an earlier report are
 * overwritten, never deleted: the folder may sit beside other things when the report is written
 * elsewhere (--out).
 */
export async function writeFigureCsvs(figuresDir: string, device: string, tables: readonly { name: string; table: FigureTable }[]): Promise<string[]> {
  const dir = path.join(figuresDir, deviceFolder(device));
  const files: string[] = [];
  for (const { name, table } of tables) {
    const file = path.join(dir, `${name}.csv`);
    await writeFileAtomic(file, toCsv(table));
    files.push(file);
  }
  return files;
}
