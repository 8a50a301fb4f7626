/**
 * One latency cell in a process of its own (timing.isolation 'process', see cell-process.ts): the
 * request comes over the IPC channel (src/process/child-job.ts), progress and the result go back.
 */
import { readShard } from '../prepare/arrow-shards.js';
import { serveChildJob } from '../process/child-job.js';
import { discoverPowerSampler } from './power/discover.js';
import { providerColumn } from '../runtime/registry.js';
import { withHostProbes } from './host-probes-around.js';
import type { CellProgress, IsolatedCellRequest, IsolatedCellResult } from './cell-process.js';
import { measureCell } from './measure-cell.js';

serveChildJob<IsolatedCellRequest, IsolatedCellResult, CellProgress>(async (req, progress) => {
  // The host's speed and the probes of its cores in this process, before the model is loaded and
  // after its timed runs: the worker's own thread is busier (the workflow's tasks) than this one,
  // which runs nothing else.
  const { result: measurement, speed, coreLinkNs, coreShareRatio } = await withHostProbes(async () => {
    const shard = await readShard(req.shardFile, req.crop);
    return measureCell({
      model: req.model, modelPath: req.modelPath, batchSize: req.batchSize, timing: req.timing, runtime: req.runtime,
      provider: req.provider, threads: req.threads, session: req.session, crops: { pixels: shard.pixels, n: shard.ids.length, crop: shard.crop },
      power: await discoverPowerSampler(providerColumn(req), req.host.power), onProgress: () => progress(), onTimedRuns: () => progress('timed-runs'),
    });
  });
  return { measurement, speed, coreLinkNs, coreShareRatio };
});
