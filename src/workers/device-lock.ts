/**
 * One timing at a time on this host. Device workers also run with one activity slot each, but in
 * local mode several device queues share one process and one CPU, so timing activities take this
 * lock as well: two measurements overlapping would both be wrong.
 */
let tail: Promise<void> = Promise.resolve();

export async function withDeviceLock<T>(fn: () => Promise<T>): Promise<T> {
  const previous = tail;
  let release!: () => void;
  tail = new Promise<void>((r) => { release = r; });
  await previous;
  try {
    return await fn();
  } finally {
    release();
  }
}
