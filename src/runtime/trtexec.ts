import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SelfTimedRuntime } from './runtime.js';

/**
 * TensorRT's `trtexec`, the tool JetPack ships and what Jetson users time models with. It builds an
 * engine from the ONNX file and times it itself; we read its exported per-iteration times and
 * per-layer profile. Formats as documented in TensorRT's developer guide ("trtexec": --exportTimes
 * writes an array of per-inference records, --exportProfile an array whose first element is
 * {"count": N} followed by one record per layer).
 */
export interface TrtexecTiming {
  startComputeMs?: number;
  endComputeMs?: number;
  h2dMs?: number;
  computeMs: number;
  d2hMs?: number;
  latencyMs: number;
}

export interface TrtexecLayer {
  name: string;
  timeMs: number;
  averageMs: number;
  medianMs?: number;
  percentage: number;
}

export function parseTrtexecTimes(json: string, file = 'times.json'): TrtexecTiming[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (err) {
    throw new Error(`trtexec times ${file} is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw new Error(`trtexec times ${file}: expected an array of per-inference records`);
  return data.map((r, i) => {
    const rec = r as Partial<TrtexecTiming>;
    if (typeof rec.latencyMs !== 'number' || typeof rec.computeMs !== 'number') {
      throw new Error(`trtexec times ${file}: record ${i} lacks latencyMs/computeMs`);
    }
    return rec as TrtexecTiming;
  });
}

export function parseTrtexecProfile(json: string, file = 'profile.json'): { count: number; layers: TrtexecLayer[] } {
  const data = JSON.parse(json) as unknown[];
  if (!Array.isArray(data) || typeof (data[0] as { count?: unknown })?.count !== 'number') {
    throw new Error(`trtexec profile ${file}: expected [{"count": N}, layers...]`);
  }
  return { count: (data[0] as { count: number }).count, layers: data.slice(1) as TrtexecLayer[] };
}

export interface TrtexecRequest {
  modelPath: string;
  inputName: string;
  /** Input dims at this batch, e.g. [8, 3, 224, 224]. */
  inputDims: number[];
  precision: 'fp32' | 'fp16' | 'int8';
  warmupSeconds: number;
  minRuns: number;
  minSeconds: number;
  command?: string;
}

/** The trtexec command line for one (model, batch) cell. */
export function trtexecArgs(req: TrtexecRequest, timesFile: string, profileFile: string): string[] {
  const shape = `${req.inputName}:${req.inputDims.join('x')}`;
  return [
    `--onnx=${req.modelPath}`, `--shapes=${shape}`, `--minShapes=${shape}`, `--optShapes=${shape}`, `--maxShapes=${shape}`,
    ...(req.precision === 'fp16' ? ['--fp16'] : req.precision === 'int8' ? ['--int8'] : []),
    `--warmUp=${Math.round(req.warmupSeconds * 1000)}`, `--iterations=${req.minRuns}`, `--duration=${req.minSeconds}`,
    // No overlap of transfers and compute between iterations, so each record is one inference.
    '--noDataTransfers', '--useSpinWait', `--exportTimes=${timesFile}`,
    // Per-layer profiling slows inference: a separate run, so the timed one is unaffected.
    '--separateProfileRun', `--exportProfile=${profileFile}`,
  ];
}

export interface TrtexecMeasurement {
  samples_ms: number[];
  layers: TrtexecLayer[];
  command: string;
}

/** Runs trtexec for one cell; per-inference latency = its `latencyMs` (H2D + compute + D2H). */
export async function runTrtexec(req: TrtexecRequest): Promise<TrtexecMeasurement> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-trtexec-'));
  const times = path.join(dir, 'times.json');
  const profile = path.join(dir, 'profile.json');
  const command = req.command ?? 'trtexec';
  const args = trtexecArgs(req, times, profile);
  try {
    await promisify(execFile)(command, args, { maxBuffer: 64 << 20 });
    const samples = parseTrtexecTimes(await readFile(times, 'utf8'), times).map((t) => t.latencyMs);
    const layers = parseTrtexecProfile(await readFile(profile, 'utf8'), profile).layers;
    return { samples_ms: samples, layers, command: [command, ...args].join(' ') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** trtexec as a runtime: it runs and times the model in its own process, never in this one. */
export const trtexec: SelfTimedRuntime = {
  id: 'trtexec',
  kind: 'self-timed',
  selfTimed: (req) => runTrtexec({
    modelPath: req.modelPath, inputName: req.input.name, inputDims: req.input.dims, precision: req.precision,
    warmupSeconds: req.timing.warmupSeconds, minRuns: req.timing.minRuns, minSeconds: req.timing.minSeconds,
  }),
};
