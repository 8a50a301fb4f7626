import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import type { LogEntry } from '@temporalio/worker';
import { OutageNotice, outageReason, sdkLogSink, watchConnection } from '../../src/temporal/outage-notice.js';

// A retry warning as the SDK 1.24 core forwards it (captured from a worker whose dev server was stopped).
const coreRetry: LogEntry = {
  level: 'WARN',
  message: 'gRPC call poll_activity_task_queue retried 6 times',
  timestampNanos: 0n,
  meta: {
    sdkComponent: 'core', target: 'temporalio_client::retry',
    error: 'Status { code: Unavailable, message: "tcp connect error", source: Some(tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:43629, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))) }',
  },
};

function clocked() {
  let t = 1_000_000;
  const lines: string[] = [];
  const notice = new OutageNotice({ address: 'temporal.lab:7233', write: (l) => lines.push(l), now: () => t });
  return { notice, lines, advance: (ms: number) => { t += ms; } };
}

test('an outage is said once, updated at most every 30 s, and its end says how long it lasted', () => {
  const { notice, lines, advance } = clocked();
  notice.succeeded();
  assert.deepEqual(lines, [], 'nothing to say while all is well');
  notice.failed('connection refused');
  for (let i = 0; i < 12; i++) { advance(1000); notice.failed('connection refused'); }
  assert.deepEqual(lines, ['Temporal at temporal.lab:7233 is unreachable (connection refused); retrying']);
  advance(18_000);
  notice.failed('connection refused');   // 30 s after the first line
  advance(5_000);
  notice.failed('connection refused');
  assert.equal(lines.length, 2);
  assert.equal(lines[1], 'Temporal at temporal.lab:7233 is still unreachable (connection refused); retrying — 30 s so far');
  advance(10_000);
  notice.succeeded();
  assert.equal(lines[2], 'connection to Temporal at temporal.lab:7233 is back after 45 s');
  assert.equal(notice.unreachable, false);
});

test('a success right after a failure does not end the outage (frontend up, its database down)', () => {
  const { notice, lines, advance } = clocked();
  notice.failed('no answer in time');
  advance(2000);
  notice.succeeded();
  assert.equal(notice.unreachable, true);
  advance(1000);
  notice.failed('no answer in time');
  advance(6000);
  notice.succeeded();
  assert.deepEqual(lines, [
    'Temporal at temporal.lab:7233 is unreachable (no answer in time); retrying',
    'connection to Temporal at temporal.lab:7233 is back after 9 s',
  ]);
});

test('reasons in a few words, from the core and from grpc-js', () => {
  assert.equal(outageReason(String(coreRetry.meta!.error)), 'connection refused');
  assert.equal(outageReason('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7233'), 'connection refused');
  assert.equal(outageReason('Status { code: Unavailable, message: "Not enough hosts to serve the request", source: None }'), 'Not enough hosts to serve the request');
  assert.equal(outageReason('13 INTERNAL: something\nstack'), 'something');
});

test('SDK retry warnings feed the notice and reach the terminal only in debug mode; other lines lose their colour codes', () => {
  const { notice, lines } = clocked();
  const printed: string[] = [];
  const sink = sdkLogSink(notice, { write: (l) => printed.push(l) });
  sink(coreRetry);
  sink(coreRetry);
  sink({ level: 'WARN', message: '\x1b[33mWorkflow task failed\x1b[0m', timestampNanos: 0n, meta: { workflowId: 'w' } });
  assert.deepEqual(lines, ['Temporal at temporal.lab:7233 is unreachable (connection refused); retrying']);
  assert.deepEqual(printed, ['WARN Workflow task failed {"workflowId":"w"}']);

  const debugPrinted: string[] = [];
  sdkLogSink(clocked().notice, { debug: true, write: (l) => debugPrinted.push(l) })(coreRetry);
  assert.equal(debugPrinted.length, 1);
  assert.match(debugPrinted[0]!, /^WARN gRPC call poll_activity_task_queue retried 6 times .*ConnectionRefused/);
});

test('watchConnection: a real socket closed and reopened on the same port', async () => {
  const listen = (port = 0) => new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer((sock) => sock.end()).once('error', reject).listen(port, '127.0.0.1', () => resolve(s));
  });
  const connect = (port: number) => new Promise<void>((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => { sock.destroy(); resolve(); }).once('error', reject);
  });
  let server = await listen();
  const port = (server.address() as net.AddressInfo).port;
  const lines: string[] = [];
  const notice = new OutageNotice({ address: `127.0.0.1:${port}`, write: (l) => lines.push(l), quietMs: 0 });
  const watch = watchConnection(() => connect(port), notice, 50, 1000);
  try {
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(lines, []);
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(lines, [`Temporal at 127.0.0.1:${port} is unreachable (connection refused); retrying`]);
    server = await listen(port);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, new RegExp(`^connection to Temporal at 127\\.0\\.0\\.1:${port} is back after \\d+ s$`));
  } finally {
    watch.stop();
    server.close();
  }
});
