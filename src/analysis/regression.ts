/**
 * Ordinary least squares on one variable, and its leave-one-out predictions. Plain closed forms:
 * the studies' fits have a handful of points, so numerical refinements would buy nothing.
 */
export interface LinearFit {
  slope: number;
  intercept: number;
  /** 1 − SS_res/SS_tot; null when it says nothing (two points, or y constant). */
  r2: number | null;
  n: number;
}

function mean(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

/** y = slope·x + intercept; null with fewer than two points or when every x is the same. */
export function linearFit(x: readonly number[], y: readonly number[]): LinearFit | null {
  const n = x.length;
  if (n < 2 || y.length !== n) return null;
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
  }
  // Relative test: GFLOPs and byte counts differ by many orders of magnitude between fits.
  if (!(sxx > 1e-24 * Math.max(1, mx * mx) * n)) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  return { slope, intercept, r2: rSquared(x, y, slope, intercept), n };
}

export function rSquared(x: readonly number[], y: readonly number[], slope: number, intercept: number): number | null {
  const n = x.length;
  if (n < 3) return null;
  const my = mean(y);
  let ssTot = 0;
  let ssRes = 0;
  for (let i = 0; i < n; i++) {
    ssTot += (y[i]! - my) ** 2;
    ssRes += (y[i]! - (slope * x[i]! + intercept)) ** 2;
  }
  return ssTot > 0 ? 1 - ssRes / ssTot : null;
}

/** For each point, the value the line fitted on all the other points predicts (null if that fit is undefined). */
export function leaveOneOut(x: readonly number[], y: readonly number[]): (number | null)[] {
  return x.map((xi, i) => {
    const fit = linearFit(x.filter((_, j) => j !== i), y.filter((_, j) => j !== i));
    return fit ? fit.slope * xi + fit.intercept : null;
  });
}

/**
 * Each point's leverage in a line fit, the diagonal of the hat matrix: h_i = 1/n + (x_i − x̄)²/Sxx.
 * They sum to 2; a point far from the others in x has h near 1 and the line passes near it
 * whatever its y. Null when every x is the same (no line).
 */
export function leverages(x: readonly number[]): number[] | null {
  const n = x.length;
  if (n < 2) return null;
  const mx = mean(x);
  const sxx = x.reduce((s, v) => s + (v - mx) ** 2, 0);
  if (!(sxx > 1e-24 * Math.max(1, mx * mx) * n)) return null;
  return x.map((v) => 1 / n + (v - mx) ** 2 / sxx);
}

/** Sample standard deviation / mean; null with fewer than two values or a zero mean. */
export function coefficientOfVariation(v: readonly number[]): number | null {
  if (v.length < 2) return null;
  const m = mean(v);
  if (m === 0) return null;
  const variance = v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1);
  return Math.sqrt(variance) / Math.abs(m);
}

export { mean };
