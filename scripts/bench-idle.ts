/**
 * Does a query that arrives at an idle system run slower, and is the slowness ours? (issue 21,
 * docs/SERVING.md "Checking the search"). On the 2-core VMs, Server runs at a sixteenth of the
 * SingleStream rate failed a bound of 4 × the SingleStream p50 with both our harness and the
 * independent Python one. This measures where that comes from: one kit model at batch 1, run once
 * every GAP ms (0: back to back, as SingleStream does), each setting in a fresh process:
 *
 * - `direct`: the session on the process's main thread, awaited in turn (as the Python harness
 *   runs its model);
 * - `instance`: through the serving instance pool (src/serving/instance-pool.ts: a worker thread,
 *   what runServing uses), latency from the request to the instance's completion stamp;
 *
 * at 1 and 2 intra-op threads (spinning, the sweep's setting). The settings run in rounds, each
 * round every setting once, so a slow minute of the host falls on all of them; every round is kept.
 * The input is a constant tensor: a dense float model's time does not depend on its values.
 *
 *   npm run bench:idle -- --measure --file docs/benchmarks/idle-gap-DATE.json [--rounds 3] [--runs 150]   # ~4 min
 *   npm run bench:idle -- --file docs/benchmarks/idle-gap-DATE.json                                     # the summary
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { openClassifier } from '../src/runtime/classifier.js';
import { inProcessRuntime } from '../src/runtime/registry.js';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import { openInstancePool } from '../src/serving/instance-pool.js';
import { median } from '../src/stats/quantiles.js';
import { modelOf } from './serving-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: {
  measure: { type: 'boolean', default: false },
  file: { type: 'string' },
  model: { type: 'string', default: 'squeezenet1.1_zoo-weights_opset13' },
  rounds: { type: 'string', default: '3' },
  runs: { type: 'string', default: '150' },
  child: { type: 'string' },
} });

const MODES = ['direct', 'instance'] as const;
const THREADS = [1, 2];
const GAPS_MS = [0, 10, 60];
const WARMUP_RUNS = 50;

interface Setting { mode: (typeof MODES)[number]; threads: number; gapMs: number }
interface Measured extends Setting { round: number; runs: number; p50_ms: number; p90_ms: number; p99_ms: number }
interface IdleBench { date: string; command: string; host: { cpu: string; cores: number; node: string }; model: string; runs: number; results: Measured[] }

const quantile = (xs: number[], q: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]!; };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One setting, in this process: the latency of each of `runs` runs after the warm-up. */
async function child(s: Setting, runs: number): Promise<number[]> {
  const m = await modelOf(args.model!);
  const dims = [3, m.preprocessing.crop, m.preprocessing.crop];
  const n = dims.reduce((a, d) => a * d, 1);
  let once: () => Promise<number>;
  let close: () => Promise<void>;
  if (s.mode === 'direct') {
    const c = await openClassifier(inProcessRuntime(onnxruntime.id), m.path, { provider: 'cpu', threads: s.threads, spinning: true });
    if (c.inputDtype !== 'float32') throw new Error(`${m.id} takes ${c.inputDtype} input: give a float32 model`);
    const input = { type: 'float32' as const, data: new Float32Array(n).fill(0.5), dims: [1, ...dims] };
    once = async () => { const t = performance.now(); await c.handle.run({ [c.inputName]: input }); return performance.now() - t; };
    close = () => c.handle.dispose();
  } else {
    const samples = new SharedArrayBuffer(n * 4);
    new Float32Array(samples).fill(0.5);
    const pool = await openInstancePool({
      modelPath: m.path, runtime: onnxruntime.id, provider: 'cpu', threads: s.threads, spinning: true, samples, dtype: 'float32', sampleDims: dims, fixedBatch: null,
    }, 1);
    once = async () => { const t = performance.now(); const done = await pool.run(0, [0]); return (typeof done === 'number' ? done : performance.now()) - t; };
    close = () => pool.close();
  }
  for (let i = 0; i < WARMUP_RUNS; i++) await once();
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (s.gapMs > 0) await sleep(s.gapMs);
    latencies.push(await once());
  }
  await close();
  return latencies;
}

