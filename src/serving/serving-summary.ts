/**
 * A serving run's figures and verdict, by LoadGen's rules (loadgen/results.cc): percentiles are
 * sorted[floor(n·p)]; a Server run is valid when it ran its minimum duration and queries, its p99
 * is within the bound and it passes early stopping (few enough queries over the bound for its
 * length); SingleStream and MultiStream state LoadGen's early-stopping estimate of their
 * percentile (p90, p99), which a short run cannot claim; Offline states samples per second.
 */
import { earlyStoppingEstimate, loadgenPercentile, serverEarlyStopping } from '../stats/early-stopping.js';
import type { RunLimits, ScenarioOutcome } from './load-generator.js';

export interface ServingFigures {
  queries: number;
  samples: number;
  duration_s: number;
  achieved_qps: number;
  samples_per_s: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  mean_ms: number | null;
  /** The percentiles above include queries that never completed, at what they had waited: lower bounds. */
  latency_lower_bound: boolean;
  overlatency_count: number | null;
  overlatency_fraction: number | null;
  early_stopping_ok: boolean | null;
  early_stopping_queries_needed: number | null;
  /** LoadGen's early-stopping estimate of the scenario's percentile (p90 SingleStream, p99 MultiStream and Server). */
  early_stop_estimate_ms: number | null;
  issue_lag_mean_ms: number;
  issue_lag_max_ms: number;
  min_duration_met: boolean;
  min_queries_met: boolean;
  valid: boolean;
  invalid_reasons: string[];
}

/** LoadGen's percentile per scenario: p90 SingleStream, p99 MultiStream and Server. */
export function scenarioPercentile(outcome: Pick<ScenarioOutcome, 'scenario'>, serverPercentile: number): number {
  return outcome.scenario === 'single-stream' ? 0.9 : outcome.scenario === 'server' ? serverPercentile : 0.99;
}

export function summariseRun(outcome: ScenarioOutcome, limits: RunLimits, opts: { boundMs: number | null; percentile: number }): ServingFigures {
  const p = scenarioPercentile(outcome, opts.percentile);
  const completedOnly = outcome.latencyMs.filter((l) => !Number.isNaN(l));
  const lowerBound = completedOnly.length < outcome.latencyMs.length;
  // A query that never completed had waited at least until the run was given up.
  const latencies = Float64Array.from(outcome.latencyMs.map((l, q) => (Number.isNaN(l) ? outcome.durationMs - outcome.dueMs[q]! : l))).sort();
  const n = latencies.length;
  const pct = (x: number) => (n ? loadgenPercentile(latencies, x) : null);
  const samples = outcome.scenario === 'offline' ? outcome.samplesPerQuery : completedOnly.length * outcome.samplesPerQuery;
  const durationS = outcome.durationMs / 1000;
  const reasons: string[] = [];
  const minDurationMet = outcome.lastDueMs >= limits.minDurationMs || (outcome.scenario === 'offline' && outcome.durationMs >= limits.minDurationMs);
  const minQueriesMet = outcome.scenario === 'offline' ? outcome.samplesPerQuery >= limits.minQueries : n >= limits.minQueries;
  if (!minDurationMet) reasons.push(`min duration not met: ${durationS.toFixed(1)} s of ${limits.minDurationMs / 1000} s`);
  if (!minQueriesMet) reasons.push(`min queries not met: ${n} of ${limits.minQueries}`);
  if (outcome.aborted) reasons.push(`given up: ${outcome.aborted}`);

  let overCount: number | null = null;
  let early: { ok: boolean; queriesNeeded: number } | null = null;
  let estimate: number | null = null;
  if (outcome.scenario === 'server' && opts.boundMs !== null) {
    const bound = opts.boundMs;
    overCount = latencies.reduce((a, l) => a + (l > bound ? 1 : 0), 0);
    early = serverEarlyStopping(n, overCount, p);
    const p99 = pct(p)!;
    if (p99 > bound) reasons.push(`p${Math.round(p * 100)} ${p99.toFixed(2)} ms over the ${bound.toFixed(2)} ms bound`);
    if (!early.ok) reasons.push(`early stopping: ${overCount} of ${n} queries over the bound needs ${early.queriesNeeded} queries`);
    estimate = earlyStoppingEstimate(latencies, p);
  } else if (outcome.scenario !== 'offline') {
    estimate = earlyStoppingEstimate(latencies, p);
    if (estimate === null) reasons.push(`too few queries (${n}) for an early-stopping p${Math.round(p * 100)} estimate`);
  }
  const lags = outcome.issueLagMs;
  return {
    queries: n, samples, duration_s: durationS,
    achieved_qps: durationS > 0 ? completedOnly.length / durationS : 0,
    samples_per_s: durationS > 0 ? samples / durationS : 0,
    p50_ms: pct(0.5), p90_ms: pct(0.9), p99_ms: pct(0.99), max_ms: n ? latencies[n - 1]! : null,
    mean_ms: n ? latencies.reduce((a, l) => a + l, 0) / n : null,
    latency_lower_bound: lowerBound,
    overlatency_count: overCount, overlatency_fraction: overCount === null || n === 0 ? null : overCount / n,
    early_stopping_ok: early?.ok ?? null, early_stopping_queries_needed: early?.queriesNeeded ?? null,
    early_stop_estimate_ms: estimate,
    issue_lag_mean_ms: lags.length ? lags.reduce((a, l) => a + l, 0) / lags.length : 0,
    issue_lag_max_ms: lags.length ? Math.max(...lags) : 0,
    min_duration_met: minDurationMet, min_queries_met: minQueriesMet,
    valid: reasons.length === 0, invalid_reasons: reasons,
  };
}
