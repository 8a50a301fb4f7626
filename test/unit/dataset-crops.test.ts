/**
 * Crops are PIL's, bit for bit: the resampler against hand-worked values and against real Pillow
 * (scripts/python/pil_crops.py), the WebAssembly kernels against the JavaScript reference, and the
 * awkward files of ImageNet val (CMYK, grayscale, PNG saved as .JPEG, ICC profile) decoded as PIL's
 * convert('RGB') does. Fixtures are generated with sharp into a temporary folder.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { cmykToRgb, cropImage, decodeRgb } from '../../src/prepare/crop-image.js';
import { readJpegFrame } from '../../src/prepare/jpeg-header.js';
import { axisCoefficients, pilResizeCrop, pilResizeCropJs, type PilFilter } from '../../src/prepare/pil-resample.js';
import { resampleWasmBytes, wasmKernels } from '../../src/prepare/resample-wasm.js';
import { ROOT } from '../helpers/cli.js';
import { referencePython } from '../helpers/reference.js';

const run = promisify(execFile);
let dir: string;
before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-crops-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

/** Deterministic noise with structure (smooth gradients plus texture), w×h×3. */
function noise(w: number, h: number, seed = 1): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const p = Math.floor(i / 3);
    out[i] = (((p % w) * 255) / w + ((s >>> 24) & 63)) & 255;
  }
  return out;
}

test('bilinear upscale of a 2-pixel row matches values worked out from Pillow\'s Resample.c', () => {
  // Gray [0, 255] → 4 wide. Centres (i+0.5)/2 = .25 .75 1.25 1.75; taps clipped to the image and
  // renormalised: [1] → 0; [.75 .25] → 63.75 → 64; [.25 .75] → 191.25 → 191; [1] → 255.
  const src = Uint8Array.from([0, 0, 0, 255, 255, 255]);
  const out = pilResizeCropJs(src, 2, 1, 4, 1, 0, 0, 4, 1);
  assert.deepEqual(Array.from(out.filter((_, i) => i % 3 === 0)), [0, 64, 191, 255]);
  // Downscale 4 → 2 averages pairs with the triangle widened to support 2: weights .25 .75 .75 .25 / 2
  // around centres 1 and 3 → (0·.125 + 0·.375 + 255·.375 + 255·.125)... checked through the sums below.
  const k = axisCoefficients(4, 2, 0, 2);
  for (let i = 0; i < 2; i++) {
    const taps = k.bounds[i * 2 + 1]!;
    const sum = Array.from(k.kk.subarray(i * k.ksize, i * k.ksize + taps)).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - (1 << 22)) <= taps, `weights of output ${i} sum to 2^22 (got ${sum})`);
  }
});

test('WebAssembly SIMD kernels give the JavaScript reference\'s bytes for every filter and shape', () => {
  assert.ok(WebAssembly.validate(resampleWasmBytes()), 'the assembled module validates');
  assert.ok(wasmKernels(), 'node 20 runs WebAssembly SIMD');
  const cases: [number, number, number, number, PilFilter][] = [
    [227, 227, 256, 224, 'bilinear'], [500, 375, 256, 224, 'bilinear'], [375, 500, 342, 299, 'bilinear'],
    [1600, 1200, 256, 224, 'bilinear'], [500, 333, 256, 224, 'bicubic'], [300, 451, 256, 224, 'lanczos'],
    [227, 227, 342, 299, 'lanczos'], [61, 40, 30, 17, 'bilinear'],
  ];
  for (const [w, h, S, C, filter] of cases) {
    const src = noise(w, h, w + h);
    const ow = w <= h ? S : Math.floor((S * w) / h);
    const oh = w <= h ? Math.floor((S * h) / w) : S;
    const left = Math.round((ow - C) / 2);
    const top = Math.round((oh - C) / 2);
    const a = pilResizeCrop(src, w, h, ow, oh, left, top, C, C, filter);
    const b = pilResizeCropJs(src, w, h, ow, oh, left, top, C, C, filter);
    assert.equal(a.length, C * C * 3);
    assert.ok(Buffer.from(a).equals(Buffer.from(b)), `${w}x${h} → ${ow}x${oh} crop ${C} ${filter}: kernels differ`);
  }
  assert.throws(() => pilResizeCrop(noise(10, 10), 10, 10, 20, 20, 15, 0, 10, 10), /outside the resized/);
});

test('JPEG frame header: size and components without decoding; not a JPEG → undefined', async () => {
  const rgb = await sharp(Buffer.from(noise(50, 30)), { raw: { width: 50, height: 30, channels: 3 } }).jpeg({ progressive: true }).toBuffer();
  assert.deepEqual(readJpegFrame(rgb), { width: 50, height: 30, components: 3 });
  const gray = await sharp(Buffer.from(noise(7, 9)), { raw: { width: 7, height: 9, channels: 3 } }).toColourspace('b-w').jpeg().toBuffer();
  assert.deepEqual(readJpegFrame(gray), { width: 7, height: 9, components: 1 });
  const png = await sharp(Buffer.from(noise(5, 5)), { raw: { width: 5, height: 5, channels: 3 } }).png().toBuffer();
  assert.equal(readJpegFrame(png), undefined);
  assert.equal(readJpegFrame(rgb.subarray(0, 20)), undefined);
});

