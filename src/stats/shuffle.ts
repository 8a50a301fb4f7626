/**
 * A seeded order: the same items and seed give the same order, so a workflow can shuffle and still
 * replay. Fisher–Yates over mulberry32.
 */
import { prng } from './prng.js';

/** A 32-bit seed from a string (FNV-1a), e.g. from a study id, a device and a round. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rand = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
