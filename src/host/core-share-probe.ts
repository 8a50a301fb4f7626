/**
 * Whether our two threads have a core each or share one, read beside every latency repetition
 * (issue 18 item 5). On a 2-vCPU VM the hypervisor decides where our vCPUs run. Besides moving them
 * apart (core-link-probe.ts), it sometimes puts them on the two hardware threads of one physical
 * core. Then they share its execution units, and a two-thread cell runs far slower. On the Zen 4
 * EPYC VM where this was found, a two-thread SqueezeNet 1.1 b1 took a median 7.09 ms in that state
 * against 4.45 ms, while the round trip between the threads read *faster* than usual (a median
 * 83 ns against 128 ns: the line never leaves the core), so the round-trip rule keeps such
 * repetitions (`npm run bench:core-link`, docs/BENCHMARKS.md). Discarding by this reading is off
 * by default (host-noise.ts maxCoreShareFactor); it is recorded beside every repetition.
 *
 * The probe: a loop of eight independent floating-point multiply chains, enough to keep a core's
 * multiply units busy. It runs on this thread alone, then on this thread and a worker thread at
 * once. With a core each, both finish in about the time of one. On one core's two hardware threads
 * they take turns on the same units, and the pair takes nearly twice as long. The reading is the
 * ratio of the fastest pair to the fastest lone run over a few tries: the fastest, so that a try
 * the OS interrupted does not decide it.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/** Tries of each kind; the fastest of each is kept. */
const TRIES = 5;
/** Iterations of the loop: about 2 ms on a current server core, long beside a thread's wake-up. */
const ITERATIONS = 600_000;
/** A pair that takes this many times the lone run, and at least STALL_MS, means the other thread is not running (one free CPU): no reading. */
const STALL_FACTOR = 20;
const STALL_MS = 250;

const KERNEL = `function work(n) {
  let a = 1.0001, b = 1.0002, c = 1.0003, d = 1.0004, e = 1.0005, f = 1.0006, g = 1.0007, h = 1.0008;
  for (let i = 0; i < n; i++) {
    a *= 1.0000001; b *= 1.0000001; c *= 1.0000001; d *= 1.0000001;
    e *= 0.9999999; f *= 0.9999999; g *= 0.9999999; h *= 0.9999999;
  }
  return a + b + c + d + e + f + g + h;
}`;

/** The worker's side: each time the request counter (slot 0) moves, run the loop and answer in slot 1; a negative request ends it. */
const PARTNER = `${KERNEL}
const { workerData } = require('node:worker_threads');
const f = new Int32Array(workerData.shared);
let seen = 0;
for (;;) {
  Atomics.wait(f, 0, seen);
  seen = Atomics.load(f, 0);
  if (seen < 0) break;
  if (!(work(workerData.iterations) > 0)) throw new Error('no result');
  Atomics.store(f, 1, seen);
}
`;

const work = new Function('n', `${KERNEL}\nreturn work(n);`) as (n: number) => number;

/**
 * How much longer the loop takes on two threads at once than on one (about 1 with a core each,
 * about 2 on one core's two hardware threads); null on a host with one CPU, or when the other thread
 * did not run.
 */
export async function readCoreShareRatio(): Promise<number | null> {
  return os.availableParallelism() < 2 ? null : measureShareRatio();
}

/**
 * The ratio however many CPUs this process may use. On one CPU the two threads take turns and it
 * reads about 2, which says nothing about the host: readCoreShareRatio does not read it there.
 */
export async function measureShareRatio(): Promise<number | null> {
  const shared = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  const f = new Int32Array(shared);
  // execArgv: the partner is plain CommonJS, whatever flags (--input-type=module) started this process.
  const worker = new Worker(PARTNER, { eval: true, execArgv: [], workerData: { shared, iterations: ITERATIONS } });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
    let request = 0;
    /** One pair: the worker starts, this thread runs the loop, then waits for the worker; ms, or null if it never answered. */
    const pair = (limitMs: number): number | null => {
      const start = performance.now();
      Atomics.store(f, 0, ++request);
      Atomics.notify(f, 0);
      work(ITERATIONS);
      while (Atomics.load(f, 1) !== request) {
        if (performance.now() - start > limitMs) return null;
      }
      return performance.now() - start;
    };
    const lone = (): number => {
      const start = performance.now();
      work(ITERATIONS);
      return performance.now() - start;
    };
    // The first runs warm both sides' JIT.
    lone();
    if (pair(1000) === null) return null;
    let fastestLone = Infinity;
    let fastestPair = Infinity;
    for (let i = 0; i < TRIES; i++) {
      fastestLone = Math.min(fastestLone, lone());
      const p = pair(Math.max(STALL_FACTOR * fastestLone, STALL_MS));
      if (p === null) return null;
      fastestPair = Math.min(fastestPair, p);
    }
    return fastestPair / fastestLone;
  } finally {
    Atomics.store(f, 0, -1);
    Atomics.notify(f, 0);
    await worker.terminate();
  }
}
