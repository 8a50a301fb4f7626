/** Average power over a window, from whatever source the device has. */
export interface PowerReading {
  avgW: number;
  source: string;
  /** Readings the average is made of (1 for counter-based sources such as RAPL). */
  samples: number;
  /** Highest GPU memory in use during the window, where the source reports it (nvidia-smi). */
  gpuMemoryPeakBytes?: number;
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
 * A sampler for sources that give instantaneous power: reads every `intervalMs` while the window is
 * open and averages the readings (each reading is one point in time, so equal spacing makes the
 * mean the time average).
 */
export class PollingSampler implements PowerSampler {
  private readings: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(readonly source: string, private readonly readWatts: () => Promise<number>, private readonly intervalMs = 100) {}

  async start(): Promise<void> {
    this.readings = [await this.readWatts()];
    this.timer = setInterval(() => {
      this.pending = this.readWatts().then((w) => { this.readings.push(w); }, () => undefined);
    }, this.intervalMs);
  }

  async stop(): Promise<PowerReading> {
    clearInterval(this.timer);
    await this.pending;
    this.readings.push(await this.readWatts());
    const avgW = this.readings.reduce((a, w) => a + w, 0) / this.readings.length;
    return { avgW, source: this.source, samples: this.readings.length };
  }
}
