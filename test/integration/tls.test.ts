import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { DevServer } from '../../src/temporal/dev-server.js';
import { KIT, runCli } from '../helpers/cli.js';
import { devServer, startWorkerProcess, type WorkerProcess } from '../helpers/cluster.js';
import { makePki, startTlsProxy, type Pki } from '../helpers/tls-proxy.js';

let work: string;
let server: DevServer;
let proxy: { port: number; close: () => Promise<void> };
let pki: Pki;
const workers: WorkerProcess[] = [];
const API_KEY = 'apikey-9f3c1e7d-SECRET';

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-tls-'));
  pki = makePki(work);
  server = await devServer(path.join(work, 'temporal.db'));
  proxy = await startTlsProxy(pki, Number(server.address.split(':')[1]));
});
after(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await proxy?.close();
  await server?.stop();
});

const tlsEnv = (cert: string, key: string) => ({
  TEMPORAL_ADDRESS: `localhost:${proxy.port}`, TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert, TEMPORAL_TLS_SERVER_NAME: 'localhost',
  TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: key, TEMPORAL_API_KEY: API_KEY, DNNBENCH_DATA: path.join(work, 'data'),
});

test('mTLS: a worker with the right client certificate runs a study; no secret is ever printed', async () => {
  const env = tlsEnv(pki.clientCert, pki.clientKey);
  const worker = startWorkerProcess(env.TEMPORAL_ADDRESS, ['--queue', 'cpu-x86_64'], env);
  workers.push(worker);
  await worker.ready;
  assert.match(worker.output(), /mTLS, API key/);
  const spec = path.join(work, 'study.yaml');
  await writeFile(spec, ['id: tls', 'models: [mobilenetv2-12-int8]', 'devices: [{ queue: cpu-x86_64 }]', 'batchSizes: [1]',
    'timing: { warmupRuns: 1, warmupSeconds: 0, minRuns: 3, minSeconds: 0, minRepetitions: 2, maxRepetitions: 2 }', `dataset: { kit: ${KIT}, limit: 8 }`].join('\n'));
  const r = await runCli(['study', '--config', spec, '--out', path.join(work, 'out')], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /study tls done/);
  const keyLines = (await readFile(pki.clientKey, 'utf8')).split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
  for (const output of [r.stdout, r.stderr, worker.output()]) {
    assert.ok(!output.includes(API_KEY), 'the API key was printed');
    assert.ok(!keyLines.some((l) => output.includes(l)), 'the private key was printed');
  }
});

for (const [name, cert, key] of [['no client certificate', '', ''], ['a certificate from another CA', 'stranger', 'stranger']] as const) {
  test(`mTLS: a worker with ${name} is refused with a clear message`, async () => {
    const env: Record<string, string> = tlsEnv(cert ? pki.strangerCert : '', key ? pki.strangerKey : '');
    if (!cert) { delete env.TEMPORAL_TLS_CLIENT_CERT_PATH; delete env.TEMPORAL_TLS_CLIENT_KEY_PATH; }
    const worker = startWorkerProcess(env.TEMPORAL_ADDRESS!, ['--queue', 'cpu-x86_64'], env);
    workers.push(worker);
    const code = await new Promise<number | null>((resolve) => worker.child.once('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(worker.output(), /cannot connect to Temporal at localhost:\d+, namespace default, (m)?TLS/);
    assert.match(worker.output(), /TLS handshake failed: check TEMPORAL_TLS_SERVER_CA_CERT_PATH/);
    assert.ok(!worker.output().includes(API_KEY));
  });
}