test('PNG saved as .JPEG, with and without alpha: the exact pixels, resampled like PIL', async () => {
  const w = 120;
  const h = 90;
  const px = noise(w, h, 7);
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) { rgba.set(px.subarray(i * 3, i * 3 + 3), i * 4); rgba[i * 4 + 3] = i % 256; }
  const expected = pilResizeCropJs(px, w, h, 85, 64, 10, 0, 64, 64);
  for (const [name, img] of [['rgb', sharp(Buffer.from(px), { raw: { width: w, height: h, channels: 3 } })], ['rgba', sharp(Buffer.from(rgba), { raw: { width: w, height: h, channels: 4 } })]] as const) {
    const file = path.join(dir, `png-${name}.JPEG`);
    await img.png().toFile(file);
    const crop = await cropImage(await readFile(file), { resize: 64, crop: 64 }, 'linear');
    assert.ok(Buffer.from(crop).equals(Buffer.from(expected)), `${name} PNG: alpha dropped, pixels kept`);
  }
});

test('grayscale JPEG → three equal channels; CMYK → PIL\'s naive formula; garbage → an error', async () => {
  const gray = await sharp(Buffer.from(noise(80, 60)), { raw: { width: 80, height: 60, channels: 3 } }).toColourspace('b-w').jpeg().toBuffer();
  const g = await decodeRgb(gray);
  assert.equal(g.data.length, 80 * 60 * 3);
  for (let i = 0; i < g.data.length; i += 3) assert.ok(g.data[i] === g.data[i + 1] && g.data[i] === g.data[i + 2]);
  // Pillow's cmyk2rgb on worked values: K=0 → 255−C; K=255 → 0; C=128, K=64 → 191 − MULDIV255(128, 191) = 191 − 96 = 95.
  assert.deepEqual(Array.from(cmykToRgb(Uint8Array.from([10, 0, 255, 0, 0, 0, 0, 255, 128, 128, 128, 64]))), [245, 255, 0, 0, 0, 0, 95, 95, 95]);
  await assert.rejects(cropImage(Buffer.from('this is not an image at all'), { resize: 32, crop: 32 }, 'linear'));
  const truncated = (await sharp(Buffer.from(noise(200, 200)), { raw: { width: 200, height: 200, channels: 3 } }).jpeg().toBuffer()).subarray(0, 3000);
  await assert.rejects(cropImage(truncated, { resize: 32, crop: 32 }, 'linear'));
});

test('against real Pillow: RGB, grayscale, CMYK, ICC-tagged and PNG-as-JPEG files, every filter', async () => {
  const python = await referencePython();
  const src = noise(300, 200, 3);
  const base = sharp(Buffer.from(src), { raw: { width: 300, height: 200, channels: 3 } }).blur(0.8);
  const files: Record<string, string> = {};
  files.rgb = path.join(dir, 'rgb.JPEG');
  await base.clone().jpeg({ quality: 90 }).toFile(files.rgb);
  files.gray = path.join(dir, 'gray.JPEG');
  await base.clone().toColourspace('b-w').jpeg({ quality: 90 }).toFile(files.gray);
  files.png = path.join(dir, 'png.JPEG');
  await base.clone().png().toFile(files.png);
  files.icc = path.join(dir, 'icc.JPEG');
  // An embedded Display P3 profile: PIL ignores it, so must we (sharp would convert to sRGB).
  await base.clone().withIccProfile('p3').jpeg({ quality: 90 }).toFile(files.icc);
  // A CMYK JPEG written by PIL itself (Adobe-inverted, as Photoshop writes them).
  files.cmyk = path.join(dir, 'cmyk.JPEG');
  await run(python, ['-c', `from PIL import Image; Image.open(${JSON.stringify(files.rgb)}).convert('CMYK').save(${JSON.stringify(files.cmyk)}, 'JPEG', quality=90)`]);
  assert.equal(readJpegFrame(await readFile(files.gray))?.components, 1);
  assert.equal(readJpegFrame(await readFile(files.cmyk))?.components, 4);
  const list = path.join(dir, 'list.txt');
  const names = Object.keys(files);
  await writeFile(list, names.map((n) => files[n]).join('\n'));
  for (const [filter, pil] of [['linear', 'BILINEAR'], ['cubic', 'BICUBIC'], ['lanczos3', 'LANCZOS']] as const) {
    for (const [S, C] of [[256, 224], [150, 128]] as const) {
      const out = path.join(dir, `pil-${pil}-${S}.raw`);
      await run(python, [path.join(ROOT, 'scripts/python/pil_crops.py'), list, out, String(S), String(C), pil]);
      const ref = await readFile(out);
      const per = C * C * 3;
      for (let i = 0; i < names.length; i++) {
        const ours = await cropImage(await readFile(files[names[i]!]!), { resize: S, crop: C }, filter);
        const theirs = ref.subarray(i * per, (i + 1) * per);
        let diff = 0;
        for (let j = 0; j < per; j++) diff += Math.abs(ours[j]! - theirs[j]!);
        assert.equal(diff, 0, `${names[i]} ${filter} ${S}/${C}: mean abs. difference ${(diff / per).toFixed(3)} from PIL`);
      }
    }
  }
});
