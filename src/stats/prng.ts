/**
 * Seeded randomness for code that must give the same answer twice: bootstrap bands (the same
 * inputs give the same band). A pure function, no I/O.
 */

/** mulberry32: small, fast, and good enough for resampling and ordering. Returns values in [0, 1). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
