import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { CONTROL_QUEUE, readSettings, type Settings } from '../config/settings.js';
import { InputError } from '../errors.js';
import { localCpuQueue } from '../host/local-queue.js';

// Each command loads what it needs when it runs: the Temporal worker, onnxruntime and sharp cost
// seconds of start-up that `profile`, `prepare` or `status` should not pay.

const say = (line: string) => process.stderr.write(`dnnbench: ${line}\n`);

// Settings are checked before any command runs: a bad DNNBENCH_* value stops here, named.
let settings: Settings;
try {
  settings = readSettings();
} catch (err) {
  say((err as Error).message);
  process.exit(2);
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('not a port number');
  return n;
}

/** Runs until SIGINT/SIGTERM, then calls stop once. */
function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = () => { void stop().then(resolve); };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

const program = new Command('dnnbench').description('Benchmark ImageNet classifiers as a Temporal pipeline writing Parquet');

program.command('study')
  .description('run a study: with no TEMPORAL_ADDRESS, on an embedded dev server with an in-process worker')
  .option('--preset <name>', 'a built-in study: quick (2 small kit models, batch 1,2,4), kit (all kit models, batch 1..64), papers (33 models of the papers), serving (serving scenarios on 2 small kit models: docs/SERVING.md) or variants (4 models as fp32, fp16, int8 dynamic and static, at 2 and 1 threads: docs/VARIANTS.md)')
  .option('--config <file>', 'a study spec (YAML or JSON)')
  .option('--out <dir>', 'output folder (default data/results/<studyId>)')
  .option('--id <id>', 'study id (default: from the preset/spec and a hash of its content)')
  .option('--keep-server', 'leave the embedded dev server running at the end')
  .option('--worker', 'also run an in-process worker when TEMPORAL_ADDRESS is set')
  .option('--port <n>', 'port of the embedded dev server (default 7233, or a free one if busy)', portNumber)
  .action(async (opts) => {
    const { runStudy } = await import('./run-study.js');
    const { printStudyResult } = await import('./print-result.js');
    printStudyResult(await runStudy(opts));
  });

program.command('worker')
  .description('run a hardware-pinned worker against TEMPORAL_ADDRESS (default localhost:7233)')
  .option('--queue <name...>', `device queue(s) this host serves (default ${localCpuQueue()})`)
  .option('--no-control', `do not also run workflows and control activities (queue ${CONTROL_QUEUE})`)
  .action(async (opts: { queue?: string[]; control: boolean }) => {
    const { temporalTarget } = await import('../temporal/connection-config.js');
    const { startWorkers } = await import('../workers/start-workers.js');
    const target = temporalTarget();
    const queues = opts.queue ?? [localCpuQueue()];
    const workers = await startWorkers({ target, deviceQueues: queues, control: opts.control });
    say(`worker on ${target.summary}: ${[...(opts.control ? [CONTROL_QUEUE] : []), ...queues].join(', ')} (Ctrl-C to stop)`);
    await Promise.race([workers.run, untilSignal(() => workers.shutdown())]);
  });

program.command('status <studyId>')
  .description('progress of a study on TEMPORAL_ADDRESS (default localhost:7233)')
  .option('--watch', 'keep redrawing until the study ends')
  .action(async (studyId: string, opts: { watch?: boolean }) => (await import('./status-command.js')).showStatus(studyId, opts.watch ?? false));

program.command('skip-model <studyId> <modelId>')
  .description('stop measuring a model in a running study (finished cells are kept)')
  .action(async (studyId: string, modelId: string) => (await import('./status-command.js')).signalStudy(studyId, 'skip-model', modelId));

program.command('drop-device <studyId> <queue>')
  .description('stop using a device queue in a running study (finished cells are kept)')
  .action(async (studyId: string, queue: string) => (await import('./status-command.js')).signalStudy(studyId, 'drop-device', queue));

program.command('report <resultsDir>')
  .description('write a static HTML report (the papers\' figures as SVG, every number in sortable tables) of a study\'s results')
  .option('--out <file>', 'where to write it (default <resultsDir>/report.html)')
  // Loaded on use: vega is large, and `study` and `worker` never need it.
  .action(async (dir: string, opts: { out?: string }) => (await import('./report-command.js')).reportCommand(dir, opts));

program.command('tables <resultsDir>')
  .description('rebuild a finished study\'s Parquet tables from its cells with this version (new columns and fits without measuring again)')
  .action(async (dir: string) => (await import('./tables-command.js')).tablesCommand(dir));

program.command('findings <resultsDir>')
  .description('decide each finding of Canziani et al. 2016 and Bianco et al. 2018 from a study\'s Parquet (reproduced, contradicted, inconclusive, untestable) and write <resultsDir>/findings.md')
  .option('--out <file>', 'where to write it (default <resultsDir>/findings.md)')
  .action(async (dir: string, opts: { out?: string }) => {
    process.stdout.write(`${await (await import('../findings/write-findings.js')).writeFindings(dir, opts.out)}\n`);
  });

