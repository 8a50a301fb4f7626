import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PowerReading, PowerSampler } from './power-sampler.js';

/**
 * Intel/AMD RAPL through the powercap sysfs: cumulative energy counters (µJ) per package; power is
 * the energy difference over wall time. Counters wrap at max_energy_range_uj. This is CPU package
 * power (cores + uncore), not the whole machine.
 */
export class RaplSampler implements PowerSampler {
  readonly source: string;
  private startUj: number[] = [];
  private startNs = 0n;
  constructor(private readonly zones: { energyFile: string; maxUj: number }[], root: string) {
    this.source = `rapl:${root} (${zones.length} package${zones.length > 1 ? 's' : ''})`;
  }

  /** The package zones under `root`, or the reason there are none. */
  static async discover(root = '/sys/class/powercap'): Promise<RaplSampler | string> {
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return `no ${root} (no RAPL powercap on this host or in this container)`;
    }
    // Top-level package zones only (intel-rapl:0, intel-rapl:1): subzones are parts of them.
    const packages = names.filter((n) => /^(intel|amd)-rapl:\d+$/.test(n)).sort();
    const zones: { energyFile: string; maxUj: number }[] = [];
    for (const name of packages) {
      const energyFile = path.join(root, name, 'energy_uj');
      try {
        await readFile(energyFile, 'utf8');
        const maxUj = Number((await readFile(path.join(root, name, 'max_energy_range_uj'), 'utf8')).trim());
        zones.push({ energyFile, maxUj });
      } catch (err) {
        return `${energyFile} is not readable (${(err as NodeJS.ErrnoException).code ?? err}); RAPL needs root since Linux 5.10`;
      }
    }
    if (zones.length === 0) return `${root} has no RAPL package zones`;
    return new RaplSampler(zones, root);
  }

  private async read(): Promise<number[]> {
    return Promise.all(this.zones.map(async (z) => Number((await readFile(z.energyFile, 'utf8')).trim())));
  }

  async start(): Promise<void> {
    this.startUj = await this.read();
    this.startNs = process.hrtime.bigint();
  }

  async stop(): Promise<PowerReading> {
    const end = await this.read();
    const seconds = Number(process.hrtime.bigint() - this.startNs) / 1e9;
    let uj = 0;
    end.forEach((e, i) => {
      const s = this.startUj[i]!;
      uj += e >= s ? e - s : e + this.zones[i]!.maxUj - s;
    });
    return { avgW: uj / 1e6 / seconds, source: this.source, samples: 1 };
  }
}