async function measure(file: string): Promise<void> {
  const runs = Number(args.runs);
  const results: Measured[] = [];
  const settings = MODES.flatMap((mode) => THREADS.flatMap((threads) => GAPS_MS.map((gapMs) => ({ mode, threads, gapMs }))));
  for (let round = 1; round <= Number(args.rounds); round++) {
    // Rotate the order each round, so no setting always follows the same one.
    const order = settings.map((_, i) => settings[(i + round - 1) % settings.length]!);
    for (const s of order) {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify({ ...s, runs }), '--model', args.model!], { cwd: ROOT });
      const latencies = JSON.parse(stdout) as number[];
      results.push({ ...s, round, runs: latencies.length, p50_ms: quantile(latencies, 0.5), p90_ms: quantile(latencies, 0.9), p99_ms: quantile(latencies, 0.99) });
      console.error(`round ${round} ${s.mode} ${s.threads}t gap ${s.gapMs} ms: p50 ${results.at(-1)!.p50_ms.toFixed(3)} ms`);
    }
  }
  const bench: IdleBench = {
    date: new Date().toISOString(), command: `npm run bench:idle -- --measure --rounds ${args.rounds} --runs ${runs}`,
    host: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version }, model: args.model!, runs, results,
  };
  await writeFile(file, `${JSON.stringify(bench, null, 1)}\n`);
}

/** The summary docs/BENCHMARKS.md quotes, every figure from the file. */
export function summary(b: IdleBench): string {
  const f = (x: number) => x.toFixed(2);
  const of = (mode: string, threads: number, gapMs: number) => b.results.filter((r) => r.mode === mode && r.threads === threads && r.gapMs === gapMs);
  const spread = (xs: number[]) => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
  const rounds = new Set(b.results.map((r) => r.round)).size;
  const lines = [
    `Host: ${b.host.cpu} (${b.host.cores} cores), node ${b.host.node}. ${b.model}, batch 1, ${b.runs} runs per setting after ${WARMUP_RUNS} warm-up runs, `
      + `${rounds} rounds of fresh processes. Per setting: the median over rounds (min–max) of each round's p50 and p99, ms.`,
    '',
    '| threads | gap ms | direct p50 | instance p50 | direct p99 | instance p99 | p50 after the gap / back to back, direct | same, instance |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const threads of THREADS) {
    for (const gapMs of GAPS_MS) {
      const [d, i] = [of('direct', threads, gapMs), of('instance', threads, gapMs)];
      const slow = (mode: string, xs: Measured[]) => f(median(xs.map((r) => r.p50_ms)) / median(of(mode, threads, 0).map((r) => r.p50_ms)));
      lines.push(`| ${threads} | ${gapMs} | ${spread(d.map((r) => r.p50_ms))} | ${spread(i.map((r) => r.p50_ms))} | ${spread(d.map((r) => r.p99_ms))} | ${spread(i.map((r) => r.p99_ms))} | ${slow('direct', d)} | ${slow('instance', i)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

try {
  if (args.child) {
    const s = JSON.parse(args.child) as Setting & { runs: number };
    process.stdout.write(JSON.stringify(await child(s, s.runs)));
  } else {
    if (!args.file) throw new Error('give --file FILE.json (with --measure: where the results go)');
    const file = path.resolve(ROOT, args.file);
    if (args.measure) await measure(file);
    process.stdout.write(summary(JSON.parse(await readFile(file, 'utf8')) as IdleBench));
  }
} catch (err) {
  process.stderr.write(`bench:idle: ${(err as Error).message}\n`);
  process.exitCode = 2;
}
