import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../errors.js';

/** How a model's input is made from a uint8 RGB crop: value = (x·scale − mean) / std per channel. */
export const PreprocessingSchema = z.object({
  resize: z.number().int().positive().describe('shorter side is resized to this'),
  crop: z.number().int().positive().describe('then centre-cropped to crop×crop'),
  channelOrder: z.enum(['RGB', 'BGR']),
  scale: z.enum(['unit', 'byte']).describe('unit: x/255; byte: x as 0..255'),
  mean: z.tuple([z.number(), z.number(), z.number()]),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  layout: z.enum(['NCHW', 'NHWC']),
});
export type Preprocessing = z.infer<typeof PreprocessingSchema>;

export const ModelOutputSchema = z.object({
  classes: z.union([z.literal(1000), z.literal(1001)]),
  backgroundOffset: z.union([z.literal(0), z.literal(1)]),
  kind: z.enum(['logits', 'probabilities']),
});
export type ModelOutput = z.infer<typeof ModelOutputSchema>;

const ModelRefSchema = z.union([
  z.string().min(1).describe('a kit model id, a catalog id, or a path to an .onnx file'),
  z.object({
    id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-" only').optional(),
    path: z.string().min(1),
    preprocessing: PreprocessingSchema.optional(),
    output: ModelOutputSchema.optional(),
  }).strict(),
]);
export type ModelRef = z.infer<typeof ModelRefSchema>;

/**
 * A runtime-setting variant of a device (issue 20, docs/VARIANTS.md): every latency cell of the
 * device is timed once per variant, with these settings over the device's own. The first variant
 * is the device's reference: the papers' laws and the report's main figures use its rows.
 */
const RuntimeVariantSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-" only').describe('the variant column\'s value, e.g. t1'),
  threads: z.number().int().positive().optional().describe('intra-op threads'),
  interOpThreads: z.number().int().positive().optional().describe('threads across independent ops (used with executionMode parallel)'),
  executionMode: z.enum(['sequential', 'parallel']).optional(),
  graphOptimization: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
  spinning: z.boolean().optional().describe('intra-op threads spin while waiting for work (onnxruntime\'s default: on)'),
  provider: z.enum(['cpu', 'cuda', 'tensorrt']).optional().describe('onnxruntime\'s execution provider for this variant'),
  // The provider options onnxruntime-node 1.30 passes on (its binding reads deviceId and nothing else
  // for cuda and tensorrt), and the CPU allocator's two session switches.
  deviceId: z.number().int().nonnegative().optional().describe('the GPU the cuda or tensorrt provider runs on'),
  cpuMemArena: z.boolean().optional().describe('onnxruntime\'s CPU memory arena (its default: on)'),
  memPattern: z.boolean().optional().describe('onnxruntime\'s memory pattern planning (its default: on)'),
}).strict();
export type RuntimeVariant = z.infer<typeof RuntimeVariantSchema>;

