/**
 * Issue 21's checks of the capacity search, on one host, without Temporal (docs/SERVING.md
 * "Checking the search"): a kit model served with batching off and one instance, its SingleStream
 * p50 setting the bound (4×), then capacity searches back to back with the search the study's
 * workflow runs (src/stats/capacity-search.ts), each trial a full Server run of runServing. Then
 * the independent harness (scripts/python/serving_reference.py, Python onnxruntime, same samples)
 * serves the highest valid rate the first search found, and 1.5× it, as ours does again:
 *   (a) its p99 at that rate is within 25% of ours; (b) at 1.5× neither run is valid;
 *   (c) the searches' answers side by side.
 * When the first search finds no valid rate, the independent harness runs at every rate it tried
 * instead, to tell a host that serves none of them within the bound from a failure of ours.
 *
 *   npm run serving:check -- --model squeezenet1.1_zoo-weights_opset13 --shard FILE.arrow --out DIR [--python PY] [--seconds 20] [--threads 2]
 *   npm run serving:check -- --render DIR/serving-check.json
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import { runServing, type ServingRunRequest } from '../src/serving/serving-run.js';
import { capacityOf, nextTrialQps, searchFloorQps, type Capacity, type CapacityTrial } from '../src/stats/capacity-search.js';
import { fromPython, modelOf, oursServer, pythonServer, referencePython, singleSampleInput, writeSamples, type ServerRun } from './serving-harness.js';

const MIN_QUERIES = 1000;
const SAMPLES = 64;
/** The study's defaults (study-spec.ts, serving.search). */
const SEARCH = { precision: 0.1, maxTrials: 10, startFraction: 0.25, minQps: 0.5 };

interface Search { search: number; trials: ServerRun[]; capacity: Capacity }

export interface ServingCheck {
  date: string;
  command: string;
  host: { cpu: string; cores: number; loadavg_1m_before: number; node: string; python_onnxruntime: string };
  model: string;
  threads: number;
  samples: number;
  samples_sha256: string;
  min_duration_s: number;
  min_queries: number;
  single_stream: { p50_ms: number; p90_ms: number; queries: number };
  bound_ms: number;
  searches: Search[];
  /** At the first search's highest valid rate and 1.5× it: the Python harness, and ours again at 1.5×. */
  at_capacity: null | { qps: number; ours: ServerRun; python: ServerRun };
  above_capacity: null | { qps: number; ours: ServerRun; python: ServerRun };
  /**
   * When the first search found no valid rate: the Python harness at the lowest rate it tried, beside
   * that trial of ours, to tell a host that cannot serve the model within the bound from our harness.
   */
  at_lowest_tried?: null | { qps: number; ours: ServerRun; python: ServerRun };
  /**
   * Checks since 2026-12-07, in place of at_lowest_tried: when the first search found no valid rate,
   * the Python harness at every rate that search tried, so that a rate it serves within the bound
   * where ours did not is seen, wherever the search went.
   */
  at_each_tried?: { qps: number; ours: ServerRun; python: ServerRun }[];
  /** What failed after the searches (the Python harness), so that the searches are kept. */
  errors: string[];
}

const { values: args } = parseArgs({ options: {
  model: { type: 'string', default: 'squeezenet1.1_zoo-weights_opset13' },
  shard: { type: 'string' },
  python: { type: 'string' },
  out: { type: 'string' },
  seconds: { type: 'string', default: '20' },
  threads: { type: 'string', default: '2' },
  searches: { type: 'string', default: '2' },
  render: { type: 'string' },
} });


