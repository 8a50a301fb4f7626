/**
 * The small numeric kit behind every latency interval: medians without sorting, quantiles, and the
 * Student t and normal figures the small-sample corrections and tests need. Pure, like
 * src/stats/prng.ts: no I/O, the same answer every time.
 */

/** k-th smallest of a[0..n) (quickselect, in place): a median per resample without sorting it. */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
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

/**
 * Median of the first n values of a scratch buffer, which it reorders (numpy's median: the mean of
 * the two middle values for an even count).
 */
export function medianInPlace(a: Float64Array, n = a.length): number {
  if (n === 0) return NaN;
  const hi = select(a, n, n >> 1);
  return n % 2 ? hi : (hi + select(a, n, (n >> 1) - 1)) / 2;
}

/** Median as numpy computes it; NaN for no values. */
export function median(values: ArrayLike<number>): number {
  return medianInPlace(Float64Array.from(values));
}

/** q-quantile (0..1) of sorted values, linear between closest ranks (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const rank = q * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** The standard normal's 97.5th percentile: every interval here is a 95% one. */
export const Z_975 = 1.959963984540054;

/** t(0.975, df) for df = 1..30 (any statistics table). */
const T_975 = [
  12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281,
  2.201, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.093, 2.086,
  2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
];

/**
 * Student t's 97.5th percentile for df degrees of freedom: the table up to 30, then the
 * Cornish-Fisher expansion around the normal quantile (error below 1e-4 past 30).
 */
export function studentT975(df: number): number {
  if (!(df >= 1) || !Number.isInteger(df)) throw new RangeError(`t quantile needs a whole number of degrees of freedom ≥ 1, not ${df}`);
  if (df <= T_975.length) return T_975[df - 1]!;
  const z = Z_975;
  const z3 = z ** 3;
  const z5 = z ** 5;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2);
}

/** Two-sided p-value of a standard normal statistic (Abramowitz & Stegun 7.1.26 for erfc; error below 1.5e-7). */
export function twoSidedNormalP(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return Math.min(1, erfc);
}
