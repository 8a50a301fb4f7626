import type { LawAccuracy } from './accuracy-basis.js';
import { bootstrapOverModels, noIntervals } from './bootstrap.js';
import { fitRows, joinNotes, tooFew, type FitRow, type FrontierRow } from './fit-rows.js';
import { groupBy } from '../stats/group-by.js';
import type { Point } from './inputs.js';
import { paretoFrontier, upperHull, type XY } from './pareto.js';
import { linearFit } from './regression.js';

type Cost = (p: Point) => number | null;

/** The points a frontier can place: a top-1 on the device's basis and a finite cost. */
const placeable = (group: readonly Point[], x: Cost) => group.filter((p) => p.top1 !== null && x(p) !== null && Number.isFinite(x(p)!));

/** The frontier of a set of placeable points, in order of increasing cost. */
function frontOf(pts: readonly Point[], x: Cost, xGoal: 'min' | 'max'): Point[] {
  return paretoFrontier(pts.map((p) => ({ x: x(p)!, y: p.top1! })), xGoal).map((i) => pts[i]!);
}

/** Frontier rows for every placeable point of a group (on_frontier marks the frontier), plus the points and the frontier. */
function frontier(
  name: string, unit: string, group: readonly Point[], x: Cost, xGoal: 'min' | 'max', law: LawAccuracy | undefined,
): { rows: FrontierRow[]; pts: Point[]; front: Point[] } {
  const pts = placeable(group, x);
  const front = frontOf(pts, x, xGoal);
  const onFront = new Set(front);
  const rows = pts.map((p) => ({
    frontier: name, device: p.device, batch_size: p.batch_size, model_id: p.model_id,
    x_value: x(p)!, x_unit: unit, top1: p.top1!, on_frontier: onFront.has(p), accuracy_basis: law?.basis ?? null,
  }));
  return { rows, pts, front };
}

/** top1 = A − k/x through the frontier: [A, k], or null when the frontier has fewer than two distinct costs. */
function hyperbola(front: readonly Point[], x: (p: Point) => number): [number, number] | null {
  const lf = linearFit(front.map((p) => 1 / x(p)), front.map((p) => p.top1!));
  return lf ? [lf.intercept, -lf.slope] : null;
}

/** The accuracy basis and, when it is not the default, why: every accuracy fit says what it read. */
const basisOf = (law: LawAccuracy | undefined) => ({
  accuracy_basis: law?.basis ?? null,
  basisNote: law && law.basis !== 'published' ? `accuracy: ${law.reason}` : null,
});

/**
 * top1 = A − k/x on the frontier points: linear in 1/x (intercept A, slope −k). SPEC §3.2 with
 * x = time per image (Canziani's hyperbola), §3.4 with x = energy per image. The interval
 * resamples every placeable model, not the frontier alone: which models make the frontier is part
 * of what a different set of architectures would change.
 */
function hyperbolic(
  fit: string, pts: readonly Point[], front: readonly Point[], x: (p: Point) => number, xGoal: 'min' | 'max', kUnit: string,
  device: string, batch: number, law: LawAccuracy | undefined,
): FitRow[] {
  const n = front.length;
  const lf = linearFit(front.map((p) => 1 / x(p)), front.map((p) => p.top1!));
  const g = n < 2 || !lf ? tooFew(n, 2, 'frontier models')
    : n === 2 ? { status: 'exact' as const, note: 'two frontier models: the curve passes through both, no goodness of fit' }
    : { status: 'ok' as const, note: `frontier: ${front.map((p) => p.model_id).join(', ')}` };
  const ci = lf
    ? bootstrapOverModels(pts, 2, (s) => hyperbola(frontOf(s, x, xGoal), x), `${fit}\u0000${device}\u0000${batch}`)
    : noIntervals(2, 'no fit');
  const { accuracy_basis, basisNote } = basisOf(law);
  return fitRows({ fit, device, batch_size: batch }, [
    ['A', lf?.intercept ?? null, 'fraction', ci.intervals[0]], ['k', lf ? -lf.slope : null, kUnit, ci.intervals[1]],
  ], { r2: lf?.r2 ?? null, n, status: g.status, note: joinNotes(g.note, basisNote, ci.note), accuracy_basis });
}

interface BoundLine {
  slope: number;
  intercept: number;
  /** The two frontier points it touches (indices into the frontier). */
  a: number;
  b: number;
}