program.command('compare <resultsA> [resultsB]')
  .description('two studies side by side: per model, device and batch the p50 ratio B/A with its 95% interval, significant or within noise; one study: each variant against its parent or the device\'s reference runtime variant (speed-ups with intervals, paired accuracy cost)')
  .option('--json', 'print the rows as JSON')
  .option('--device-a <queue>', 'device of A to compare (default: the devices both measured)')
  .option('--device-b <queue>', 'device of B to compare (default: as --device-a)')
  .option('--resamples <n>', 'bootstrap resamples for studies without repetitions', (v) => Number(v), 1000)
  .option('--min-change <pct>', 'smallest change in percent reported as significant', '1')
  .option('--fail-on-regression <pct>', 'exit 1 when a cell is significantly slower in B by more than PCT percent')
  .option('--host-adjusted', 'with --fail-on-regression: decide on each cell\'s B/A over the host\'s speed by the speed probe (host_adjusted_ratio), so a move of a shared host between the runs is not a regression')
  .action(async (a: string, b: string | undefined, opts: { json?: boolean; deviceA?: string; deviceB?: string; resamples: number; minChange: string; failOnRegression?: string; hostAdjusted?: boolean }) => {
    if (b === undefined) {
      // These options act on two studies only; ignoring them would let a CI check pass that checked nothing.
      const twoStudyOnly = [['--device-a', opts.deviceA], ['--device-b', opts.deviceB], ['--fail-on-regression', opts.failOnRegression], ['--host-adjusted', opts.hostAdjusted]]
        .filter(([, v]) => v !== undefined).map(([flag]) => flag);
      if (twoStudyOnly.length) {
        throw new InputError(`compare ${a}: with one study, compare sets its variants side by side; ${twoStudyOnly.join(', ')} compare two studies: give the second study's results too`);
      }
      return (await import('./variants-compare.js')).variantsCompare(a, opts.json ?? false);
    }
    const code = await (await import('./compare-command.js')).compareCommand(a, b, opts);
    if (code !== 0) process.exit(code);
  });

program.command('prepare')
  .description('ImageNet validation images (kit, synset folders, or a flat folder with a label file) → Arrow shards of uint8 RGB crops, one dataset per geometry (docs/DATASET.md)')
  .requiredOption('--images <dir>', 'a kit, a folder of synset folders (val/n01440764/*.JPEG), or a flat folder of images')
  .option('--labels <file>', 'labels of a flat folder: devkit ILSVRC2012_validation_ground_truth.txt, Kaggle LOC_val_solution.csv, or "name index" lines')
  .option('--synsets <file>', 'the 1000 wnids; with the devkit ground truth, in the devkit ILSVRC2012_ID order')
  .option('--geometry <list>', 'resize/crop pairs', '256/224')
  .requiredOption('--out <dir>', 'datasets go to <dir>/<resize>-<crop>-<filter>/')
  .option('--filter <name>', 'linear (PIL BILINEAR), cubic (PIL BICUBIC) or lanczos3 (PIL LANCZOS)', 'linear')
  .option('--set <name>', 'image set when --images is a kit: val_227, val_orig or all', 'val_227')
  .option('--limit <n>', 'only the first N images (sorted by id)', (v) => Number(v))
  .option('--processes <n>', 'processes building shards (default: 1 under 2,000 images, else 2 or 1 per 4 cores)', (v) => Number(v))
  .option('--json', 'print a summary of each dataset as JSON')
  .action(async (opts) => (await import('./prepare-command.js')).prepareCommand(opts));

program.command('profile <model>')
  .description('parameters, MACs/FLOPs by op type, memory traffic of an ONNX model (batch 1)')
  .option('--json', 'print the whole profile as JSON')
  .action(async (model: string, opts: { json?: boolean }) => {
    const { profileModel } = await import('../profile/profile.js');
    const p = await profileModel(path.resolve(model));
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(p, null, 1)}\n`);
      return;
    }
    const g = (n: number) => (n / 1e9).toFixed(3);
    process.stdout.write([
      `${model}`,
      `  params ${p.params.toLocaleString('en')}  weights ${(p.weight_bytes / 1e6).toFixed(2)} MB  file ${(p.file_bytes / 1e6).toFixed(2)} MB`,
      `  MACs ${g(p.macs)} G  FLOPs ${g(p.flops)} G  traffic ${(p.traffic_bytes / 1e6).toFixed(1)} MB  intensity ${p.arithmetic_intensity.toFixed(1)} FLOP/B`,
      ...Object.entries(p.by_op_type).sort(([, a], [, b]) => b.flops - a.flops).map(([op, c]) => `    ${op.padEnd(22)} ${String(c.count).padStart(4)}  ${g(c.macs)} GMACs  ${g(c.flops)} GFLOPs`),
      ...(p.uncounted_ops.length ? [`  uncounted ops: ${p.uncounted_ops.join(', ')}`] : []),
    ].join('\n') + '\n');
  });

program.command('dev-server')
  .description('run the embedded Temporal dev server alone, until Ctrl-C')
  .option('--port <n>', 'gRPC port', portNumber, 7233)
  .option('--ui-port <n>', 'web UI port (default port+1000)', portNumber)
  .option('--db-filename <file>', 'SQLite file the server persists to', path.join(settings.dataDir, 'temporal', 'dev.db'))
  .action(async (opts: { port: number; uiPort?: number; dbFilename: string }) => {
    const { startDevServer } = await import('../temporal/dev-server.js');
    const server = await startDevServer({ port: opts.port, uiPort: opts.uiPort, dbFile: path.resolve(opts.dbFilename), log: say });
    say(`export TEMPORAL_ADDRESS=${server.address} to use it (Ctrl-C to stop)`);
    await untilSignal(() => server.stop());
  });

try {
  await program.parseAsync();
  // Native handles (onnxruntime, the SDK's runtime) can keep the loop alive after the work is done.
  process.exit(0);
} catch (err) {
  const e = err as Error & { nonRetryable?: boolean };
  // Input errors are the user's to fix: the message alone. Anything else: the message, then a
  // hint where to look; stacks only with DNNBENCH_DEBUG.
  say(e.nonRetryable ? e.message : `error: ${e.message ?? e}`);
  if (settings.debug) console.error(e.stack);
  process.exit(e.nonRetryable ? 2 : 1);
}
