/**
 * The dynamic batcher (src/serving/dynamic-batcher.ts) over a fake set of instances that records
 * the batches it is given, and LoadGen's verdicts (src/serving/serving-summary.ts) on made-up runs
 * whose answers are worked out here by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DynamicBatcher } from '../../src/serving/dynamic-batcher.js';
import { openInstancePool, type BatchRunner } from '../../src/serving/instance-pool.js';
import { runServer, type ScenarioOutcome } from '../../src/serving/load-generator.js';
import { summariseRun } from '../../src/serving/serving-summary.js';

/** Instances that run their batches one after another, as instance-worker.ts does, recording what they were given and when. */
function fakeRunner(instances: number, fail = false) {
  const tails: Promise<void>[] = Array.from({ length: instances }, () => Promise.resolve());
  const given = Array.from({ length: instances }, () => 0);
  let running = 0;
  const r = {
    instances, batches: [] as { instance: number; samples: number[] }[], busyAtOnce: 0, mostGiven: 0,
    run(instance: number, samples: readonly number[]): Promise<void> {
      r.batches.push({ instance, samples: [...samples] });
      r.mostGiven = Math.max(r.mostGiven, ++given[instance]!);
      const done = tails[instance]!.then(async () => {
        r.busyAtOnce = Math.max(r.busyAtOnce, ++running);
        await new Promise((res) => setTimeout(res, 2));
        running--;
        given[instance]!--;
        if (fail) throw new Error('instance fell over');
      });
      tails[instance] = done.catch(() => undefined);
      return done;
    },
    async close() {},
  };
  return r;
}

function offer(b: DynamicBatcher, samples: number[]): Promise<number[]> {
  return Promise.all(samples.map((sample) => new Promise<number>((done) => b.enqueue([{ sample, done }]))));
}

test('full batches go at once; the remainder waits for the queue delay, then goes as it is', async () => {
  const runner = fakeRunner(1);
  const b = new DynamicBatcher(runner, { maxBatch: 4, maxQueueDelayMs: 20 });
  await Promise.all([...Array(10).keys()].map((s) => new Promise<number>((done) => b.enqueue([{ sample: s, done }]))));
  // All ten arrive within one tick: the first waits out the delay, by when ten are there.
  assert.deepEqual(runner.batches.map((x) => x.samples.length), [4, 4, 2]);
  assert.deepEqual(runner.batches.flatMap((x) => x.samples), [...Array(10).keys()], 'FIFO, every sample once');
  assert.equal(b.batchedSamples, 10);
});

test('samples offered together form full batches; batching off runs each alone; instances run side by side', async () => {
  const batched = fakeRunner(1);
  const b = new DynamicBatcher(batched, { maxBatch: 4, maxQueueDelayMs: 50 });
  await Promise.all([new Promise<number>((done) => b.enqueue([...Array(10).keys()].map((sample) => ({ sample, done: (t: number) => (sample === 9 ? done(t) : undefined) }))))]);
  await b.drained();
  assert.deepEqual(batched.batches.map((x) => x.samples.length), [4, 4, 2]);

  const alone = fakeRunner(2);
  const c = new DynamicBatcher(alone, { maxBatch: 1, maxQueueDelayMs: 0 });
  await offer(c, [0, 1, 2, 3, 4, 5]);
  assert.ok(alone.batches.every((x) => x.samples.length === 1));
  assert.equal(alone.busyAtOnce, 2);
  assert.deepEqual(new Set(alone.batches.map((x) => x.instance)), new Set([0, 1]));
});

test('with a backlog, each instance is handed its next full batch while it runs one, never more', async () => {
  const runner = fakeRunner(1);
  const b = new DynamicBatcher(runner, { maxBatch: 2, maxQueueDelayMs: 0 });
  // All eight offered at once (as Offline does).
  await new Promise<number>((done) => b.enqueue([...Array(8).keys()].map((sample) => ({ sample, done: (t: number) => (sample === 7 ? done(t) : undefined) }))));
  assert.equal(runner.mostGiven, 2, 'one running and one next');
  assert.deepEqual(runner.batches.map((x) => x.samples.length), [2, 2, 2, 2]);
  // Two instances, one sample waiting: it waits in the queue for whichever frees first.
  const two = fakeRunner(2);
  const c = new DynamicBatcher(two, { maxBatch: 1, maxQueueDelayMs: 0 });
  await offer(c, [0, 1, 2]);
  assert.equal(two.mostGiven, 1);
});

test('an instance\'s error rejects `failed` and drops what waits', async () => {
  const b = new DynamicBatcher(fakeRunner(1, true), { maxBatch: 1, maxQueueDelayMs: 0 });
  b.enqueue([0, 1, 2].map((sample) => ({ sample, done: () => undefined })));
  await assert.rejects(b.failed, /instance fell over/);
  assert.equal(b.queued, 0);
});

