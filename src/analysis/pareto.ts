/**
 * Pareto frontiers of accuracy against a cost (time, energy, FLOPs, parameters: lower is better)
 * or a benefit (images/s: higher is better). A point is on the frontier when no other point is at
 * least as good on both axes and strictly better on one.
 */
export interface XY {
  x: number;
  y: number;
}

/** Indices of the frontier points, in order of increasing x. `y` is always maximized. */
export function paretoFrontier(points: readonly XY[], xGoal: 'min' | 'max'): number[] {
  const sign = xGoal === 'min' ? 1 : -1;
  // Best x first; among equal x the best y first, so a tie in x keeps only the better point.
  const order = points.map((_, i) => i).filter((i) => Number.isFinite(points[i]!.x) && Number.isFinite(points[i]!.y))
    .sort((a, b) => sign * (points[a]!.x - points[b]!.x) || points[b]!.y - points[a]!.y);
  const front: number[] = [];
  let bestY = -Infinity;
  for (const i of order) {
    if (points[i]!.y > bestY) {
      front.push(i);
      bestY = points[i]!.y;
    }
  }
  return front.sort((a, b) => points[a]!.x - points[b]!.x);
}

/** Upper convex hull (monotone chain) of points sorted by x: indices into `sorted`. */
export function upperHull(sorted: readonly XY[]): number[] {
  const hull: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    while (hull.length >= 2) {
      const a = sorted[hull[hull.length - 2]!]!;
      const b = sorted[hull[hull.length - 1]!]!;
      const c = sorted[i]!;
      // b lies on or below the chord a→c: it is not a hull vertex.
      if ((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x) >= 0) hull.pop();
      else break;
    }
    hull.push(i);
  }
  return hull;
}
