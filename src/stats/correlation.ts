/** Pearson's correlation coefficient of paired values (NaN when either side is constant). */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const mx = xs.reduce((a, v) => a + v, 0) / xs.length;
  const my = ys.reduce((a, v) => a + v, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  xs.forEach((x, i) => { sxy += (x - mx) * (ys[i]! - my); sxx += (x - mx) ** 2; syy += (ys[i]! - my) ** 2; });
  return sxy / Math.sqrt(sxx * syy);
}
