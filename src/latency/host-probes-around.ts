/**
 * The host read just before and just after a piece of work that does not touch it: its speed
 * (src/host/speed-probe.ts, the faster of the two readings), its cores' round trip
 * (src/host/core-link-probe.ts) and whether its two threads share a core
 * (src/host/core-share-probe.ts), the worse of the two readings of each. Run in the repetition's
 * own process, or on the worker's thread for a cell without one.
 */
import { readCoreLinkNs } from '../host/core-link-probe.js';
import { readCoreShareRatio } from '../host/core-share-probe.js';
import { fastestReading, readHostSpeed, type SpeedProbeReading } from '../host/speed-probe.js';

/** The probes of the cores around a repetition: the slower round trip and the higher two-thread ratio; null where one cannot be read (one CPU). */
export interface CoreProbeReadings {
  coreLinkNs: number | null;
  coreShareRatio: number | null;
}

export async function withHostProbes<T>(work: () => Promise<T>): Promise<{ result: T; speed: SpeedProbeReading } & CoreProbeReadings> {
  const speedBefore = readHostSpeed();
  const linkBefore = await readCoreLinkNs();
  const shareBefore = await readCoreShareRatio();
  const result = await work();
  const linkAfter = await readCoreLinkNs();
  const shareAfter = await readCoreShareRatio();
  return {
    result, speed: fastestReading([speedBefore, readHostSpeed()]),
    coreLinkNs: worseReading(linkBefore, linkAfter), coreShareRatio: worseReading(shareBefore, shareAfter),
  };
}

/**
 * A probe of the cores read just before and just after a repetition, as one: the higher (worse).
 * The hypervisor's placements of the vCPUs last from under a second to minutes, so a repetition
 * with either end in a bad one likely ran part of its time in it; a null side (no reading) leaves
 * the other.
 */
export function worseReading(before: number | null, after: number | null): number | null {
  if (before === null) return after;
  if (after === null) return before;
  return Math.max(before, after);
}
