/**
 * Child process of the shard pool (src/prepare/shard-pool.ts): builds the shards it is sent, one
 * at a time, and answers each with its result. It ends when its parent disconnects.
 */
import sharp from 'sharp';
import { runShardJob, type ShardJob } from './shard-job.js';

// Each child is one of several processes sharing the cores: libvips threads would only contend.
sharp.concurrency(1);

if (!process.send) throw new Error('shard-worker.ts runs as a child process of the shard pool');
process.on('disconnect', () => process.exit(0));
process.on('message', (job: ShardJob) => {
  runShardJob(job).then(
    (result) => process.send!({ type: 'done', result }),
    (err: unknown) => process.send!({ type: 'error', index: job.index, message: (err as Error).message ?? String(err) }),
  );
});
process.send({ type: 'ready' });
