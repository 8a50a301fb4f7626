/**
 * What the serving scripts share (bench:serving, serving-check): a Server run as either harness
 * reports it, ours through runServing and the independent one, scripts/python/serving_reference.py
 * (LoadGen's rules written again in Python, driving Python onnxruntime), fed bit for bit the same
 * preprocessed samples.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { kitDir, PROJECT_ROOT } from '../src/config/settings.js';
import { runnerInputs } from '../src/inputs/input-builder.js';
import { openClassifier } from '../src/runtime/classifier.js';
import { onnxruntime } from '../src/runtime/onnxruntime.js';
import type { InputDtype } from '../src/inputs/normalise.js';
import { readShard } from '../src/prepare/arrow-shards.js';
import { runServing, type ServingRunRequest } from '../src/serving/serving-run.js';
import { loadCatalog, resolveModel, type ResolvedModel } from '../src/study/catalog.js';

const run = promisify(execFile);

export type Harness = 'dnnbench' | 'python';

/** One Server run as either harness reports it, in the fields both have. */
export interface ServerRun {
  harness: Harness;
  rep: number;
  seed: number;
  target_qps: number;
  achieved_qps: number;
  queries: number;
  mean_ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  issue_lag_mean_ms: number;
  valid: boolean;
  /** Ours only: the rate its Poisson schedule drew (queries over the last arrival), which achieved QPS follows. */
  scheduled_qps?: number;
  /** Ours only: why the run was invalid (a run given up on reports lower bounds). */
  invalid_reasons?: string[];
}

/** The Python reference's Server run, as one JSON line. */
export async function pythonServer(py: string, argv: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(py, [path.join(PROJECT_ROOT, 'scripts/python/serving_reference.py'), ...argv], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

export function fromPython(out: Record<string, unknown>, rep: number, seed: number): ServerRun {
  const n = (k: string) => Number(out[k]);
  return {
    harness: 'python', rep, seed, target_qps: n('target_qps'), achieved_qps: n('achieved_qps'), queries: n('queries'),
    mean_ms: n('mean_ms'), p50_ms: n('p50_ms'), p99_ms: n('p99_ms'), max_ms: n('max_ms'), issue_lag_mean_ms: n('issue_delay_mean_ms'),
    valid: out.valid === true,
  };
}

export async function oursServer(req: ServingRunRequest, rep: number): Promise<ServerRun> {
  const { figures: f, dueMs } = await runServing(req);
  return {
    harness: 'dnnbench', rep, seed: req.seed, target_qps: req.targetQps!, achieved_qps: f.achieved_qps, scheduled_qps: dueMs.length / (dueMs.at(-1)! / 1000), queries: f.queries,
    mean_ms: f.mean_ms!, p50_ms: f.p50_ms!, p99_ms: f.p99_ms!, max_ms: f.max_ms!, issue_lag_mean_ms: f.issue_lag_mean_ms,
    valid: f.valid, invalid_reasons: f.invalid_reasons,
  };
}

/** A model reference: a catalog id, or a path (a kit file's catalog entry supplies its preprocessing). */
export async function modelOf(ref: string) {
  const kit = kitDir();
  const byFile = loadCatalog().find((m) => m.source.kit && path.resolve(kit, m.source.kit) === path.resolve(ref));
  return resolveModel(byFile?.id ?? ref, kit);
}

/**
 * The first `max` samples of a shard exactly as serving-run.ts preprocesses them, written raw for
 * Python to read back; with the shape and dtype to read them as.
 */
export async function writeSamples(m: ResolvedModel, inputDtype: InputDtype, shardFile: string, max: number, dir: string): Promise<{ raw: string; count: number; shape: number[]; sha256: string }> {
  const shard = await readShard(shardFile, m.preprocessing.crop);
  const count = Math.min(max, shard.ids.length);
  const values = runnerInputs(m.preprocessing, inputDtype, shard.crop).build(shard.pixels, count, count);
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const raw = path.join(dir, 'samples.raw');
  await writeFile(raw, bytes);
  const c = shard.crop;
  return { raw, count, shape: m.preprocessing.layout === 'NCHW' ? [3, c, c] : [c, c, 3], sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The Python that runs the reference (the project's venv, scripts/python-venv.sh, unless one is given) and its onnxruntime's version. */
export async function referencePython(given?: string): Promise<{ py: string; onnxruntime: string }> {
  const py = given ?? (await run('bash', [path.join(PROJECT_ROOT, 'scripts/python-venv.sh')])).stdout.trim().split('\n').pop()!;
  return { py, onnxruntime: (await run(py, ['-c', 'import onnxruntime; print(onnxruntime.__version__)'])).stdout.trim() };
}

/** The model's input dtype and fixed batch, for serving it one sample per query: a graph fixed at another batch is refused. */
export async function singleSampleInput(m: ResolvedModel): Promise<{ inputDtype: InputDtype; fixedBatch: number | null }> {
  const probe = await openClassifier(onnxruntime, m.path, { provider: 'cpu', threads: 1 });
  const [inputDtype, fixedBatch] = [probe.inputDtype, probe.fixedBatch];
  await probe.handle.dispose();
  if (fixedBatch !== null && fixedBatch !== 1) throw new Error(`${m.id} has a fixed batch of ${fixedBatch}: serve a model that takes batch 1`);
  return { inputDtype, fixedBatch };
}
