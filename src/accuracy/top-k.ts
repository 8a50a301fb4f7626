/**
 * Indices of the k largest scores, best first. Ties go to the lower index (numpy's argmax and a
 * stable sort do the same), which matters for int8 models whose scores often tie. NaN never wins.
 */
export function topK(scores: ArrayLike<number>, k: number, from = 0, to = scores.length): number[] {
  const best: number[] = [];
  for (let i = from; i < to; i++) {
    const v = scores[i]!;
    if (Number.isNaN(v)) continue;
    if (best.length === k && !(v > scores[best[k - 1]!]!)) continue;
    // Insert after every entry >= v, so earlier (lower) indices stay ahead on ties.
    let pos = best.length;
    while (pos > 0 && v > scores[best[pos - 1]!]!) pos--;
    best.splice(pos, 0, i);
    if (best.length > k) best.pop();
  }
  return best.map((i) => i - from);
}

/** Softmax of one row, for reporting probabilities of models that output logits. */
export function softmaxRow(scores: ArrayLike<number>, from: number, to: number): Float64Array {
  let max = -Infinity;
  for (let i = from; i < to; i++) if (scores[i]! > max) max = scores[i]!;
  const out = new Float64Array(to - from);
  let sum = 0;
  for (let i = from; i < to; i++) sum += out[i - from] = Math.exp(scores[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}
