/** What a JPEG's frame header says: enough to plan the crop without asking the decoder. */
export interface JpegFrame {
  width: number;
  height: number;
  /** 1 grayscale, 3 YCbCr (or RGB), 4 CMYK/YCCK. */
  components: number;
}

/**
 * Reads the size and component count from a JPEG's SOFn segment by walking the marker segments
 * from the start; undefined when the bytes are not a JPEG or the frame header cannot be found
 * before the scan data (the caller then asks the decoder). Costs microseconds, where sharp's
 * `metadata()` is a second pass through libvips.
 */
export function readJpegFrame(buf: Uint8Array): JpegFrame | undefined {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return undefined;
  let p = 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) return undefined;
    // Fill bytes: any number of 0xFF before a marker.
    while (p < buf.length && buf[p] === 0xff) p++;
    if (p >= buf.length) return undefined;
    const marker = buf[p++]!;
    // Markers without a length: TEM, RST0-7 (not expected before SOF, but harmless).
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI or SOS before any frame header
    if (p + 2 > buf.length) return undefined;
    const length = (buf[p]! << 8) | buf[p + 1]!;
    if (length < 2) return undefined;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (p + 8 > buf.length) return undefined;
      const height = (buf[p + 3]! << 8) | buf[p + 4]!;
      const width = (buf[p + 5]! << 8) | buf[p + 6]!;
      const components = buf[p + 7]!;
      if (!width || !height || !components) return undefined;
      return { width, height, components };
    }
    p += length;
  }
  return undefined;
}