const DeviceSchema = z.object({
  queue: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'a task-queue name such as cpu-x86_64, gpu-h100 or jetson-tx1'),
  accuracy: z.boolean().default(false).describe('also evaluate accuracy on this device'),
  threads: z.number().int().positive().optional().describe('intra-op threads; default: all cores'),
  boards: z.number().int().positive().optional()
    .describe('boards (worker hosts) serving this queue side by side: a latency round keeps this many cells in flight (default 1)'),
  // Optional rather than defaulted: a spec without it (every spec older than the field) keeps its
  // study id and spec_json. Absent means onnxruntime.
  runtime: z.enum(['onnxruntime', 'trtexec']).optional()
    .describe('what runs the models: onnxruntime (default), or trtexec: TensorRT\'s own tool, which times them in its own process (Jetson)'),
  provider: z.enum(['cpu', 'cuda', 'tensorrt', 'trtexec']).optional()
    .describe('onnxruntime\'s execution provider (default cpu); trtexec here is the older spelling of runtime: trtexec'),
  variants: z.array(RuntimeVariantSchema).min(1).optional()
    .describe('runtime-setting variants: every latency cell is timed once per variant (docs/VARIANTS.md); the first is the reference'),
}).strict().superRefine((d, ctx) => {
  const names = (d.variants ?? []).map((v) => v.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) ctx.addIssue({ code: 'custom', path: ['variants'], message: `variant "${dup}" is listed twice` });
  for (const [i, v] of (d.variants ?? []).entries()) {
    const provider = v.provider ?? d.provider ?? 'cpu';
    if (v.deviceId !== undefined && provider !== 'cuda' && provider !== 'tensorrt') {
      ctx.addIssue({ code: 'custom', path: ['variants', i, 'deviceId'], message: `variant "${v.name}": deviceId is an option of the cuda and tensorrt providers, and this variant runs on ${provider}` });
    }
  }
  if (d.variants && (d.runtime === 'trtexec' || d.provider === 'trtexec')) {
    ctx.addIssue({ code: 'custom', path: ['variants'], message: 'trtexec sets its own session in its own process: runtime variants need onnxruntime' });
  }
  if (d.provider === 'trtexec' && d.runtime === 'onnxruntime') {
    ctx.addIssue({ code: 'custom', path: ['provider'], message: 'trtexec is a runtime, not an onnxruntime execution provider: use runtime: trtexec, or provider cpu, cuda or tensorrt' });
  } else if (d.runtime === 'trtexec' && d.provider && d.provider !== 'trtexec') {
    ctx.addIssue({ code: 'custom', path: ['provider'], message: `trtexec has no execution providers: drop provider (${d.provider})` });
  }
}).transform(({ runtime, provider, ...rest }) => (runtime === 'trtexec' || provider === 'trtexec'
  // provider stays as the tables' provider column is derived from the runtime (src/runtime/registry.ts providerColumn).
  ? { ...rest, runtime: 'trtexec' as const, provider: 'cpu' as const }
  : { ...rest, ...(runtime ? { runtime } : {}), provider: provider ?? 'cpu' }));
export type DeviceSpec = z.infer<typeof DeviceSchema>;

