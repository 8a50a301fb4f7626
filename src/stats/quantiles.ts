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

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 significant digits). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes' betacf). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (const aa of [(m * (b - m) * x) / ((a + m2 - 1) * (a + m2)), (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))]) {
      d = 1 + aa * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + aa / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), 0 ≤ x ≤ 1. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast on one side of the mean; the symmetry I_x(a,b) = 1 − I_(1−x)(b,a) covers the other.
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(x, a, b)) / a : 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Two-sided p-value of a Student t statistic with df degrees of freedom (df = Infinity: the normal's). */
export function twoSidedStudentP(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`a t test needs degrees of freedom > 0, not ${df}`);
  if (!Number.isFinite(df)) return twoSidedNormalP(t);
  return Math.min(1, incompleteBeta(df / (df + t * t), df / 2, 0.5));
}
