import sharp from 'sharp';
import { centerCropOffsets, resizedSize, type Geometry } from './geometry.js';
import { readJpegFrame } from './jpeg-header.js';
import { pilResizeCrop, type PilFilter } from './pil-resample.js';

// libvips' own cache only helps when the same image is opened again; we never do.
sharp.cache(false);

export type ResizeFilter = 'linear' | 'lanczos3' | 'cubic';

/** Our filter names and the PIL filters they reproduce (SPEC.md §2: PIL's BILINEAR by default). */
export const PIL_FILTERS: Record<ResizeFilter, PilFilter> = { linear: 'bilinear', cubic: 'bicubic', lanczos3: 'lanczos' };

export interface RgbImage {
  /** width × height × 3, RGB, HWC. */
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes any image sharp reads into 8-bit RGB exactly as PIL's `Image.open(f).convert('RGB')`:
 * - embedded ICC profiles are ignored (PIL and torchvision ignore them; sharp would convert);
 * - grayscale is replicated to three channels;
 * - CMYK JPEGs (Adobe-inverted or not, as libjpeg reports them) use PIL's naive formula
 *   (R = 255−K − C·(255−K)/255), not an ICC conversion;
 * - an alpha channel (PNG saved as .JPEG) is dropped, as convert('RGB') does.
 * A file that is not an image, or is truncated, throws.
 */
export async function decodeRgb(input: Buffer): Promise<RgbImage> {
  const frame = readJpegFrame(input);
  if (frame?.components === 4) return decodeCmyk(input);
  let img = sharp(input, { failOn: 'truncated' }).keepIccProfile();
  // A 3-component JPEG decodes to RGB as is; everything else goes through libvips' sRGB
  // conversion, which for gray and palette images is plain replication / lookup.
  if (frame?.components !== 3) img = img.toColourspace('srgb').removeAlpha();
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

async function decodeCmyk(input: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(input, { failOn: 'truncated' }).pipelineColourspace('cmyk').toColourspace('cmyk').raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`CMYK JPEG decoded to ${info.channels} channels, expected 4`);
  return { data: cmykToRgb(data), width: info.width, height: info.height };
}

/** Pillow's cmyk2rgb (libImaging/Convert.c): nk = 255−K; out = nk − MULDIV255(C, nk). */
export function cmykToRgb(cmyk: Uint8Array): Uint8Array {
  const n = cmyk.length >> 2;
  const out = new Uint8Array(n * 3);
  for (let i = 0, j = 0, o = 0; i < n; i++, j += 4) {
    const nk = 255 - cmyk[j + 3]!;
    for (let c = 0; c < 3; c++, o++) {
      const t = cmyk[j + c]! * nk + 128;
      const v = nk - (((t >> 8) + t) >> 8);
      out[o] = v < 0 ? 0 : v;
    }
  }
  return out;
}

/**
 * Decodes an image, resizes the shorter side to `geometry.resize` and centre-crops
 * `geometry.crop`, returning crop×crop×3 uint8 RGB (HWC): the bytes PIL's
 * open → convert('RGB') → resize → crop gives (SPEC.md §2, docs/DATASET.md). Only the crop
 * window of the resized image is computed.
 */
export async function cropImage(input: Buffer, geometry: Geometry, filter: ResizeFilter, into?: Uint8Array): Promise<Uint8Array> {
  const img = await decodeRgb(input);
  return cropDecoded(img, geometry, filter, into);
}

/** The crop of a decoded image, written into `into` (crop×crop×3 bytes) when given. */
export function cropDecoded(img: RgbImage, geometry: Geometry, filter: ResizeFilter, into?: Uint8Array): Uint8Array {
  const size = resizedSize(img.width, img.height, geometry.resize);
  const { left, top } = centerCropOffsets(size.width, size.height, geometry.crop);
  return pilResizeCrop(img.data, img.width, img.height, size.width, size.height, left, top, geometry.crop, geometry.crop, PIL_FILTERS[filter], into);
}