const TimingSchema = z.object({
  warmupRuns: z.number().int().nonnegative().default(10),
  warmupSeconds: z.number().nonnegative().default(1),
  minRuns: z.number().int().positive().default(50),
  minSeconds: z.number().nonnegative().default(3),
  // Optional rather than defaulted: timing objects from clients older than this field mean 'process' too.
  isolation: z.enum(['process', 'worker']).optional()
    .describe('process (default): each repetition of a latency cell in a fresh process of its own, so earlier cells leave no trace (under a second more per repetition); worker: in the worker process'),
  // Repetitions, warm-up, noise and stability: the defaults are those of the modules that apply them
  // (src/latency/repetition-decision.ts, warmup.ts, stability.ts, src/host/host-noise.ts), which
  // test/unit/timing-spec.test.ts holds them to; the spec cannot import them without a folder cycle.
  minRepetitions: z.number().int().positive().default(3)
    .describe('repetitions (each a fresh process with its own warm-up and timed runs) every latency cell gets, budget permitting'),
  maxRepetitions: z.number().int().positive().default(10),
  targetPrecision: z.number().positive().default(0.02)
    .describe('stop repeating once the 95% interval of the p50 is within ± this fraction of it'),
  cellBudgetSeconds: z.number().positive().default(120)
    .describe('wall seconds one latency cell may spend on its repetitions, discarded ones included'),
  warmup: z.object({
    window: z.number().int().positive().default(5),
    tolerance: z.number().positive().default(0.02),
    maxRuns: z.number().int().positive().default(100),
    maxSeconds: z.number().positive().default(10),
  }).strict().prefault({}).describe('warm-up until steady (src/latency/warmup.ts); warmupRuns and warmupSeconds are its floors'),
  noise: z.object({
    discard: z.boolean().default(true).describe('discard and re-run a repetition the host disturbed'),
    maxStealFraction: z.number().nonnegative().default(0.05),
    maxOtherCores: z.number().nonnegative().default(0.10),
    gpuThrottleReasons: z.array(z.string()).default(['hw_slowdown', 'sw_thermal_slowdown', 'hw_thermal_slowdown', 'hw_power_brake_slowdown']),
    maxTemperatureC: z.number().nullable().default(null),
    maxCoreLinkFactor: z.number().positive().nullable().default(2)
      .describe('discard a repetition on a CPU device whose round trip between two cores exceeds this many times the device\'s lower quartile of it (src/host/core-link-probe.ts); null: not checked'),
    maxCoreShareFactor: z.number().positive().nullable().default(null)
      .describe('discard a repetition on a CPU device whose two threads ran a loop more than this many times the device\'s lower quartile of that ratio, as when both share one core (src/host/core-share-probe.ts); null (the default): not checked, since in the pair measured with 1.5 its discards did not narrow the intervals (docs/TIMING.md, "Host noise")'),
  }).strict().prefault({}).describe('when a repetition counts as disturbed by the host (src/host/host-noise.ts)'),
  stability: z.object({
    driftAlpha: z.number().positive().default(0.01),
    driftMinChange: z.number().nonnegative().default(0.05),
    driftShare: z.number().positive().default(0.5),
    driftMinRuns: z.number().int().positive().default(10),
    hostMoveMinChange: z.number().nonnegative().default(0.02)
      .describe('every cell of a device is drifting when its host\'s speed moved by at least this fraction from the first half of the study to the second (src/latency/host-move.ts)'),
  }).strict().prefault({}).describe('when a cell is drifting (src/latency/stability.ts, src/latency/host-move.ts)'),
  reason: z.string().min(1).optional()
    .describe('why this timing is below SPEC.md\'s minimums, if it is: recorded in study.parquet'),
}).strict().superRefine((t, ctx) => {
  if (t.maxRepetitions < t.minRepetitions) ctx.addIssue({ code: 'custom', path: ['maxRepetitions'], message: `maxRepetitions ${t.maxRepetitions} is below minRepetitions ${t.minRepetitions}` });
});
export type TimingSpec = z.infer<typeof TimingSchema>;
/** A full timing from a partial one, every default filled in (tests, scripts and benchmarks that time cells directly). */
export function timingSpec(input: z.input<typeof TimingSchema> = {}): TimingSpec {
  return TimingSchema.parse(input);
}
/** What one repetition of a latency cell needs: the run minimums, and the warm-up rule (default src/latency/warmup.ts's). */
export type RunTiming = Pick<TimingSpec, 'warmupRuns' | 'warmupSeconds' | 'minRuns' | 'minSeconds' | 'isolation'> & { warmup?: TimingSpec['warmup'] };

const DatasetSchema = z.object({
  kit: z.string().min(1).optional().describe('kit folder; default DNNBENCH_KIT or ../shared/kit'),
  images: z.string().min(1).optional()
    .describe('ImageNet validation images instead of the kit\'s: a synset-folder (ImageFolder) tree, or a flat folder with labels (docs/DATASET.md)'),
  labels: z.string().min(1).optional()
    .describe('label file of a flat image folder: devkit ground truth, Kaggle LOC_val_solution.csv, or "name index" lines'),
  synsets: z.string().min(1).optional()
    .describe('list of the 1000 wnids; with the devkit ground truth, in the devkit\'s ILSVRC2012_ID order'),
  set: z.enum(['val_227', 'val_orig', 'all']).default('val_227').describe('kit image set (when images is not given)'),
  limit: z.number().int().positive().optional().describe('use only the first N images (sorted by id)'),
  resizeFilter: z.enum(['linear', 'lanczos3', 'cubic']).default('linear')
    .describe('linear = PIL BILINEAR, cubic = PIL BICUBIC, lanczos3 = PIL LANCZOS, reproduced bit for bit'),
}).strict().superRefine((d, ctx) => {
  for (const key of ['labels', 'synsets'] as const) {
    if (d[key] && !d.images) ctx.addIssue({ code: 'custom', path: [key], message: `${key} describes an image folder: give images too` });
  }
});
export type DatasetSpec = z.infer<typeof DatasetSchema>;