function serverRun(latencies: number[], extra: Partial<ScenarioOutcome> = {}): ScenarioOutcome {
  const due = latencies.map((_, i) => i * 25);
  return {
    scenario: 'server', samplesPerQuery: 1, dueMs: due, latencyMs: latencies, issueLagMs: latencies.map(() => 0.1),
    durationMs: due.at(-1)! + 5, lastDueMs: due.at(-1)!, aborted: null, targetQps: 40, ...extra,
  };
}
const limits = { minDurationMs: 20_000, minQueries: 1000, maxDurationMs: 120_000 };

test('a Server run certain to fail is given up, unless told to run to the end as the Python harness does', async () => {
  // Each sample takes 2 ms on its instance and arrivals come at 1000 QPS, so the queue grows and
  // nearly every query misses a 1 ms bound: certain to fail long before the schedule's 300 queries.
  const shortRun = { minDurationMs: 300, minQueries: 300, maxDurationMs: 10_000 };
  const opts = { targetQps: 1000, seed: 7, boundMs: 1, percentile: 0.99 };
  const stopped = await runServer(new DynamicBatcher(fakeRunner(1), { maxBatch: 1, maxQueueDelayMs: 0 }), { count: 4 }, shortRun, opts);
  assert.match(stopped.aborted ?? '', /certain to fail/);
  const whole = await runServer(new DynamicBatcher(fakeRunner(1), { maxBatch: 1, maxQueueDelayMs: 0 }), { count: 4 }, shortRun, { ...opts, stopWhenCertainToFail: false });
  assert.equal(whole.aborted, null);
  assert.ok(whole.latencyMs.length >= 300 && whole.latencyMs.length > stopped.latencyMs.filter((l) => !Number.isNaN(l)).length, `${whole.latencyMs.length} queries`);
  assert.ok(whole.latencyMs.every((l) => Number.isFinite(l) && l > 0));
});

test('Server validity: the p99 within the bound and at most 2 of 1,000 queries over it', () => {
  const fast = Array<number>(1000).fill(5);
  const two = fast.map((l, i) => (i < 2 ? 50 : l));
  const three = fast.map((l, i) => (i < 3 ? 50 : l));
  const ok = summariseRun(serverRun(two), limits, { boundMs: 20, percentile: 0.99 });
  assert.equal(ok.valid, true, ok.invalid_reasons.join('; '));
  assert.equal(ok.overlatency_count, 2);
  assert.equal(ok.p99_ms, 5);
  const bad = summariseRun(serverRun(three), limits, { boundMs: 20, percentile: 0.99 });
  assert.equal(bad.valid, false);
  assert.equal(bad.early_stopping_ok, false);
  assert.equal(bad.early_stopping_queries_needed, 1001);
  // 20 over: the p99 (sorted[990]) is itself over the bound.
  const slow = summariseRun(serverRun(fast.map((l, i) => (i < 20 ? 50 : l))), limits, { boundMs: 20, percentile: 0.99 });
  assert.equal(slow.p99_ms, 50);
  assert.ok(slow.invalid_reasons.some((r) => r.startsWith('p99 50.00 ms over')));
});

test('a short run, a run given up on and SingleStream\'s estimate say what they cannot claim', () => {
  const short = summariseRun(serverRun(Array<number>(400).fill(5)), limits, { boundMs: 20, percentile: 0.99 });
  assert.equal(short.valid, false);
  assert.equal(short.min_queries_met, false);
  assert.equal(short.min_duration_met, false);
  // Given up at 2,000 ms with the last two queries (due at 1,950 and 1,975 ms) never completed: they count at what they had waited.
  const given = summariseRun(serverRun([...Array<number>(78).fill(5), NaN, NaN], { aborted: 'certain to fail', durationMs: 2000 }), limits, { boundMs: 20, percentile: 0.99 });
  assert.equal(given.latency_lower_bound, true);
  assert.equal(given.max_ms, 50);
  assert.equal(given.overlatency_count, 2);
  const ss = summariseRun({ ...serverRun(Array.from({ length: 100 }, (_, i) => i + 1)), scenario: 'single-stream', targetQps: null }, { ...limits, minQueries: 64, minDurationMs: 0 }, { boundMs: null, percentile: 0.99 });
  assert.equal(ss.valid, true, ss.invalid_reasons.join('; '));
  assert.equal(ss.p90_ms, 91);
  assert.ok(ss.early_stop_estimate_ms! >= ss.p90_ms!, 'the estimate is never below the plain percentile');
});

test('a real instance thread stamps its completions on the caller\'s clock, inside the call', async () => {
  // The null system under test: instance threads that answer at once, through the real messages.
  const pool = await openInstancePool({
    modelPath: null, runtime: 'onnxruntime', provider: 'cpu', threads: 1, spinning: false,
    samples: new SharedArrayBuffer(4 * 3), dtype: 'float32', sampleDims: [3], fixedBatch: null,
  }, 2);
  try {
    for (let i = 0; i < 50; i++) {
      const before = performance.now();
      const done = await pool.run(i % 2, [0]);
      const after = performance.now();
      assert.equal(typeof done, 'number');
      assert.ok(before <= done! && done! <= after, `completion ${done} outside the call ${before}..${after}`);
    }
  } finally {
    await pool.close();
  }
});
