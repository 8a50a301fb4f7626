import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { InputError } from '../../src/errors.js';
import { explainConnectionError, temporalConfigured, temporalTarget } from '../../src/temporal/connection-config.js';
import { checkQueueMatchesHost } from '../../src/host/queue-check.js';

test('Temporal settings come from the environment and TOML profiles, as the temporal CLI reads them', async () => {
  assert.equal(temporalConfigured({}), false);
  assert.equal(temporalTarget('127.0.0.1:9999', {}).address, '127.0.0.1:9999');
  const t = temporalTarget(undefined, { TEMPORAL_ADDRESS: 'temporal.lab:7233', TEMPORAL_NAMESPACE: 'bench', TEMPORAL_API_KEY: 'sekrit-key-123' });
  assert.equal(t.address, 'temporal.lab:7233');
  assert.equal(t.namespace, 'bench');
  assert.equal(t.connectionOptions.apiKey, 'sekrit-key-123');
  assert.doesNotMatch(t.summary, /sekrit/, 'the summary never holds a secret');
  assert.match(t.summary, /TLS, API key/);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-envconfig-'));
  const toml = path.join(dir, 'temporal.toml');
  await writeFile(toml, '[profile.lab]\naddress = "lab.example:7233"\nnamespace = "studies"\n');
  const env = { TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'lab' };
  assert.equal(temporalConfigured(env), true);
  assert.deepEqual([temporalTarget(undefined, env).address, temporalTarget(undefined, env).namespace], ['lab.example:7233', 'studies']);
  assert.throws(() => temporalTarget(undefined, { ...env, TEMPORAL_PROFILE: 'nope' }), /Profile 'nope' not found/);
});

test('a bad setting stops before any work, naming the setting and the file', () => {
  const bad = (env: NodeJS.ProcessEnv, re: RegExp) => assert.throws(() => temporalTarget(undefined, env), (err: Error) => err instanceof InputError && re.test(err.message));
  bad({ TEMPORAL_ADDRESS: 'no-port-here' }, /TEMPORAL_ADDRESS is "no-port-here", not host:port/);
  bad({ TEMPORAL_ADDRESS: 'h:99999' }, /not host:port/);
  bad({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/hostname' },
    /TEMPORAL_TLS_CLIENT_CERT_PATH names \/nonexistent\/client\.pem, which cannot be read \(ENOENT\)/);
  bad({ TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS_CLIENT_KEY_PATH: '/etc/hostname' }, /client key is set .* without its certificate/);
});

test('connection errors are explained in our words', () => {
  const plain = temporalTarget('127.0.0.1:1', {});
  assert.match(explainConnectionError(plain, new Error('tonic::transport::Error(Transport, ConnectError("tcp connect error", Connection refused))')).message,
    /cannot connect to Temporal at 127\.0\.0\.1:1.*nothing accepted the connection/);
  const tls = temporalTarget(undefined, { TEMPORAL_ADDRESS: 'h:7233', TEMPORAL_TLS: 'true' });
  assert.match(explainConnectionError(tls, new Error('transport error: connection reset')).message, /TLS handshake failed: check TEMPORAL_TLS_SERVER_CA_CERT_PATH/);
  // What a worker without a client certificate saw once in CI (TLS 1.3: the refusal came after the handshake).
  const closed = 'Failed to call GetSystemInfo: code: \'The operation was cancelled\', message: "operation was canceled", source: tonic::transport::Error(Transport, hyper::Error(Canceled, "connection closed"))';
  assert.match(explainConnectionError(tls, new Error(closed)).message, /TLS handshake failed/);
  assert.doesNotMatch(explainConnectionError(plain, new Error(closed)).message, /TLS/);
});

test('queues are pinned to hardware by their kind prefix', () => {
  const cpuOnly = { gpus: [], gpuNote: 'nvidia-smi is not installed', jetsonModel: null, tegraRelease: null };
  assert.doesNotThrow(() => checkQueueMatchesHost('cpu-x86_64', cpuOnly));
  assert.throws(() => checkQueueMatchesHost('gpu-h100', cpuOnly), /no NVIDIA GPU \(nvidia-smi is not installed\)/);
  assert.throws(() => checkQueueMatchesHost('jetson-orin', cpuOnly), /not a Jetson: no \/etc\/nv_tegra_release/);
  assert.throws(() => checkQueueMatchesHost('tpu-v5', cpuOnly), /starts with its kind, cpu-, gpu- or jetson-/);
  const h100 = { index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-x', driver: '550.54.15', memoryBytes: 81559 * 1024 * 1024 };
  assert.doesNotThrow(() => checkQueueMatchesHost('gpu-h100', { ...cpuOnly, gpus: [h100], gpuNote: null }));
  assert.doesNotThrow(() => checkQueueMatchesHost('jetson-orin', { ...cpuOnly, jetsonModel: 'NVIDIA Jetson AGX Orin Developer Kit' }));
  assert.doesNotThrow(() => checkQueueMatchesHost('jetson-orin', { ...cpuOnly, tegraRelease: '# R36 (release), REVISION: 3.0' }));
});
