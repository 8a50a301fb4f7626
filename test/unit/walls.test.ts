/**
 * The import walls (npm run lint:walls, docs/ARCHITECTURE.md "Walls"): bad imports planted in a
 * copy of src/ are each reported with their file and rule, an allowed one (a workflow importing
 * activities as types) is not, and the real tree holds every wall.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { checkWalls, type WallViolation } from '../../scripts/check-walls.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const key = (v: WallViolation) => `${v.rule} | ${v.file} | ${v.detail}`;

let baseline: WallViolation[];
let copy: string;

before(async () => {
  baseline = await checkWalls(REPO);
  copy = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-walls-'));
  await cp(path.join(REPO, 'src'), path.join(copy, 'src'), { recursive: true });
  for (const f of ['tsconfig.json', '.dependency-cruiser.cjs']) await cp(path.join(REPO, f), path.join(copy, f));
  await symlink(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'));
});
after(async () => {
  if (copy) await rm(copy, { recursive: true, force: true });
});

test('the real tree holds every wall', () => {
  assert.deepEqual(baseline.map(key), [], `npm run lint:walls reports:\n${baseline.map(key).join('\n')}`);
});

test('planted bad imports fail the check, each named by file and rule; type-only activity imports in workflows pass', async () => {
  const plant = async (rel: string, text: string) => {
    await mkdir(path.dirname(path.join(copy, rel)), { recursive: true });
    await writeFile(path.join(copy, rel), text);
  };
  const workerModule = (await readdir(path.join(REPO, 'src/workers'))).find((f) => f.endsWith('.ts'))!.replace(/\.ts$/, '.js');
  await plant('src/workflows/planted-activity-value.ts', "import * as activities from '../activities/index.js';\nexport const planted = activities;\n");
  await plant('src/workflows/planted-activity-types.ts', "import type * as activities from '../activities/index.js';\nexport type Planted = typeof activities;\n");
  await plant('src/accuracy/planted-ort.ts', "import { InferenceSession } from 'onnxruntime-node';\nexport const planted = InferenceSession;\n");
  await plant('src/accuracy/planted-probe.ts', "import { execFile } from 'node:child_process';\nexport const gpus = () => execFile('nvidia-smi', ['-L']);\n");
  await plant('src/activities/planted-worker.ts', `import type * as worker from '../workers/${workerModule}';\nexport type Planted = typeof worker;\n`);
  // src/stats is what workflows may run: a clock read through Node's perf_hooks breaks its purity.
  await plant('src/stats/planted-clock.ts', "import { performance } from 'node:perf_hooks';\nexport const now = () => performance.now();\n");
  // ...while a workflow using src/stats's seeded shuffle is allowed.
  await plant('src/workflows/planted-shuffle.ts', "import { shuffled } from '../stats/shuffle.js';\nexport const planted = shuffled;\n");
  await plant('src/planted-a/a.ts', "import { b } from '../planted-b/b.js';\nexport const a = () => b;\n");
  await plant('src/planted-b/b.ts', "import { a } from '../planted-a/a.js';\nexport const b = () => a;\n");

  const known = new Set(baseline.map(key));
  const found = (await checkWalls(copy)).filter((v) => !known.has(key(v)));
  const seen = found.map((v) => `${v.rule} | ${v.file}`).sort();
  assert.deepEqual(seen, [
    'activities-not-orchestration | src/activities/planted-worker.ts',
    'hardware-probes-only-in-host-and-power | src/accuracy/planted-probe.ts',
    // workers import activities, so the planted import closes a cycle as well
    'no-folder-cycles | src/activities',
    'no-folder-cycles | src/planted-a',
    'no-folder-cycles | src/planted-b',
    'no-folder-cycles | src/workers',
    'onnxruntime-only-in-runtime | src/accuracy/planted-ort.ts',
    'stats-pure | src/stats/planted-clock.ts',
    'workflows-deterministic | src/workflows/planted-activity-value.ts',
  ], found.map(key).join('\n'));
  assert.match(found.find((v) => v.rule === 'onnxruntime-only-in-runtime')!.detail, /onnxruntime-node/);
  assert.match(found.find((v) => v.rule === 'hardware-probes-only-in-host-and-power')!.detail, /line 2 names nvidia-smi/);
});
