/**
 * Seeded randomness for code that must give the same answer twice: bootstrap bands (the same
 * inputs give the same band) and workflow code (the same order on every replay). Pure functions,
 * no I/O, so workflow code may import this module.
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

/** FNV-1a of a string: a 32-bit seed from ids such as the study id, device and round. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Fisher–Yates with a seeded PRNG; returns a new array. */
export function shuffled<T>(items: readonly T[], seed: string): T[] {
  const out = [...items];
  const next = prng(seedOf(seed));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
