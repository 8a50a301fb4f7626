import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

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

/**
 * A sampler for tools that print readings in their own loop (nvidia-smi -lms, tegrastats
 * --interval): the tool runs while the window is open and each line goes to `accept`.
 */
export abstract class StreamingSampler implements PowerSampler {
  abstract readonly source: string;
  private child: ChildProcess | undefined;

  protected constructor(private readonly command: string, private readonly args: string[]) {}

  /** Takes one output line; public so tests feed recorded lines through the same path. */
  abstract accept(line: string): void;
  /** Forget the previous window's readings. */
  protected abstract reset(): void;
  /** The window's result from the lines accepted. */
  protected abstract result(): PowerReading;

  async start(): Promise<void> {
    this.reset();
    const child = spawn(this.command, this.args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (l) => this.accept(l));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  }

  async stop(): Promise<PowerReading> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    return this.result();
  }
}
