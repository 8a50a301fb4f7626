/** Standard normal draws (Box-Muller) from a uniform source: seeded with src/stats/prng.ts, noisy tests never flake. */
export function gaussian(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
