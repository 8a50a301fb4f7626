import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseTegrastatsRails } from '../../host/tegrastats.js';
import { PollingSampler, StreamingSampler, type PowerReading, type PowerSampler } from './power-sampler.js';

/** A power rail of a Jetson's INA3221 monitors. */
export interface Rail {
  name: string;
  read(): Promise<number>; // watts
}

/** The board's input rail (POM_5V_IN, VDD_IN, VIN_SYS_5V0...) measures the whole module. */
export function isInputRail(name: string): boolean {
  return /(^|_)IN($|_)|^VIN/.test(name);
}

async function readNumber(file: string): Promise<number> {
  return Number((await readFile(file, 'utf8')).trim());
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/**
 * Finds INA3221 rails under a sysfs root, in both layouts L4T has used:
 * - L4T 32 (TX1, TX2, Nano, Xavier): `bus/i2c/drivers/ina3221x/<dev>/iio:device<N>/rail_name_<k>` with
 *   `in_power<k>_input` in mW;
 * - L4T 34+ (Orin, JetPack 5/6): `bus/i2c/drivers/ina3221/<dev>/hwmon/hwmon<N>/in<k>_label` with
 *   `in<k>_input` (mV) and `curr<k>_input` (mA).
 */
export async function findInaRails(sysRoot = '/sys'): Promise<Rail[]> {
  const rails: Rail[] = [];
  const iioDrivers = path.join(sysRoot, 'bus/i2c/drivers/ina3221x');
  for (const dev of await listDir(iioDrivers)) {
    for (const iio of (await listDir(path.join(iioDrivers, dev))).filter((n) => n.startsWith('iio:device'))) {
      const dir = path.join(iioDrivers, dev, iio);
      for (const f of (await listDir(dir)).filter((n) => /^rail_name_\d+$/.test(n)).sort()) {
        const k = f.slice('rail_name_'.length);
        const name = (await readFile(path.join(dir, f), 'utf8')).trim();
        const file = path.join(dir, `in_power${k}_input`);
        rails.push({ name, read: async () => (await readNumber(file)) / 1000 });
      }
    }
  }
  const hwmonDrivers = path.join(sysRoot, 'bus/i2c/drivers/ina3221');
  for (const dev of await listDir(hwmonDrivers)) {
    const hwmonRoot = path.join(hwmonDrivers, dev, 'hwmon');
    for (const hw of await listDir(hwmonRoot)) {
      const dir = path.join(hwmonRoot, hw);
      for (const f of (await listDir(dir)).filter((n) => /^in\d+_label$/.test(n)).sort()) {
        const k = f.slice(2, -'_label'.length);
        const name = (await readFile(path.join(dir, f), 'utf8')).trim();
        if (name.startsWith('NC')) continue; // unconnected channel
        const mv = path.join(dir, `in${k}_input`);
        const ma = path.join(dir, `curr${k}_input`);
        rails.push({ name, read: async () => ((await readNumber(mv)) * (await readNumber(ma))) / 1e6 });
      }
    }
  }
  return rails;
}

/** Polls the input rail (or, on boards without one, the sum of all rails) from sysfs. */
export async function discoverInaSampler(sysRoot = '/sys'): Promise<PowerSampler | string> {
  const rails = await findInaRails(sysRoot);
  if (rails.length === 0) return `no INA3221 rails under ${sysRoot}/bus/i2c/drivers/ina3221{,x}`;
  const input = rails.find((r) => isInputRail(r.name));
  const used = input ? [input] : rails;
  const label = input ? input.name : `sum of ${rails.map((r) => r.name).join('+')}`;
  return new PollingSampler(`jetson ina3221 ${label}`, async () => {
    const watts = await Promise.all(used.map((r) => r.read()));
    return watts.reduce((a, w) => a + w, 0);
  });
}

/** Watts of the board from one tegrastats line: its input rail, else the sum of its rails. */
export function tegrastatsWatts(line: string): number | null {
  const rails = parseTegrastatsRails(line);
  if (rails.size === 0) return null;
  const input = [...rails.keys()].find(isInputRail);
  const mw = input ? rails.get(input)! : [...rails.values()].reduce((a, v) => a + v, 0);
  return mw / 1000;
}

/** Power from `tegrastats --interval N` where the sysfs rails are not readable (e.g. in a container). */
export class TegrastatsSampler extends StreamingSampler {
  readonly source = 'tegrastats';
  private readings: number[] = [];

  constructor(intervalMs = 100, command = 'tegrastats') {
    super(command, ['--interval', String(intervalMs)]);
  }

  accept(line: string): void {
    const w = tegrastatsWatts(line);
    if (w !== null) this.readings.push(w);
  }

  protected reset(): void {
    this.readings = [];
  }

  protected result(): PowerReading {
    if (this.readings.length === 0) throw new Error('tegrastats printed no power rails');
    return { avgW: this.readings.reduce((a, w) => a + w, 0) / this.readings.length, source: this.source, samples: this.readings.length };
  }
}
