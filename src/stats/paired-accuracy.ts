/**
 * The accuracy cost of a model variant (an fp16 or int8 copy) against its parent, paired on the
 * same images (issue 20, docs/VARIANTS.md). Both models scored the same images, so their errors are
 * correlated: an image one finds hard, the other mostly does too. Two independent intervals would
 * ignore that and overstate the uncertainty of the difference; what decides is the images on which
 * they disagree.
 *
 * With a = both right, b = only the parent right, c = only the variant right, d = both wrong (n in
 * all):
 * - the difference variant − parent = (c − b) / n, with Newcombe's (1998) interval for a difference
 *   of paired proportions ("method 10", square-and-add of the two Wilson intervals with a correction
 *   for their correlation φ; R. G. Newcombe, Statistics in Medicine 17:2635–2650). It stays inside
 *   [−1, 1] and does not collapse when b and c are small, unlike the Wald interval. φ as the paper
 *   gives it: (ad − bc − n/2)/√(product of the margins) when ad − bc > n/2, 0 when 0 ≤ ad − bc ≤ n/2,
 *   (ad − bc)/√(…) when negative, and 0 when a margin is empty;
 * - the exact McNemar test: under "no difference" each discordant image is the parent's or the
 *   variant's with probability ½, so p = min(1, 2·P(X ≤ min(b, c))) for X ~ Binomial(b + c, ½), and 1
 *   when b + c = 0. Summed in log space, so thousands of discordant images neither overflow nor lose
 *   a tiny p to 0.
 * Pure: no I/O.
 */
import { Z_975 } from './quantiles.js';
import { wilsonInterval } from './wilson.js';

export interface PairedOutcome {
  parentCorrect: boolean;
  variantCorrect: boolean;
}

export interface PairedAccuracy {
  /** Images scored by both. */
  n: number;
  /** Accuracies, 0..1. */
  parent: number;
  variant: number;
  /** variant − parent. */
  delta: number;
  deltaCiLow: number;
  deltaCiHigh: number;
  /** Discordant images: right only for the parent (b), only for the variant (c). */
  onlyParent: number;
  onlyVariant: number;
  /** Exact (binomial) McNemar two-sided p-value. */
  mcnemarP: number;
}

/** The 97.5% normal quantile is the only level the interval is offered at: SPEC.md's 95%. */
export function pairedAccuracy(pairs: readonly PairedOutcome[]): PairedAccuracy {
  const n = pairs.length;
  if (n === 0) throw new RangeError('no paired images: the variant and its parent were not scored on the same images');
  let a = 0;
  let b = 0;
  let c = 0;
  for (const p of pairs) {
    if (p.parentCorrect && p.variantCorrect) a++;
    else if (p.parentCorrect) b++;
    else if (p.variantCorrect) c++;
  }
  const d = n - a - b - c;
  const parent = (a + b) / n;
  const variant = (a + c) / n;
  const [low, high] = newcombeInterval(a, b, c, d);
  return { n, parent, variant, delta: variant - parent, deltaCiLow: low, deltaCiHigh: high, onlyParent: b, onlyVariant: c, mcnemarP: exactMcNemarP(b, c) };
}

/** Newcombe's method 10 for variant − parent (the paper's θ is parent − variant: the interval is mirrored). */
function newcombeInterval(a: number, b: number, c: number, d: number): [number, number] {
  const n = a + b + c + d;
  const p1 = (a + b) / n; // parent
  const p2 = (a + c) / n; // variant
  const w1 = wilsonInterval(a + b, n, Z_975)!;
  const w2 = wilsonInterval(a + c, n, Z_975)!;
  const margins = (a + b) * (c + d) * (a + c) * (b + d);
  const cross = a * d - b * c;
  const phi = margins === 0 ? 0 : cross > n / 2 ? (cross - n / 2) / Math.sqrt(margins) : cross >= 0 ? 0 : cross / Math.sqrt(margins);
  const theta = p1 - p2;
  const dl = Math.sqrt(Math.max(0, (p1 - w1.low) ** 2 - 2 * phi * (p1 - w1.low) * (w2.high - p2) + (w2.high - p2) ** 2));
  const du = Math.sqrt(Math.max(0, (p2 - w2.low) ** 2 - 2 * phi * (p2 - w2.low) * (w1.high - p1) + (w1.high - p1) ** 2));
  const [thetaLow, thetaHigh] = [Math.max(-1, theta - dl), Math.min(1, theta + du)];
  return [-thetaHigh, -thetaLow];
}

/** Two-sided exact McNemar p-value from the discordant counts. */
export function exactMcNemarP(onlyParent: number, onlyVariant: number): number {
  if (!Number.isInteger(onlyParent) || !Number.isInteger(onlyVariant) || onlyParent < 0 || onlyVariant < 0) {
    throw new RangeError(`discordant counts must be whole and non-negative, got ${onlyParent} and ${onlyVariant}`);
  }
  const m = onlyParent + onlyVariant;
  const k = Math.min(onlyParent, onlyVariant);
  if (m === 0 || 2 * k === m) return 1;
  // log C(m, i) − m·ln 2 for i = 0..k, summed relative to the largest (the last: i ≤ m/2).
  const logTerms: number[] = [];
  let logC = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(m - i + 1) - Math.log(i);
    logTerms.push(logC - m * Math.LN2);
  }
  const top = logTerms[k]!;
  let sum = 0;
  for (const t of logTerms) sum += Math.exp(t - top);
  return Math.min(1, 2 * Math.exp(top + Math.log(sum)));
}

/** Share of images whose top-1 class is the same for both models, right or wrong. */
export function agreementRate(parentTop1: readonly number[], variantTop1: readonly number[]): number {
  if (parentTop1.length !== variantTop1.length) throw new RangeError(`top-1 lists differ in length: ${parentTop1.length} and ${variantTop1.length}`);
  if (parentTop1.length === 0) throw new RangeError('no paired images to compare top-1 classes on');
  let same = 0;
  for (let i = 0; i < parentTop1.length; i++) if (parentTop1[i] === variantTop1[i]) same++;
  return same / parentTop1.length;
}