/**
 * The serving section (issue 21, docs/SERVING.md): MLPerf LoadGen's scenarios run against each
 * model behind a scheduler (dynamic batching, instances), and the search for the highest Server
 * QPS within the latency bound. Defaults are sized for a 2-core host.
 */
const SchedulerSchema = z.object({
  maxBatch: z.number().int().positive().default(1).describe('largest batch the dynamic batcher forms; 1 is batching off'),
  maxQueueDelayMs: z.number().nonnegative().default(0).describe('how long the oldest waiting sample may wait for a fuller batch'),
  instances: z.number().int().positive().default(1).describe('concurrent instances of the model, the device\'s threads split among them'),
  threadsPerInstance: z.number().int().positive().optional().describe('intra-op threads of each instance; default the device\'s threads / instances (at least 1)'),
  spinning: z.boolean().default(true).describe('onnxruntime\'s intra-op spinning in each instance (its default, and the batch sweep\'s)'),
}).strict();
export type SchedulerSpec = z.infer<typeof SchedulerSchema>;

export const SERVING_SCENARIOS = ['single-stream', 'multi-stream', 'server', 'offline'] as const;

const ServingSchema = z.object({
  models: z.array(z.string().min(1)).min(1).optional().describe('model ids of the study to serve (default: all)'),
  devices: z.array(z.string().min(1)).min(1).optional().describe('device queues to serve on (default: all)'),
  scenarios: z.array(z.enum(SERVING_SCENARIOS)).min(1).default([...SERVING_SCENARIOS]),
  schedulers: z.array(SchedulerSchema).min(1).default([SchedulerSchema.parse({})]),
  bound: z.union([
    z.object({ ms: z.number().positive() }).strict(),
    z.object({ singleStreamFactor: z.number().positive() }).strict(),
  ]).default({ singleStreamFactor: 4 })
    .describe('Server latency bound: a fixed ms, or a multiple of the model\'s SingleStream p50 on the device (batching off, one instance)'),
  percentile: z.number().gt(0).lt(1).default(0.99).describe('Server\'s latency percentile (LoadGen: 0.99)'),
  multiStreamSamples: z.number().int().positive().default(8),
  sampleCount: z.number().int().positive().default(64).describe('distinct preprocessed samples cycled through (LoadGen\'s performance sample count)'),
  minDurationSeconds: z.number().positive().default(20),
  maxDurationSeconds: z.number().positive().default(120).describe('a run still short of its minimums by then stops, invalid'),
  minQueries: z.object({
    singleStream: z.number().int().positive().default(256),
    multiStream: z.number().int().positive().default(662),
    server: z.number().int().positive().default(1000),
    offline: z.number().int().positive().default(1024).describe('samples'),
  }).strict().prefault({}).describe('below these, LoadGen\'s early stopping cannot pass: 64 queries for p90, 459 for p99 with none over, 662 with one'),
  warmupSeconds: z.number().nonnegative().default(2),
  search: z.object({
    searches: z.number().int().positive().default(2).describe('independent searches per model, device and scheduler, back to back: where they disagree the results say so'),
    precision: z.number().positive().default(0.1).describe('stop when the lowest invalid QPS is within this fraction of the highest valid one'),
    maxTrials: z.number().int().positive().default(10),
    startFraction: z.number().positive().default(0.25).describe('first trial: this fraction of the SingleStream rate (1000 / p50) times the instances'),
    minQps: z.number().positive().default(0.5).describe('halving stops below this (or below the rate that cannot reach minQueries.server within maxDurationSeconds, if higher)'),
  }).strict().prefault({}),
  seed: z.number().int().nonnegative().default(1),
}).strict().superRefine((s, ctx) => {
  if (s.maxDurationSeconds < s.minDurationSeconds) ctx.addIssue({ code: 'custom', path: ['maxDurationSeconds'], message: `maxDurationSeconds ${s.maxDurationSeconds} is below minDurationSeconds ${s.minDurationSeconds}` });
});
export type ServingSpec = z.infer<typeof ServingSchema>;

