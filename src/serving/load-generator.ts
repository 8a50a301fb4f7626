/**
 * MLPerf LoadGen's four scenarios, driving the scheduler (dynamic-batcher.ts) with real samples.
 * Times are performance.now() ms; what a query's latency is measured from follows LoadGen:
 *
 * - SingleStream: one single-sample query at a time, the next issued when the last completes;
 *   latency from its issue.
 * - MultiStream: the same with queries of N samples; a query completes with its last sample.
 * - Server: single-sample queries at Poisson arrival times fixed before the run; latency from each
 *   query's scheduled arrival, not from when the generator got to it, so a generator or system
 *   that falls behind shows as latency (no coordinated omission).
 * - Offline: every sample offered at once; the measure is samples per second.
 */
import { maxOverBound } from '../stats/early-stopping.js';
import { poissonArrivals } from '../stats/poisson-arrivals.js';
import type { DynamicBatcher } from './dynamic-batcher.js';

export type Scenario = 'single-stream' | 'multi-stream' | 'server' | 'offline';

export interface RunLimits {
  minDurationMs: number;
  minQueries: number;
  /** A run still short of its minimums by then stops (and is invalid). */
  maxDurationMs: number;
}

export interface ScenarioOutcome {
  scenario: Scenario;
  samplesPerQuery: number;
  /** Per query, from the run's start: when it was due (Server: its scheduled arrival; else its issue). */
  dueMs: number[];
  /** Per query: completion minus due; NaN for one that never completed (a run given up on). */
  latencyMs: number[];
  /** Per query: when the generator actually issued it minus when it was due (Server's own lag). */
  issueLagMs: number[];
  /** Start to the last completion (to the moment it was given up, for a run given up on). */
  durationMs: number;
  /** The last query's due time: LoadGen's min-duration rule reads it (final scheduled or issued time). */
  lastDueMs: number;
  /** Why the run stopped before issuing every query it planned, if it did. */
  aborted: string | null;
  /** The rate the Server schedule aimed at. */
  targetQps: number | null;
}

/** How many distinct preprocessed samples the run cycles through (LoadGen's performance sample count). */
export interface SampleSet {
  count: number;
}

const nowMs = () => performance.now();

/** A futex word nobody wakes: Atomics.wait on it is a sleep with sub-millisecond resolution. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** The longest the Server generator sleeps without turning the event loop (see runServer). */
const SLEEP_STEP_MS = 0.25;

function sampleCycle(samples: SampleSet): () => number {
  let k = 0;
  return () => k++ % samples.count;
}

/** One query of `n` samples through the batcher; resolves with its completion time. */
function issueQuery(batcher: DynamicBatcher, n: number, nextSample: () => number): Promise<number> {
  return new Promise((resolve) => {
    let left = n;
    let last = 0;
    batcher.enqueue(Array.from({ length: n }, () => ({
      sample: nextSample(),
      done: (t: number) => {
        last = Math.max(last, t);
        if (--left === 0) resolve(last);
      },
    })));
  });
}

/** SingleStream (samplesPerQuery 1) and MultiStream (N): a closed loop of one query at a time. */
export async function runStream(batcher: DynamicBatcher, samples: SampleSet, samplesPerQuery: number, limits: RunLimits): Promise<ScenarioOutcome> {
  const next = sampleCycle(samples);
  const start = nowMs();
  const dueMs: number[] = [];
  const latencyMs: number[] = [];
  let end = start;
  for (;;) {
    // LoadGen's rule: queries are issued until one is issued at or after the minimum duration.
    const lastIssued = dueMs.at(-1) ?? -1;
    if ((lastIssued >= limits.minDurationMs && dueMs.length >= limits.minQueries) || end - start >= limits.maxDurationMs) break;
    const issued = nowMs();
    const done = await Promise.race([issueQuery(batcher, samplesPerQuery, next), batcher.failed]);
    dueMs.push(issued - start);
    latencyMs.push(done - issued);
    end = done;
  }
  return {
    scenario: samplesPerQuery === 1 ? 'single-stream' : 'multi-stream', samplesPerQuery, dueMs, latencyMs,
    issueLagMs: dueMs.map(() => 0), durationMs: end - start, lastDueMs: dueMs.at(-1) ?? 0, aborted: null, targetQps: null,
  };
}

export interface ServerOptions {
  targetQps: number;
  seed: number;
  boundMs: number;
  percentile: number;
  /**
   * Give the run up once it is certain to fail (the default: a capacity search learns nothing more
   * from the rest of it). bench:serving turns it off to compare whole runs with the Python harness,
   * which, like LoadGen, always runs to the end.
   */
  stopWhenCertainToFail?: boolean;
}

/**
 * Server: the schedule is drawn first, then each query is issued when due (a timer per arrival,
 * every query already due issued at once when the generator wakes late). The run is given up once
 * it cannot pass any more (more queries over the bound, completed or still waiting past it, than a
 * run of this length may have; unless opts.stopWhenCertainToFail is false), or past the maximum
 * duration: its latencies then cover what completed, and the queries still waiting count with what
 * they had waited so far, a lower bound.
 */
