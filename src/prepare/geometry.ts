/** Crop geometry: shorter side resized to `resize`, then a centre crop of `crop`×`crop`. */
export interface Geometry {
  resize: number;
  crop: number;
}

/**
 * Size after resizing the shorter side to S, as torchvision's Resize(int) computes it: the long side
 * is truncated, `int(S * long / short)`. Square images stay square.
 */
export function resizedSize(width: number, height: number, shorter: number): { width: number; height: number } {
  if (width <= height) return { width: shorter, height: Math.floor((shorter * height) / width) };
  return { width: Math.floor((shorter * width) / height), height: shorter };
}

/** Python 3's round(): halves go to the even neighbour. torchvision's CenterCrop uses it for offsets. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Top-left corner of the centre crop, `round((H−C)/2)`, `round((W−C)/2)` as SPEC.md §2. */
export function centerCropOffsets(width: number, height: number, crop: number): { left: number; top: number } {
  if (width < crop || height < crop) throw new RangeError(`crop ${crop} is larger than the resized image ${width}x${height}`);
  return { left: roundHalfEven((width - crop) / 2), top: roundHalfEven((height - crop) / 2) };
}

export function geometryName(g: Geometry): string {
  return `${g.resize}-${g.crop}`;
}
