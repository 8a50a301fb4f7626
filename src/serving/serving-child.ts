/**
 * One serving run in a process of its own (serving-process.ts): the request comes over the IPC
 * channel (src/process/child-job.ts), a beat every second while it runs, then the result.
 */
import { serveChildJob } from '../process/child-job.js';
import type { ServingRunReply } from './serving-process.js';
import { runServing, type ServingRunRequest } from './serving-run.js';

serveChildJob<ServingRunRequest, ServingRunReply>(async (req, progress) => {
  const beat = setInterval(progress, 1000);
  try {
    const result = await runServing(req);
    // A query that never completed has NaN latency: it crosses as null, as it is stored.
    return { ...result, latencyMs: result.latencyMs.map((l) => (Number.isNaN(l) ? null : l)) };
  } finally {
    clearInterval(beat);
  }
});
