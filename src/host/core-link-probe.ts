/**
 * How long a cache line takes to travel between two of the host's cores and back, read beside
 * every latency repetition (issue 18 item 5). On a 2-vCPU VM the hypervisor decides where our two
 * vCPUs run, and it moves them: on one Zen 4 EPYC VM the round trip read about 115–150 ns for tens
 * of seconds, then about 330–400 ns, then back, and a two-thread SqueezeNet 1.1 b1 ran 1.45× and
 * 1.48× as long in the second state in two runs (ResNet-50 b1 1.13× and 1.07×; one thread 1.02× to
 * 1.09×; `npm run bench:core-link`, docs/BENCHMARKS.md), while in the bench:repetitions pairs on
 * that VM the hypervisor took a median 0.09–0.10% of the CPU time and other processes 0.004–0.007
 * cores. So this reading sees what the others miss on such a host. The likely cause is the two
 * vCPUs landing on cores that share a last-level cache or not; the reading does not need the cause
 * to tell the states apart.
 *
 * The probe: this thread and a worker thread bounce a counter in a SharedArrayBuffer (each waits,
 * spinning, for the other's increment). It is timed in short bursts and read as the median burst,
 * so a burst in which the OS ran something else on one core does not decide the reading.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { median } from '../stats/quantiles.js';

const BURSTS = 7;
const BURST_MS = 12;
/** A round trip that takes longer than this means the other thread is not running (one free core): the burst ends. */
const STALL_MS = 5;

/** The worker's side: while the flag (slot 1) is 1, answer every odd counter (slot 0) with the next even one. */
const ECHO = `
const { workerData } = require('node:worker_threads');
const f = new Int32Array(workerData);
for (;;) {
  Atomics.wait(f, 1, 0);
  if (Atomics.load(f, 1) < 0) break;
  while (Atomics.load(f, 1) === 1) {
    const v = Atomics.load(f, 0);
    if ((v & 1) === 1) Atomics.store(f, 0, v + 1);
  }
}
`;

/** One burst: ns per round trip, or null when the other thread stopped answering. */
function burst(f: Int32Array, ms: number): number | null {
  Atomics.store(f, 0, 0);
  Atomics.store(f, 1, 1);
  Atomics.notify(f, 1);
  let trips = 0;
  const start = performance.now();
  const end = start + ms;
  let stalled = false;
  while (!stalled && performance.now() < end) {
    for (let i = 0; i < 200; i++) {
      const sent = Atomics.load(f, 0) + 1;
      Atomics.store(f, 0, sent);
      let spins = 0;
      while (Atomics.load(f, 0) === sent) {
        // Checking the clock costs more than a spin: only now and then.
        if (++spins % 4096 === 0 && performance.now() - start > ms + STALL_MS) { stalled = true; break; }
      }
      if (stalled) break;
      trips++;
    }
  }
  const elapsed = performance.now() - start;
  Atomics.store(f, 1, 0);
  return stalled || trips === 0 ? null : (elapsed * 1e6) / trips;
}

/**
 * The round trip of a cache line between this thread and another, ns (median of short bursts,
 * about 100 ms with the worker's start); null on a host with one CPU, where two spinning threads
 * would only take turns, or when the other thread stopped answering in most bursts.
 */
export async function readCoreLinkNs(): Promise<number | null> {
  if (os.availableParallelism() < 2) return null;
  const shared = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const f = new Int32Array(shared);
  // execArgv: the echo is plain CommonJS, whatever flags (--input-type=module) started this process.
  const worker = new Worker(ECHO, { eval: true, execArgv: [], workerData: shared });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
    burst(f, BURST_MS); // the first burst warms both sides' JIT
    const readings: number[] = [];
    for (let i = 0; i < BURSTS; i++) {
      const ns = burst(f, BURST_MS);
      if (ns !== null) readings.push(ns);
    }
    return readings.length > BURSTS / 2 ? median(readings) : null;
  } finally {
    Atomics.store(f, 1, -1);
    Atomics.notify(f, 1);
    await worker.terminate();
  }
}
