/**
 * Our model inputs are the Python reference's inputs bit for bit: normaliseCrops (and so the
 * evaluation's lookup tables and SIMD kernel, tested against it) against `normalise` of
 * scripts/python/reference_accuracy.py (numpy float32), float32 and float16, every preset shape.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { normaliseCrops, toFloat16Bits } from '../../src/inputs/normalise.js';
import type { Preprocessing } from '../../src/study/study-spec.js';
import { ROOT } from '../helpers/cli.js';
import { referencePython } from '../helpers/reference.js';

const run = promisify(execFile);

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-normalize-ref-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PRESETS: Record<string, Preprocessing> = {
  torchvision: { resize: 19, crop: 16, channelOrder: 'RGB', scale: 'unit', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'NCHW' },
  caffe: { resize: 19, crop: 16, channelOrder: 'BGR', scale: 'byte', mean: [103.939, 116.779, 123.68], std: [1, 1, 1], layout: 'NCHW' },
  tfNhwc: { resize: 19, crop: 16, channelOrder: 'RGB', scale: 'byte', mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5], layout: 'NHWC' },
  bgrNhwc: { resize: 19, crop: 16, channelOrder: 'BGR', scale: 'unit', mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4], layout: 'NHWC' },
};

const SCRIPT = `
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from reference_accuracy import normalise
x = np.fromfile(sys.argv[2], dtype=np.uint8).reshape(-1, 16, 16, 3)
p = json.loads(sys.argv[3])
normalise(x, p, np.float32).tofile(sys.argv[4] + ".f32")
normalise(x, p, np.float16).tofile(sys.argv[4] + ".f16")
`;

test('normaliseCrops gives the Python reference\'s float32 and float16 inputs bit for bit', async () => {
  const python = await referencePython();
  // Two 16x16 crops: every byte value in every channel (pixel v = (v, 255 − v, v·7 mod 256)), then noise.
  const n = 2;
  const px = new Uint8Array(n * 16 * 16 * 3);
  for (let v = 0; v < 256; v++) px.set([v, 255 - v, (v * 7) % 256], v * 3);
  let s = 12345;
  for (let i = 256 * 3; i < px.length; i++) px[i] = (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  const crops = path.join(dir, 'crops.u8');
  await writeFile(crops, px);
  for (const [name, p] of Object.entries(PRESETS)) {
    const out = path.join(dir, name);
    await run(python, ['-c', SCRIPT, path.join(ROOT, 'scripts/python'), crops, JSON.stringify(p), out]);
    const ours = normaliseCrops(px, n, 16, p);
    const f32 = await readFile(`${out}.f32`);
    assert.deepEqual(new Uint32Array(ours.buffer), new Uint32Array(f32.buffer, f32.byteOffset, f32.length / 4), `${name} float32`);
    const f16 = await readFile(`${out}.f16`);
    assert.deepEqual(toFloat16Bits(ours), new Uint16Array(f16.buffer, f16.byteOffset, f16.length / 2), `${name} float16`);
  }
});