async function measure(shardFile: string): Promise<ServingCheck> {
  const seconds = Number(args.seconds);
  const threads = Number(args.threads);
  const { py, onnxruntime: pyOrt } = await referencePython(args.python);
  const loadBefore = os.loadavg()[0]!;
  const m = await modelOf(args.model!);
  const { inputDtype, fixedBatch } = await singleSampleInput(m);
  const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-serving-check-'));
  try {
    const samples = await writeSamples(m, inputDtype, path.resolve(shardFile), SAMPLES, work);
    const limits = { minDurationMs: seconds * 1000, minQueries: MIN_QUERIES, maxDurationMs: seconds * 1000 * 6 };
    const base: Omit<ServingRunRequest, 'targetQps' | 'seed' | 'boundMs'> = {
      modelPath: m.path, runtime: onnxruntime.id, provider: 'cpu', inputDtype, fixedBatch, preprocessing: m.preprocessing,
      shardFile: path.resolve(shardFile), crop: m.preprocessing.crop, sampleCount: samples.count,
      scheduler: { maxBatch: 1, maxQueueDelayMs: 0, instances: 1, threadsPerInstance: threads, spinning: true },
      scenario: 'server', samplesPerQuery: 1, percentile: 0.99, limits, warmupSeconds: 2,
    };
    const ss = await runServing({ ...base, scenario: 'single-stream', targetQps: null, boundMs: null, seed: 1,
      limits: { minDurationMs: Math.min(seconds, 10) * 1000, minQueries: 256, maxDurationMs: 60_000 } });
    const bound = 4 * ss.figures.p50_ms!;
    console.error(`${m.id}: SingleStream p50 ${ss.figures.p50_ms!.toFixed(3)} ms, bound ${bound.toFixed(3)} ms`);
    const settings = {
      startQps: SEARCH.startFraction * (1000 / ss.figures.p50_ms!), precision: SEARCH.precision, maxTrials: SEARCH.maxTrials,
      minQps: searchFloorQps(SEARCH.minQps, MIN_QUERIES, limits.maxDurationMs / 1000),
    };
    const server = (qps: number, seed: number, rep: number) => oursServer({ ...base, targetQps: qps, boundMs: bound, seed }, rep);
    const python = async (qps: number, seed: number) => fromPython(await pythonServer(py, ['--scenario', 'server', '--qps', String(qps), '--bound-ms', String(bound),
      '--model', m.path, '--samples', samples.raw, '--dtype', inputDtype, '--shape', samples.shape.join(','), '--threads', String(threads),
      '--min-duration', String(seconds), '--min-queries', String(MIN_QUERIES), '--seed', String(seed)]), 1, seed);

    const searches: Search[] = [];
    for (let s = 1; s <= Number(args.searches); s++) {
      const trials: ServerRun[] = [];
      const seen: CapacityTrial[] = [];
      for (let qps = nextTrialQps(seen, settings); qps !== null; qps = nextTrialQps(seen, settings)) {
        const r = await server(qps, s * 100 + trials.length, trials.length + 1);
        trials.push(r);
        seen.push({ qps, valid: r.valid });
        console.error(`search ${s} trial ${trials.length}: ${qps.toFixed(1)} QPS, p99 ${r.p99_ms.toFixed(3)} ms, ${r.valid ? 'valid' : 'invalid'}`);
      }
      searches.push({ search: s, trials, capacity: capacityOf(seen, settings) });
      // Kept as it goes: a check stopped later still leaves its finished searches.
      await mkdir(args.out!, { recursive: true });
      await writeFile(path.join(args.out!, 'serving-check.partial.json'), `${JSON.stringify({ single_stream: ss.figures, bound_ms: bound, searches }, null, 1)}\n`);
    }
    const best = searches[0]!.capacity.maxValidQps;
    let atCapacity: ServingCheck['at_capacity'] = null;
    let aboveCapacity: ServingCheck['above_capacity'] = null;
    const atEach: NonNullable<ServingCheck['at_each_tried']> = [];
    const errors: string[] = [];
    if (best !== null) {
      try {
        const ours = searches[0]!.trials.find((t) => t.target_qps === best)!;
        atCapacity = { qps: best, ours, python: await python(best, 1) };
        aboveCapacity = { qps: 1.5 * best, ours: await server(1.5 * best, 9001, 1), python: await python(1.5 * best, 2) };
      } catch (err) {
        errors.push(String((err as Error).message ?? err).split('\n')[0]!);
      }
    } else {
      try {
        for (const [i, ours] of searches[0]!.trials.entries()) {
          const py = await python(ours.target_qps, 3 + i);
          atEach.push({ qps: ours.target_qps, ours, python: py });
          console.error(`python at ${ours.target_qps.toFixed(1)} QPS: p99 ${py.p99_ms.toFixed(3)} ms, ${py.valid ? 'valid' : 'invalid'}`);
        }
      } catch (err) {
        errors.push(String((err as Error).message ?? err).split('\n')[0]!);
      }
    }
    return {
      date: new Date().toISOString(), command: `npm run serving:check -- --model ${m.id} --seconds ${seconds} --threads ${threads}`,
      host: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), loadavg_1m_before: loadBefore, node: process.version, python_onnxruntime: pyOrt },
      model: m.id, threads, samples: samples.count, samples_sha256: samples.sha256, min_duration_s: seconds, min_queries: MIN_QUERIES,
      single_stream: { p50_ms: ss.figures.p50_ms!, p90_ms: ss.figures.p90_ms!, queries: ss.figures.queries }, bound_ms: bound,
      searches, at_capacity: atCapacity, above_capacity: aboveCapacity, at_each_tried: atEach, errors,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const f3 = (x: number) => x.toFixed(3);
const f1 = (x: number) => x.toFixed(1);
const verdict = (r: ServerRun) => (r.valid ? 'valid' : `invalid${r.invalid_reasons?.length ? ` (${r.invalid_reasons.join('; ')})` : ''}`);

/** The check as Markdown, every figure read from its JSON. */
export function render(c: ServingCheck): string {
  const lines = [
    `Serving check of ${c.date}: ${c.host.cpu} (${c.host.cores} cores), load ${c.host.loadavg_1m_before.toFixed(2)} before; node ${c.host.node}, Python onnxruntime ${c.host.python_onnxruntime}. Command: \`${c.command}\`.`,
    `${c.model}, batching off, one instance of ${c.threads} threads, ${c.samples} samples; runs of at least ${c.min_duration_s} s and ${c.min_queries} queries. `
      + `SingleStream p50 ${f3(c.single_stream.p50_ms)} ms (${c.single_stream.queries} queries): bound p99 ≤ ${f3(c.bound_ms)} ms.`,
    '',
    '| search | trial | target QPS | achieved QPS | p50 ms | p99 ms | valid |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...c.searches.flatMap((s) => s.trials.map((t, i) => `| ${s.search} | ${i + 1} | ${f1(t.target_qps)} | ${f1(t.achieved_qps)} | ${f3(t.p50_ms)} | ${f3(t.p99_ms)} | ${verdict(t)} |`)),
    '',
    ...c.searches.map((s) => `Search ${s.search}: highest valid ${s.capacity.maxValidQps === null ? 'none' : `${f1(s.capacity.maxValidQps)} QPS`}, `
      + `lowest invalid above it ${s.capacity.minInvalidQps === null ? 'none' : `${f1(s.capacity.minInvalidQps)} QPS`}; ended ${s.capacity.ended}${s.capacity.nonMonotonic ? ', not monotonic' : ''}.`),
  ];
  const answers = c.searches.map((s) => s.capacity.maxValidQps);
  if (answers.length > 1) {
    const known = answers.filter((a): a is number => a !== null);
    const spread = known.length === answers.length ? (Math.max(...known) / Math.min(...known) - 1) * 100 : null;
    lines.push(`(c) The searches ${spread === null ? 'do not all find a valid rate' : spread < 10 ? `agree within 10% (${f1(spread)}% apart)` : `disagree: ${f1(spread)}% apart`}.`);
  }
  lines.push('');
  if (c.at_capacity && c.above_capacity) {
    const a = c.at_capacity;
    const diff = (a.python.p99_ms / a.ours.p99_ms - 1) * 100;
    const b = c.above_capacity;
    lines.push(
      '| rate | harness | target QPS | achieved QPS | p50 ms | p99 ms | valid |',
      '| --- | --- | ---: | ---: | ---: | ---: | --- |',
      ...[['highest valid', a], ['1.5 ×', b]].flatMap(([name, x]) => {
        const r = x as NonNullable<ServingCheck['at_capacity']>;
        return [r.ours, r.python].map((t) => `| ${name as string} | ${t.harness} | ${f1(t.target_qps)} | ${f1(t.achieved_qps)} | ${f3(t.p50_ms)} | ${f3(t.p99_ms)} | ${verdict(t)} |`);
      }),
      '',
      `(a) At ${f1(a.qps)} QPS the Python harness's p99 is ${f3(a.python.p99_ms)} ms against ours ${f3(a.ours.p99_ms)}: ${diff >= 0 ? '+' : ''}${f1(diff)}%, ${Math.abs(diff) <= 25 ? 'within' : 'outside'} 25%.`,
      `(b) At ${f1(b.qps)} QPS: ours ${b.ours.valid ? 'valid' : 'invalid'}, Python ${b.python.valid ? 'valid' : 'invalid'}: ${!b.ours.valid && !b.python.valid ? 'no overclaim' : 'a valid run above the reported capacity'}.`,
      '',
    );
  } else {
    const anyValid = c.searches.some((x) => x.capacity.maxValidQps !== null);
    lines.push(c.searches[0]?.capacity.maxValidQps !== null ? 'Checks (a) and (b) did not run.'
      : anyValid ? 'The first search found no valid rate: checks (a) and (b), which run at its answer, had no rate to run at.'
        : 'No valid Server rate: checks (a) and (b) have no rate to run at.', '');
  }
  if (c.at_lowest_tried) {
    const { qps, ours, python } = c.at_lowest_tried;
    lines.push(
      `At the lowest rate the first search tried, ${f1(qps)} QPS, the Python harness: achieved ${f1(python.achieved_qps)} QPS, p50 ${f3(python.p50_ms)} ms, p99 ${f3(python.p99_ms)} ms, ${verdict(python)}; `
        + `ours: p50 ${f3(ours.p50_ms)} ms, p99 ${f3(ours.p99_ms)} ms, ${ours.valid ? 'valid' : 'invalid'}. `
        + (python.valid ? 'The independent harness serves this rate within the bound: the failure is ours.' : 'The independent harness cannot serve this rate within the bound either.'),
      '',
    );
  }
  if (c.at_each_tried?.length) {
    const served = c.at_each_tried.filter((x) => x.python.valid);
    lines.push(
      `The first search found no valid rate, so the Python harness ran at every rate it tried, beside that trial of ours (ours stops a run once it is certain to fail, so its p99 there is over fewer queries):`,
      '',
      '| target QPS | harness | achieved QPS | queries | p50 ms | p99 ms | valid |',
      '| ---: | --- | ---: | ---: | ---: | ---: | --- |',
      ...c.at_each_tried.flatMap((x) => [x.ours, x.python].map((t) => `| ${f1(x.qps)} | ${t.harness} | ${f1(t.achieved_qps)} | ${t.queries} | ${f3(t.p50_ms)} | ${f3(t.p99_ms)} | ${verdict(t)} |`)),
      '',
      served.length
        ? `The independent harness served ${served.map((x) => `${f1(x.qps)}`).join(', ')} QPS within the bound, where our trial at that rate failed. One trial each at a rate is one draw of a random event, so this says the host can serve such a rate, not that it always does.`
        : `The independent harness served none of these ${c.at_each_tried.length} rates within the bound either.`,
      '',
    );
  }
  if (c.errors?.length) lines.push('Errors:', ...c.errors.map((e) => `- ${e}`), '');
  return lines.join('\n');
}

// Last, so that the helpers above are initialised before the top-level await runs.
// A bad argument, model or file is said in one line (exit 2), not as a stack.
try {
  if (args.render) {
    const text = await readFile(args.render, 'utf8');
    let check: ServingCheck;
    try {
      check = JSON.parse(text) as ServingCheck;
    } catch (err) {
      throw new Error(`${args.render}: not a serving check's JSON (${(err as Error).message})`);
    }
    process.stdout.write(render(check));
  } else {
    if (!args.out || !args.shard) throw new Error('give --shard FILE.arrow and --out DIR (or --render FILE.json)');
    const check = await measure(args.shard);
    await mkdir(args.out, { recursive: true });
    await writeFile(path.join(args.out, 'serving-check.json'), `${JSON.stringify(check, null, 1)}\n`);
    await rm(path.join(args.out, 'serving-check.partial.json'), { force: true });
    process.stdout.write(render(check));
  }
} catch (err) {
  process.stderr.write(`serving:check: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
