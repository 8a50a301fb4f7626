/**
 * The scheduler in front of the model's instances, as Triton's dynamic batcher: samples wait in
 * one FIFO queue; an idle instance takes up to `maxBatch` of them, at once when that many wait,
 * else once the oldest has waited `maxQueueDelayMs` (so a lone request is not held for ever).
 * `maxBatch` 1 is batching off: every sample runs alone as soon as an instance is free.
 */
import type { BatchRunner } from './instance-pool.js';

export interface BatchingSetting {
  maxBatch: number;
  maxQueueDelayMs: number;
}

export interface QueuedSample {
  sample: number;
  /** Called with the time its batch finished (performance.now() ms). */
  done: (completedMs: number) => void;
}

interface Waiting extends QueuedSample {
  enqueuedMs: number;
}

export class DynamicBatcher {
  private queue: Waiting[] = [];
  private head = 0;
  /** Batches each instance has been given and not yet finished (at most 2: one running, one next). */
  private readonly inFlight: number[];
  private timer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  private fail!: (err: Error) => void;
  /** Rejects with the first error an instance gave: a scenario waits on it beside its queries. */
  readonly failed: Promise<never>;
  /** Batches run, and samples in them: the mean batch size is what batching achieved. */
  batches = 0;
  batchedSamples = 0;

  constructor(private readonly runner: BatchRunner, private readonly setting: BatchingSetting, private readonly now: () => number = () => performance.now()) {
    this.inFlight = Array.from({ length: runner.instances }, () => 0);
    this.failed = new Promise<never>((_, reject) => { this.fail = reject; });
    this.failed.catch(() => undefined); // observed by whoever waits on it; never an unhandled rejection
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  enqueue(samples: readonly QueuedSample[]): void {
    const at = this.now();
    for (const s of samples) this.queue.push({ ...s, enqueuedMs: at });
    this.pump();
  }

  /** Drops every sample still waiting (a run given up on): they never complete. */
  dropQueued(): void {
    this.queue = [];
    this.head = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Resolves once no batch is running (waiting samples are left alone). */
  async drained(): Promise<void> {
    while (this.inFlight.some((n) => n > 0)) await new Promise((r) => setTimeout(r, 1));
  }

  /**
   * Idle instances take what waits (a full batch, or what the oldest sample's delay lets go). Once
   * every instance runs one, each may be handed one more full batch to start the moment its current
   * one ends: without it, every batch would wait for this thread to hear of the last one's end and
   * send the next (an idle gap per batch, which also cools the caches on a VM). Only full batches:
   * a partial one could still have grown. And only while a full batch waits for every instance:
   * then all of them stay busy for a whole batch anyway, so no sample waits behind a busy instance
   * when another would have freed sooner (with one instance: whenever a full batch waits).
   */
  private pump(): void {
    for (let i = 0; i < this.inFlight.length && this.queued > 0; i++) {
      if (this.inFlight[i]! > 0) continue;
      const waitedMs = this.now() - this.queue[this.head]!.enqueuedMs;
      if (this.queued < this.setting.maxBatch && waitedMs < this.setting.maxQueueDelayMs) {
        this.wakeAfter(this.setting.maxQueueDelayMs - waitedMs);
        return;
      }
      this.dispatch(i, Math.min(this.setting.maxBatch, this.queued));
    }
    if (this.inFlight.every((n) => n > 0)) {
      for (let i = 0; i < this.inFlight.length && this.queued >= this.setting.maxBatch * this.inFlight.length; i++) {
        if (this.inFlight[i] === 1) this.dispatch(i, this.setting.maxBatch);
      }
    }
  }

  private dispatch(instance: number, n: number): void {
    const batch = this.queue.slice(this.head, this.head + n);
    this.head += n;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.inFlight[instance]!++;
    this.batches++;
    this.batchedSamples += n;
    this.runner.run(instance, batch.map((b) => b.sample)).then((doneMs) => {
      const t = typeof doneMs === 'number' ? doneMs : this.now();
      this.inFlight[instance]!--;
      for (const b of batch) b.done(t);
      this.pump();
    }, (err: Error) => {
      this.inFlight[instance]!--;
      if (!this.failure) {
        this.failure = err;
        this.fail(err);
      }
      this.dropQueued();
    });
  }

  private wakeAfter(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, Math.max(0, ms));
  }
}
