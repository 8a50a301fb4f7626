/**
 * One timing at a time on this host. Device workers also run with one activity slot each, but in
 * local mode several device queues share one process and one CPU, so timing activities take this
 * lock as well: two measurements overlapping would both be wrong. The worker set creates one and
 * hands it to every device worker it starts.
 */
export class DeviceLock {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` once every earlier holder has finished; the next waits for this one. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => { release = r; });
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
