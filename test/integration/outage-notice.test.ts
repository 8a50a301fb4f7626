/**
 * Issue 22, item 3, on a real dev server stopped for 25 s and restarted on the same port and db:
 * a real worker (the SDK's core logs forwarded through sdkLogSink) and a client following a
 * workflow's result (as `dnnbench study` does) each say once that Temporal is unreachable and once
 * that it is back; no SDK retry line and no colour code reaches the terminal; the follow outlives
 * the outage, which the client alone does not (it gives up after about 20 s).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { freePort, type DevServer } from '../../src/temporal/dev-server.js';
import { OutageNotice, sdkLogSink, untilReachable, watchConnection } from '../../src/temporal/outage-notice.js';
import { devServer, waitFor } from '../helpers/cluster.js';

const OUTAGE_MS = 25_000;

test('a worker and a study follow through a 25 s outage: one line each way, no SDK noise', { timeout: 180_000 }, async (t) => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-outage-'));
  const db = path.join(work, 'temporal.db');
  const port = await freePort();
  let server: DevServer = await devServer(db, port);

  const workerLines: string[] = [];
  const studyLines: string[] = [];
  const printed: string[] = [];
  const workerNotice = new OutageNotice({ address: server.address, write: (l) => workerLines.push(l) });
  const studyNotice = new OutageNotice({ address: server.address, write: (l) => studyLines.push(l) });
  Runtime.install({
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
    logger: new DefaultLogger('WARN', sdkLogSink(workerNotice, { write: (l) => printed.push(l) })),
  });

  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue: 'outage-activities', activities: { nothing: async () => undefined } });
  const running = worker.run();
  const watch = watchConnection(() => nativeConnection.workflowService.getSystemInfo({}), workerNotice, 1000);
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection });
    // A workflow nobody runs: its result arrives only when we terminate it after the outage.
    const handle = await client.workflow.start('nobodyRunsThis', { taskQueue: 'outage-nobody', workflowId: `outage-${Date.now()}` });
    const follow = untilReachable(() => handle.result(), studyNotice, 1000);
    follow.catch(() => undefined);

    await server.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    server = await devServer(db, port);
    await waitFor('the worker to say the connection is back', async () => workerLines.some((l) => l.startsWith('connection to Temporal')), 60_000);

    await handle.terminate('the outage is over');
    await assert.rejects(follow, (err: unknown) => err instanceof WorkflowFailedError, 'the follow outlived the outage and got the real outcome');

    t.diagnostic([...workerLines, ...studyLines.map((l) => `(study) ${l}`)].join(' | '));
    const address = `127.0.0.1:${port}`;
    assert.equal(workerLines[0], `Temporal at ${address} is unreachable (connection refused); retrying`);
    assert.equal(workerLines.filter((l) => l.includes('is unreachable')).length, 1, workerLines.join('\n'));
    const back = /^connection to Temporal at (\S+) is back after (\d+) s$/.exec(workerLines.at(-1)!);
    assert.ok(back, workerLines.join('\n'));
    assert.ok(Number(back[2]) >= OUTAGE_MS / 1000 - 5, `the outage lasted about ${OUTAGE_MS / 1000} s: ${back[0]}`);
    assert.match(studyLines[0] ?? '', new RegExp(`^Temporal at ${address} is unreachable \\(`), studyLines.join('\n'));

    assert.ok(!printed.some((l) => /retried \d+ times/.test(l)), `SDK retry lines reached the terminal:\n${printed.join('\n')}`);
    assert.ok(!printed.some((l) => /\x1b\[/.test(l)), 'colour codes reached the terminal');
  } finally {
    watch.stop();
    worker.shutdown();
    await running.catch(() => undefined);
    await nativeConnection.close();
    await connection.close();
    await server.stop();
  }
});
