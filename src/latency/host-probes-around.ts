/**
 * The host read just before and just after a piece of work that does not touch it: its speed
 * (src/host/speed-probe.ts, the faster of the two readings) and its cores' round trip
 * (src/host/core-link-probe.ts, the slower). Run in the repetition's own process, or on the
 * worker's thread for a cell without one.
 */
import { readCoreLinkNs, slowerLink } from '../host/core-link-probe.js';
import { fastestReading, readHostSpeed, type SpeedProbeReading } from '../host/speed-probe.js';

export async function withHostProbes<T>(work: () => Promise<T>): Promise<{ result: T; speed: SpeedProbeReading; coreLinkNs: number | null }> {
  const speedBefore = readHostSpeed();
  const linkBefore = await readCoreLinkNs();
  const result = await work();
  const linkAfter = await readCoreLinkNs();
  return { result, speed: fastestReading([speedBefore, readHostSpeed()]), coreLinkNs: slowerLink(linkBefore, linkAfter) };
}
