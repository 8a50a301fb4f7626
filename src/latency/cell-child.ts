/**
 * One latency cell in a process of its own (timing.isolation 'process', see cell-process.ts). The
 * request comes over the IPC channel; progress, the result or the error go back over it. When
 * the parent goes (a worker killed mid-cell) the channel closes and this process leaves with it.
 */
import { readShard } from '../prepare/arrow-shards.js';
import { discoverPowerSampler } from './power/discover.js';
import { providerColumn } from '../runtime/registry.js';
import type { ChildMessage, IsolatedCellRequest } from './cell-process.js';
import { measureCell } from './measure-cell.js';

const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

process.on('disconnect', () => process.exit(1));
process.once('message', (req: IsolatedCellRequest) => {
  void (async () => {
    try {
      const shard = await readShard(req.shardFile, req.crop);
      const result = await measureCell({
        model: req.model, modelPath: req.modelPath, batchSize: req.batchSize, timing: req.timing, runtime: req.runtime,
        provider: req.provider, threads: req.threads, crops: { pixels: shard.pixels, n: shard.ids.length, crop: shard.crop },
        power: await discoverPowerSampler(providerColumn(req), req.host.power), onProgress: () => process.send!({ progress: true } satisfies ChildMessage),
      });
      await send({ result });
    } catch (err) {
      await send({ error: (err as Error).message ?? String(err) });
    }
    process.disconnect();
  })();
});
