/**
 * One serving run in a process of its own (serving-process.ts). The request comes over the IPC
 * channel; a heartbeat every second, then the result or the error, go back over it. When the parent
 * goes (a worker killed mid-run) the channel closes and this process leaves with it.
 */
import type { ServingChildMessage } from './serving-process.js';
import { runServing, type ServingRunRequest } from './serving-run.js';

const send = (m: ServingChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

process.on('disconnect', () => process.exit(1));
process.once('message', (req: ServingRunRequest) => {
  const beat = setInterval(() => process.send!({ progress: true } satisfies ServingChildMessage), 1000);
  void (async () => {
    try {
      const result = await runServing(req);
      clearInterval(beat);
      // NaN (a query that never completed) does not survive the IPC's serialisation as NaN in every mode: null it.
      await send({ result: { ...result, latencyMs: result.latencyMs.map((l) => (Number.isNaN(l) ? null : l)) } });
    } catch (err) {
      clearInterval(beat);
      await send({ error: (err as Error).message ?? String(err) });
    }
    process.disconnect();
  })();
});
