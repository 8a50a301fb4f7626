/**
 * Warm-up until steady: keep running untimed until the latency stops moving, with the study
 * spec's warm-up minimums (timing.warmupRuns, timing.warmupSeconds) as floors and a cap for
 * latencies that never settle.
 *
 * The rule, checked after every warm-up run, in order:
 * 1. Below either floor (fewer runs than warmupRuns, or less time than warmupSeconds): go on.
 * 2. Steady: with k = window, the median of the last k runs is within tolerance of the median of
 *    the k runs before them, |m_last − m_before| ≤ tolerance · m_before: stop. Medians, so one slow
 *    run (a page fault, a host hiccup) neither ends nor prolongs the warm-up; two adjacent windows,
 *    so a decay still under way (arena growth, caches filling, a clock ramping up) shows as a
 *    difference.
 * 3. The cap (maxRuns runs or maxSeconds seconds, whichever comes first): stop, unsettled.
 * 4. Otherwise go on.
 * The floors win over the cap. A model slower than maxSeconds / (2·window) per run reaches the cap
 * before two windows fill: its runs are long enough for first-run effects to be over after one or
 * two, and its warm-up is then the floors plus what the cap allows.
 */

import { median } from '../stats/quantiles.js';

/** The study spec's warm-up minimums. */
export interface WarmupFloors {
  warmupRuns: number;
  warmupSeconds: number;
}

export interface WarmupSettings {
  /** k, runs per window (default 5: two windows are SPEC.md's 10 warm-up runs). */
  window: number;
  /** Largest relative change between the two windows' medians that counts as steady (default 0.02, the precision target). */
  tolerance: number;
  /** Cap on warm-up runs (default 100). */
  maxRuns: number;
  /** Cap on warm-up seconds (default 10). */
  maxSeconds: number;
}

export const DEFAULT_WARMUP_SETTINGS: WarmupSettings = { window: 5, tolerance: 0.02, maxRuns: 100, maxSeconds: 10 };

export type WarmupReason = 'below-floor' | 'settling' | 'steady' | 'cap';

export interface WarmupDecision {
  /** Whether warm-up can end now. */
  stop: boolean;
  reason: WarmupReason;
  /** Warm-up runs so far (the number to record as used when stop is true). */
  runs: number;
}

/** Decides after each warm-up run, from the warm-up latencies so far (ms, in order) and the warm-up's elapsed wall time. */
export function warmupDecision(
  runsMs: readonly number[], elapsedSeconds: number, floors: WarmupFloors, settings: WarmupSettings = DEFAULT_WARMUP_SETTINGS,
): WarmupDecision {
  if (!Number.isInteger(settings.window) || settings.window < 1) throw new RangeError(`warm-up window ${settings.window} is not a whole number ≥ 1`);
  const n = runsMs.length;
  const decide = (stop: boolean, reason: WarmupReason): WarmupDecision => ({ stop, reason, runs: n });
  if (n < floors.warmupRuns || elapsedSeconds < floors.warmupSeconds) return decide(false, 'below-floor');
  const k = settings.window;
  if (n >= 2 * k) {
    const before = median(runsMs.slice(n - 2 * k, n - k));
    const last = median(runsMs.slice(n - k));
    if (Math.abs(last - before) <= settings.tolerance * before) return decide(true, 'steady');
  }
  if (n >= settings.maxRuns || elapsedSeconds >= settings.maxSeconds) return decide(true, 'cap');
  return decide(false, 'settling');
}
