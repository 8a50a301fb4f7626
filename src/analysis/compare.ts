/**
 * Two studies side by side (two onnxruntime versions, two devices): per (model, batch) the ratio
 * of p50 latencies B/A, with a 95% bootstrap band from the raw runs, so a 3% "speed-up" inside the
 * run-to-run noise reads as noise.
 */
export interface CompareCell {
  model_id: string;
  batch_size: number;
  p50_ms: number;
  samples: readonly number[];
}

export interface CompareRow {
  model_id: string;
  device_a: string;
  device_b: string;
  batch_size: number;
  p50_a_ms: number;
  p50_b_ms: number;
  /** p50 B / p50 A: below 1, B is faster. */
  ratio: number;
  band_lo: number | null;
  band_hi: number | null;
  runs_a: number;
  runs_b: number;
  verdict: 'faster' | 'slower' | 'within noise' | 'no samples';
}

/** Deterministic PRNG (mulberry32): the same inputs give the same band. */
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

/** k-th smallest (quickselect, in place): a median per resample without sorting it. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** Median as numpy computes it (mean of the two middle values for an even count). */
export function median(values: ArrayLike<number>): number {
  const a = Float64Array.from(values);
  const n = a.length;
  const hi = select(a, n >> 1);
  return n % 2 ? hi : (hi + select(a, (n >> 1) - 1)) / 2;
}

/** 2.5th and 97.5th percentiles of the bootstrap distribution of median(B)/median(A). */
export function bootstrapRatioBand(a: readonly number[], b: readonly number[], resamples = 1000, seed = 1): [number, number] {
  const rand = prng(seed);
  const bufA = new Float64Array(a.length);
  const bufB = new Float64Array(b.length);
  const ratios = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < a.length; i++) bufA[i] = a[Math.floor(rand() * a.length)]!;
    for (let i = 0; i < b.length; i++) bufB[i] = b[Math.floor(rand() * b.length)]!;
    ratios[r] = median(bufB) / median(bufA);
  }
  ratios.sort();
  const q = (p: number) => ratios[Math.min(resamples - 1, Math.max(0, Math.round(p * (resamples - 1))))]!;
  return [q(0.025), q(0.975)];
}

/** Rows for every (model, batch) measured in both A (on deviceA) and B (on deviceB), in A's order. */
export function compareCells(
  a: readonly CompareCell[], b: readonly CompareCell[], devices: { a: string; b: string }, resamples = 1000,
): CompareRow[] {
  const byKey = new Map(b.map((c) => [`${c.model_id}\u0000${c.batch_size}`, c]));
  return a.flatMap((ca) => {
    const cb = byKey.get(`${ca.model_id}\u0000${ca.batch_size}`);
    if (!cb) return [];
    const enough = ca.samples.length >= 2 && cb.samples.length >= 2;
    const band = enough ? bootstrapRatioBand(ca.samples, cb.samples, resamples) : null;
    const verdict = !band ? 'no samples' : band[1] < 1 ? 'faster' : band[0] > 1 ? 'slower' : 'within noise';
    return [{
      model_id: ca.model_id, device_a: devices.a, device_b: devices.b, batch_size: ca.batch_size,
      p50_a_ms: ca.p50_ms, p50_b_ms: cb.p50_ms, ratio: cb.p50_ms / ca.p50_ms,
      band_lo: band?.[0] ?? null, band_hi: band?.[1] ?? null, runs_a: ca.samples.length, runs_b: cb.samples.length, verdict,
    }];
  });
}
