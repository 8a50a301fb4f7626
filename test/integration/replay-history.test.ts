import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { ROOT } from '../helpers/cli.js';

// Determinism guard: histories of a finished study (recorded by orchestration.test.ts with
// DNNBENCH_RECORD_HISTORY=1) must replay against today's workflow code. A change that would break
// running studies fails here; if the change is intended, version it (patched()) or re-record.
const workflowsPath = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

for (const name of ['study-workflow', 'device-accuracy-workflow', 'device-latency-workflow', 'latency-round-workflow']) {
  test(`recorded ${name} history replays deterministically`, async () => {
    const history = JSON.parse(await readFile(path.join(ROOT, 'test/fixtures/history', `${name}.json`), 'utf8'));
    await Worker.runReplayHistory({ workflowsPath }, history);
  });
}
