import sharp from 'sharp';
import { centerCropOffsets, resizedSize, type Geometry } from './geometry.js';

// libvips' own cache only helps when the same image is opened again; we never do.
sharp.cache(false);

export type ResizeFilter = 'linear' | 'lanczos3' | 'cubic';

/**
 * Decodes an image (JPEG, PNG, CMYK or grayscale: all come out as 3-channel sRGB), resizes the
 * shorter side and centre-crops, returning crop×crop×3 uint8 RGB (HWC). 'linear' is libvips'
 * antialiased bilinear, which matches PIL's BILINEAR (docs/ACCURACY.md).
 */
export async function cropImage(input: Buffer, geometry: Geometry, filter: ResizeFilter): Promise<Uint8Array> {
  const meta = await sharp(input).metadata();
  if (!meta.width || !meta.height) throw new Error('image has no size in its header');
  const size = resizedSize(meta.width, meta.height, geometry.resize);
  const { left, top } = centerCropOffsets(size.width, size.height, geometry.crop);
  const { data, info } = await sharp(input)
    .toColourspace('srgb')
    .removeAlpha()
    .resize(size.width, size.height, { fit: 'fill', kernel: filter })
    .extract({ left, top, width: geometry.crop, height: geometry.crop })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== geometry.crop * geometry.crop * 3) {
    throw new Error(`decoded to ${info.channels} channels, expected 3`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}