/**
 * SPEC §3.3 (Bianco): the line above every (images/s, top-1) point that touches the frontier,
 * in log10(images/s) since throughputs span decades. Every dominated point lies below some
 * frontier point and the line falls with throughput, so only frontier points can touch it: the
 * candidates are the edges of the frontier's upper hull, and the tightest one (least total gap to
 * the frontier points) is the bound.
 */
function boundLine(front: readonly Point[]): BoundLine | null {
  const pts: XY[] = front.map((p) => ({ x: Math.log10(p.images_per_s!), y: p.top1! }));
  const hull = upperHull(pts);
  let best: (BoundLine & { gap: number }) | null = null;
  for (let e = 0; e + 1 < hull.length; e++) {
    const a = pts[hull[e]!]!;
    const b = pts[hull[e + 1]!]!;
    const slope = (b.y - a.y) / (b.x - a.x);
    const intercept = a.y - slope * a.x;
    const gap = pts.reduce((s, p) => s + (slope * p.x + intercept - p.y), 0);
    if (!best || gap < best.gap) best = { slope, intercept, gap, a: hull[e]!, b: hull[e + 1]! };
  }
  return best;
}

function throughputBound(pts: readonly Point[], front: readonly Point[], device: string, batch: number, law: LawAccuracy | undefined): FitRow[] {
  const best = boundLine(front);
  const g = best ? { status: 'ok' as const, note: `touches ${front[best.a]!.model_id} and ${front[best.b]!.model_id}` } : tooFew(front.length, 2, 'frontier models');
  const tput = (p: Point) => p.images_per_s;
  const ci = best
    ? bootstrapOverModels(pts, 2, (s) => {
      const line = boundLine(frontOf(s, tput, 'max'));
      return line ? [line.slope, line.intercept] : null;
    }, `accuracy_throughput_bound\u0000${device}\u0000${batch}`)
    : noIntervals(2, 'no bound');
  const { accuracy_basis, basisNote } = basisOf(law);
  return fitRows({ fit: 'accuracy_throughput_bound', device, batch_size: batch }, [
    ['slope_per_log10_images_per_s', best?.slope ?? null, 'fraction per decade of images/s', ci.intervals[0]],
    ['intercept', best?.intercept ?? null, 'fraction at 1 image/s', ci.intervals[1]],
  ], { r2: null, n: front.length, status: g.status, note: joinNotes(g.note, basisNote, ci.note), accuracy_basis });
}

/**
 * Accuracy against time, throughput and energy per (device, batch): fits and frontier rows, each
 * on its device's one accuracy basis (`laws`, from lawAccuracy).
 */
export function accuracyFits(points: readonly Point[], laws: ReadonlyMap<string, LawAccuracy>): { fits: FitRow[]; frontiers: FrontierRow[] } {
  const fits: FitRow[] = [];
  const frontiers: FrontierRow[] = [];
  for (const group of groupBy(points, (p) => `${p.device}\u0000${p.batch_size}`).values()) {
    const { device, batch_size: batch } = group[0]!;
    const law = laws.get(device);
    const perImage = (p: Point) => p.per_image_ms;
    const time = frontier('top1_vs_time', 'ms/image', group, perImage, 'min', law);
    frontiers.push(...time.rows);
    fits.push(...hyperbolic('accuracy_time_hyperbolic', time.pts, time.front, (p) => p.per_image_ms!, 'min', 'fraction·ms', device, batch, law));

    const tput = frontier('top1_vs_throughput', 'images/s', group, (p) => p.images_per_s, 'max', law);
    frontiers.push(...tput.rows);
    fits.push(...throughputBound(tput.pts, tput.front, device, batch, law));

    const energy = frontier('top1_vs_energy', 'J/image', group, (p) => p.energy_per_image_j, 'min', law);
    frontiers.push(...energy.rows);
    if (energy.rows.length === 0) {
      const why = group.find((p) => p.power_note)?.power_note;
      fits.push(...fitRows({ fit: 'energy_bound', device, batch_size: batch }, [['A', null, 'fraction'], ['k', null, 'fraction·J']],
        { r2: null, n: 0, status: 'no_data', note: `no energy per image${why ? `: ${why}` : ''}`, accuracy_basis: law?.basis ?? null }));
    } else {
      fits.push(...hyperbolic('energy_bound', energy.pts, energy.front, (p) => p.energy_per_image_j!, 'min', 'fraction·J', device, batch, law));
    }
  }
  return { fits, frontiers };
}
