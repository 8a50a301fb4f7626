import { fitRows, tooFew, type FitRow, type FrontierRow } from './fit-rows.js';
import { groupBy, type Point } from './inputs.js';
import { paretoFrontier, upperHull, type XY } from './pareto.js';
import { linearFit } from './regression.js';

/** Frontier rows for every point of a group (on_frontier marks the frontier), plus the frontier points. */
function frontier(
  name: string, unit: string, group: readonly Point[], x: (p: Point) => number | null, xGoal: 'min' | 'max',
): { rows: FrontierRow[]; front: Point[] } {
  const pts = group.filter((p) => p.top1 !== null && x(p) !== null && Number.isFinite(x(p)!));
  const xy: XY[] = pts.map((p) => ({ x: x(p)!, y: p.top1! }));
  const onFront = new Set(paretoFrontier(xy, xGoal));
  const rows = pts.map((p, i) => ({
    frontier: name, device: p.device, batch_size: p.batch_size, model_id: p.model_id,
    x_value: xy[i]!.x, x_unit: unit, top1: p.top1!, on_frontier: onFront.has(i),
  }));
  return { rows, front: [...onFront].sort((a, b) => xy[a]!.x - xy[b]!.x).map((i) => pts[i]!) };
}

/**
 * top1 = A − k/x on the frontier points: linear in 1/x (intercept A, slope −k). SPEC §3.2 with
 * x = time per image (Canziani's hyperbola), §3.4 with x = energy per image.
 */
function hyperbolic(fit: string, front: readonly Point[], x: (p: Point) => number, kUnit: string, device: string, batch: number): FitRow[] {
  const n = front.length;
  const lf = linearFit(front.map((p) => 1 / x(p)), front.map((p) => p.top1!));
  const g = n < 2 || !lf ? tooFew(n, 2, 'frontier models')
    : n === 2 ? { status: 'exact' as const, note: 'two frontier models: the curve passes through both, no goodness of fit' }
    : { status: 'ok' as const, note: `frontier: ${front.map((p) => p.model_id).join(', ')}` };
  return fitRows({ fit, device, batch_size: batch }, [['A', lf?.intercept ?? null, 'fraction'], ['k', lf ? -lf.slope : null, kUnit]],
    { r2: lf?.r2 ?? null, n, ...g });
}

/**
 * SPEC §3.3 (Bianco): the line above every (images/s, top-1) point that touches the frontier,
 * in log10(images/s) since throughputs span decades. Every dominated point lies below some
 * frontier point and the line falls with throughput, so only frontier points can touch it: the
 * candidates are the edges of the frontier's upper hull, and the tightest one (least total gap to
 * the frontier points) is the bound.
 */
function throughputBound(front: readonly Point[], device: string, batch: number): FitRow[] {
  const pts: XY[] = front.map((p) => ({ x: Math.log10(p.images_per_s!), y: p.top1! }));
  const hull = upperHull(pts);
  let best: { slope: number; intercept: number; gap: number; a: number; b: number } | null = null;
  for (let e = 0; e + 1 < hull.length; e++) {
    const a = pts[hull[e]!]!;
    const b = pts[hull[e + 1]!]!;
    const slope = (b.y - a.y) / (b.x - a.x);
    const intercept = a.y - slope * a.x;
    const gap = pts.reduce((s, p) => s + (slope * p.x + intercept - p.y), 0);
    if (!best || gap < best.gap) best = { slope, intercept, gap, a: hull[e]!, b: hull[e + 1]! };
  }
  const g = best ? { status: 'ok' as const, note: `touches ${front[best.a]!.model_id} and ${front[best.b]!.model_id}` } : tooFew(front.length, 2, 'frontier models');
  return fitRows({ fit: 'accuracy_throughput_bound', device, batch_size: batch }, [
    ['slope_per_log10_images_per_s', best?.slope ?? null, 'fraction per decade of images/s'],
    ['intercept', best?.intercept ?? null, 'fraction at 1 image/s'],
  ], { r2: null, n: front.length, ...g });
}

/** Accuracy against time, throughput and energy per (device, batch): fits and frontier rows. */
export function accuracyFits(points: readonly Point[]): { fits: FitRow[]; frontiers: FrontierRow[] } {
  const fits: FitRow[] = [];
  const frontiers: FrontierRow[] = [];
  for (const group of groupBy(points, (p) => `${p.device}\u0000${p.batch_size}`).values()) {
    const { device, batch_size: batch } = group[0]!;
    const time = frontier('top1_vs_time', 'ms/image', group, (p) => p.per_image_ms, 'min');
    frontiers.push(...time.rows);
    fits.push(...hyperbolic('accuracy_time_hyperbolic', time.front, (p) => p.per_image_ms!, 'fraction·ms', device, batch));

    const tput = frontier('top1_vs_throughput', 'images/s', group, (p) => p.images_per_s, 'max');
    frontiers.push(...tput.rows);
    fits.push(...throughputBound(tput.front, device, batch));

    const energy = frontier('top1_vs_energy', 'J/image', group, (p) => p.energy_per_image_j, 'min');
    frontiers.push(...energy.rows);
    if (energy.rows.length === 0) {
      const why = group.find((p) => p.power_note)?.power_note;
      fits.push(...fitRows({ fit: 'energy_bound', device, batch_size: batch }, [['A', null, 'fraction'], ['k', null, 'fraction·J']],
        { r2: null, n: 0, status: 'no_data', note: `no energy per image${why ? `: ${why}` : ''}` }));
    } else {
      fits.push(...hyperbolic('energy_bound', energy.front, (p) => p.energy_per_image_j!, 'fraction·J', device, batch));
    }
  }
  return { fits, frontiers };
}
