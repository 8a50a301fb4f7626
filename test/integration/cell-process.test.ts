/**
 * Latency cells in a process of their own (timing.isolation 'process'): a real kit model timed in
 * a child process, the child's errors passed on with its message, cancellation, and a child that
 * leaves when its worker is killed with SIGKILL mid-cell (no orphan keeps the CPU busy).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { resolveModel } from '../../src/study/catalog.js';
import { prepareDataset } from '../../src/prepare/prepare.js';
import { kitImages } from '../../src/prepare/kit.js';
import { measureCellInProcess, type IsolatedCellRequest } from '../../src/latency/cell-process.js';
import { probeHost } from '../../src/host/probe-host.js';
import { KIT, ROOT } from '../helpers/cli.js';
import { waitFor } from '../helpers/cluster.js';

let work: string;
let req: IsolatedCellRequest;
before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-cell-process-'));
  const { dir, manifest } = await prepareDataset({
    images: await kitImages(KIT, 'val_227', 4), geometry: { resize: 256, crop: 224 }, resizeFilter: 'linear', labelSource: 'kit', cacheRoot: path.join(work, 'ds'),
  });
  const model = await resolveModel('squeezenet1.1_zoo-weights_opset13', KIT);
  req = {
    model, modelPath: model.path, batchSize: 2, provider: 'cpu', threads: 1, shardFile: path.join(dir, manifest.shards[0]!.file), crop: 224, host: await probeHost(),
    timing: { warmupRuns: 2, warmupSeconds: 0.1, minRuns: 10, minSeconds: 0.3 },
  };
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('a kit model timed in its own process: samples and memory come back', async () => {
  const { measurement: m, speed } = await measureCellInProcess(req);
  assert.ok(speed.computeMs > 0 && speed.memoryMs > 0, `the host's speed read in the cell's process: ${JSON.stringify(speed)}`);
  assert.ok(m.runs >= 10 && m.samples_ms.length === m.runs, `runs ${m.runs}`);
  assert.ok(m.p50_ms > 0 && m.min_ms <= m.p50_ms && m.p50_ms <= m.max_ms);
  assert.ok(m.rss_before_bytes! > 0 && m.rss_peak_bytes! >= m.rss_before_bytes!);
});

test('the child\'s error comes back with its message; progress is reported; a cancelled cell stops its process', async () => {
  const missing = path.join(work, 'missing.onnx');
  await assert.rejects(measureCellInProcess({ ...req, modelPath: missing }), (e: Error) => e.message.includes(missing));
  const ac = new AbortController();
  const started = performance.now();
  const long = measureCellInProcess({ ...req, timing: { ...req.timing, minSeconds: 60 } }, () => ac.abort(new Error('cancelled by test')), ac.signal);
  await assert.rejects(long, /cancelled by test/);
  assert.ok(performance.now() - started < 30_000, 'did not run its 60 s');
});

/** Processes running the cell child entry, with their parent pid. */
async function cellChildren(): Promise<Array<{ pid: number; ppid: number }>> {
  const found: Array<{ pid: number; ppid: number }> = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = await readFile(`/proc/${name}/cmdline`, 'utf8');
      if (!cmd.includes('cell-child.mjs')) continue;
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(await readFile(`/proc/${name}/status`, 'utf8'))?.[1]);
      found.push({ pid: Number(name), ppid });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test('a worker killed with SIGKILL mid-cell takes its cell\'s process with it', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const driver = path.join(work, 'driver.mts'); // ESM outside the package: top-level await
  await writeFile(driver, `
import { measureCellInProcess } from ${JSON.stringify(path.join(ROOT, 'src/latency/cell-process.ts'))};
const req = JSON.parse(process.argv[2]);
await measureCellInProcess({ ...req, timing: { ...req.timing, minSeconds: 120 } }, () => console.log('progress'));
`);
  const parent = spawn(process.execPath, ['--import', 'tsx', driver, JSON.stringify(req)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      parent.stdout.on('data', (d: Buffer) => { if (d.toString().includes('progress')) resolve(); });
      parent.on('exit', (code) => reject(new Error(`driver exited (${code}) before the cell started`)));
    });
    const mine = (await cellChildren()).filter((c) => c.ppid === parent.pid);
    assert.equal(mine.length, 1, 'the cell runs in a child of the killed process');
    parent.kill('SIGKILL');
    await waitFor('the orphaned cell process to leave', async () => !(await cellChildren()).some((c) => c.pid === mine[0]!.pid), 20_000);
  } finally {
    parent.kill('SIGKILL');
  }
});