const Duration = z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d|seconds?|minutes?|hours?|days?)$/, 'a duration such as "90s", "30 minutes" or "6h"');

export const StudySpecSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-" only').optional(),
  models: z.array(ModelRefSchema).min(1, 'name at least one model'),
  devices: z.array(DeviceSchema).min(1, 'name at least one device queue'),
  batchSizes: z.array(z.number().int().positive()).min(1).default([1, 2, 4, 8, 16, 32, 64]),
  timing: TimingSchema.default(TimingSchema.parse({})),
  dataset: DatasetSchema.default(DatasetSchema.parse({})),
  accuracyBatchSize: z.number().int().positive().default(32),
  deviceDeadline: Duration.default('6 hours')
    .describe('how long a device task may wait for a worker on its queue before the study gives up on that device'),
  heartbeatTimeout: Duration.default('1 minute')
    .describe('a device activity that has not heartbeaten for this long is retried elsewhere (its worker died)'),
  out: z.string().min(1).optional(),
  serving: ServingSchema.optional().describe('serving scenarios (docs/SERVING.md)'),
  laws: z.object({
    precisionVariants: z.boolean().default(false)
      .describe('fit the papers\' laws and frontiers on precision variants too, each a model of its own (default: parents only; docs/VARIANTS.md)'),
  }).strict().optional(),
}).strict().superRefine((spec, ctx) => {
  const queues = spec.devices.map((d) => d.queue);
  const dup = queues.find((q, i) => queues.indexOf(q) !== i);
  if (dup) ctx.addIssue({ code: 'custom', path: ['devices'], message: `queue "${dup}" is listed twice` });
  const batches = spec.batchSizes;
  if (new Set(batches).size !== batches.length) ctx.addIssue({ code: 'custom', path: ['batchSizes'], message: 'batch sizes repeat' });
  for (const [i, q] of (spec.serving?.devices ?? []).entries()) {
    if (!queues.includes(q)) ctx.addIssue({ code: 'custom', path: ['serving', 'devices', i], message: `"${q}" is not one of the study's devices (${queues.join(', ')})` });
  }
});
export type StudySpecInput = z.input<typeof StudySpecSchema>;
export type StudySpec = z.infer<typeof StudySpecSchema>;

/** A validated spec whose id and output directory are settled: what a study workflow receives. */
export interface ResolvedStudySpec extends StudySpec {
  id: string;
  out: string;
}

/** Validates raw spec data; the error names every bad field by its path (e.g. `devices.0.queue`). */
export function parseStudySpec(raw: unknown, source = 'study spec'): StudySpec {
  const result = StudySpecSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    return `  - ${where}: ${issue.message}`;
  });
  throw new InputError(`invalid ${source}:\n${lines.join('\n')}`);
}

/** Reads a YAML or JSON spec file (YAML is a superset of JSON, so one parser serves both). */
export async function loadStudySpecFile(file: string): Promise<StudySpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read study spec ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new InputError(`study spec ${file} is neither valid YAML nor JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseStudySpec(raw, `study spec ${file}`);
}

/** A short content hash of the spec (without its id and output folder): same spec, same study id. */
export function specHash(spec: StudySpec): string {
  const { id: _id, out: _out, ...rest } = spec;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex').slice(0, 10);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Settles the study id (given, or `<prefix>-<hash>`) and the output folder (--out, spec.out, or data/results/<id>). */
export function resolveSpec(spec: StudySpec, opts: { idPrefix?: string; outOverride?: string; resultsRoot: string }): ResolvedStudySpec {
  const id = spec.id ?? `${opts.idPrefix ?? 'study'}-${specHash(spec)}`;
  const out = opts.outOverride ?? spec.out ?? `${opts.resultsRoot}/${id}`;
  return { ...spec, id, out };
}