export async function runServer(batcher: DynamicBatcher, samples: SampleSet, limits: RunLimits, opts: ServerOptions): Promise<ScenarioOutcome> {
  const arrivals = poissonArrivals(opts.targetQps, limits.minDurationMs, limits.minQueries, opts.seed);
  const n = arrivals.length;
  const allowedOver = Math.min(maxOverBound(n, opts.percentile), n - 1 - Math.floor(n * opts.percentile));
  const next = sampleCycle(samples);
  const completed = new Float64Array(n).fill(NaN);
  const issueLagMs: number[] = [];
  let issued = 0;
  let completedCount = 0;
  let completedOver = 0;
  let aborted: string | null = null;
  let abortedAt = 0;
  // A few ms of lead so the first arrivals are not due before the loop runs.
  const start = nowMs() + 5;
  let finish!: () => void;
  const allDone = new Promise<void>((resolve) => { finish = resolve; });

  const issueDue = () => {
    const now = nowMs();
    while (issued < n && start + arrivals[issued]! <= now && !aborted) {
      const q = issued++;
      issueLagMs.push(now - (start + arrivals[q]!));
      void issueQuery(batcher, 1, next).then((t) => {
        completed[q] = t;
        completedCount++;
        if (t - (start + arrivals[q]!) > opts.boundMs) completedOver++;
        if (completedCount === issued && (issued === n || aborted)) finish();
      });
    }
    if (issued < n && !aborted) {
      // libuv keeps timers in whole milliseconds: a timer fires up to a millisecond early or late (0.65 ms
      // of mean lag on a null system, bench:serving). So a timer only brings the generator to within
      // about a millisecond of the next arrival, and the rest is slept in short steps on a futex, which
      // wakes about a tenth of a millisecond late (issue lag, bench:serving). Between steps the loop
      // turns, so the instances' replies are heard at most SLEEP_STEP_MS late. Spinning through the
      // loop instead kept a core busy (taken from the instances) and allocated on every turn; the null
      // system's p99 was near 2 ms with it (docs/BENCHMARKS.md).
      const wait = start + arrivals[issued]! - nowMs();
      if (wait >= 2) timer = setTimeout(issueDue, wait - 1);
      else {
        if (wait > 0) Atomics.wait(sleeper, 0, 0, Math.min(wait, SLEEP_STEP_MS));
        setImmediate(issueDue);
      }
    }
  };
  /** Queries over the bound for certain: completed ones, and any still waiting longer than it. */
  const overForCertain = () => {
    const now = nowMs();
    let over = completedOver;
    for (let q = 0; q < n && start + arrivals[q]! < now - opts.boundMs; q++) if (Number.isNaN(completed[q]!)) over++;
    return over;
  };
  const giveUp = (why: string) => {
    aborted = why;
    abortedAt = nowMs();
    if (timer) clearTimeout(timer);
    batcher.dropQueued();
    finish();
  };
  let timer: NodeJS.Timeout | null = setTimeout(issueDue, 5);
  const watch = setInterval(() => {
    const over = overForCertain();
    if (opts.stopWhenCertainToFail !== false && over > allowedOver) giveUp(`certain to fail: ${over} queries over the ${opts.boundMs.toFixed(2)} ms bound, a run of ${n} may have at most ${Math.max(0, allowedOver)}`);
    else if (nowMs() - start > limits.maxDurationMs) giveUp(`still running after the ${limits.maxDurationMs / 1000} s maximum duration`);
  }, 50);
  try {
    await Promise.race([allDone, batcher.failed]);
  } finally {
    clearInterval(watch);
    if (timer) clearTimeout(timer);
  }
  // In-flight batches of a run given up on finish on their own; the next run waits for them.
  await batcher.drained();
  const dueMs = Array.from(arrivals.subarray(0, Math.max(issued, aborted ? 0 : n)));
  const latencyMs = dueMs.map((d, q) => (Number.isNaN(completed[q]!) ? NaN : completed[q]! - (start + d)));
  const lastDone = completed.reduce((a, t) => (Number.isNaN(t) ? a : Math.max(a, t)), start);
  return {
    scenario: 'server', samplesPerQuery: 1, dueMs, latencyMs, issueLagMs, durationMs: (aborted ? abortedAt : lastDone) - start,
    lastDueMs: dueMs.at(-1) ?? 0, aborted, targetQps: opts.targetQps,
  };
}

/**
 * Offline: `count` samples offered at once (at least the minimum; more when the first pass ends
 * before the minimum duration: the run is repeated, twice at most, with enough samples, as LoadGen asks of an
 * Offline run that is too short).
 */
export async function runOffline(batcher: DynamicBatcher, samples: SampleSet, limits: RunLimits): Promise<ScenarioOutcome> {
  const next = sampleCycle(samples);
  let count = limits.minQueries;
  for (let attempt = 0; ; attempt++) {
    const start = nowMs();
    const done = await Promise.race([issueQuery(batcher, count, next), batcher.failed]);
    const durationMs = done - start;
    if (durationMs >= limits.minDurationMs || attempt === 2) {
      return {
        scenario: 'offline', samplesPerQuery: count, dueMs: [0], latencyMs: [durationMs], issueLagMs: [0], durationMs,
        lastDueMs: durationMs, aborted: null, targetQps: null,
      };
    }
    count = Math.ceil(count * (limits.minDurationMs / durationMs) * 1.25);
  }
}
