/**
 * The search for a device's Server capacity: the highest target QPS whose run is valid (issue 21).
 * Bracketing (doubling from a start while runs pass, halving while they fail), then bisection
 * between the highest valid rate and the lowest invalid one above it, until they are within a
 * relative precision. Every trial is a full run; this module only decides the next rate from the
 * trials so far, so a workflow can run it (pure, deterministic).
 */

export interface CapacityTrial {
  qps: number;
  valid: boolean;
}

export interface CapacitySearchSettings {
  /** The first rate tried. */
  startQps: number;
  /** Stop once the lowest invalid rate is within this fraction above the highest valid one. */
  precision: number;
  /** Trials at most, bracketing included. */
  maxTrials: number;
  /** Below this, halving stops: the device cannot serve the bound at any rate worth stating. */
  minQps: number;
}

export interface Capacity {
  /** The highest valid rate tried; null when none was. */
  maxValidQps: number | null;
  /** The lowest invalid rate above it; null when every rate tried was valid. */
  minInvalidQps: number | null;
  /** An invalid rate below a valid one: the host's noise crossed the bound, and the answer is softer than its bracket says. */
  nonMonotonic: boolean;
  /** Why the search ended (or 'open' while it goes on). */
  ended: 'converged' | 'max_trials' | 'below_min_qps' | 'open';
}

/**
 * The lowest rate worth a trial: the configured floor, or the rate below which a run cannot reach
 * its minimum queries within its maximum duration (so could never be valid), whichever is higher,
 * with 10% to spare for the schedule's randomness.
 */
export function searchFloorQps(minQps: number, minQueries: number, maxDurationSeconds: number): number {
  return Math.max(minQps, (1.1 * minQueries) / maxDurationSeconds);
}

/** Rates are stated to 0.1 QPS (a bracket 0.2 wide is converged): finer steps are far inside a run's own noise. */
const round = (qps: number) => Math.round(qps * 10) / 10;

export function capacityOf(trials: readonly CapacityTrial[], settings: CapacitySearchSettings): Capacity {
  const valid = trials.filter((t) => t.valid).map((t) => t.qps);
  const invalid = trials.filter((t) => !t.valid).map((t) => t.qps);
  const maxValidQps = valid.length ? Math.max(...valid) : null;
  const above = invalid.filter((q) => maxValidQps === null || q > maxValidQps);
  const minInvalidQps = above.length ? Math.min(...above) : null;
  const nonMonotonic = maxValidQps !== null && invalid.some((q) => q < maxValidQps);
  let ended: Capacity['ended'] = 'open';
  if (maxValidQps !== null && minInvalidQps !== null
    && (minInvalidQps <= maxValidQps * (1 + settings.precision) || minInvalidQps - maxValidQps <= 0.2)) ended = 'converged';
  else if (maxValidQps === null && invalid.length && Math.min(...invalid) / 2 < settings.minQps) ended = 'below_min_qps';
  else if (trials.length >= settings.maxTrials) ended = 'max_trials';
  return { maxValidQps, minInvalidQps, nonMonotonic, ended };
}

/** The next rate to try, or null when the search is over (capacityOf says why). */
export function nextTrialQps(trials: readonly CapacityTrial[], settings: CapacitySearchSettings): number | null {
  if (trials.length === 0) return round(settings.startQps);
  const c = capacityOf(trials, settings);
  if (c.ended !== 'open') return null;
  let next: number;
  if (c.maxValidQps === null) next = Math.min(...trials.map((t) => t.qps)) / 2;
  else if (c.minInvalidQps === null) next = c.maxValidQps * 2;
  else next = (c.maxValidQps + c.minInvalidQps) / 2;
  return round(next);
}
