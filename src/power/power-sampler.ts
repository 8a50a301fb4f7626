import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Average power over a window, from whatever source the device has. */
export interface PowerReading {
  avgW: number;
  source: string;
}

export interface PowerSampler {
  readonly source: string;
  start(): Promise<void>;
  /** Ends the window and returns its average power. */
  stop(): Promise<PowerReading>;
}

/** What a device can measure: a sampler, or the reason there is none (recorded with the results). */
export type PowerAvailability = { sampler: PowerSampler } | { sampler: null; reason: string };

/**
 * Intel/AMD RAPL through the powercap sysfs: cumulative energy counters (µJ) per package; power is
 * the energy difference over wall time. Counters wrap at max_energy_range_uj.
 */
export class RaplSampler implements PowerSampler {
  readonly source: string;
  private startUj: number[] = [];
  private startNs = 0n;
  constructor(private readonly zones: { energyFile: string; maxUj: number }[], root: string) {
    this.source = `rapl:${root}`;
  }

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
    return { avgW: uj / 1e6 / seconds, source: this.source };
  }
}

/** The best power source on this host. */
export async function discoverPowerSampler(): Promise<PowerAvailability> {
  const rapl = await RaplSampler.discover();
  if (typeof rapl !== 'string') return { sampler: rapl };
  return { sampler: null, reason: `no power source: ${rapl}; no NVIDIA GPU or Jetson sampler applies` };
}
