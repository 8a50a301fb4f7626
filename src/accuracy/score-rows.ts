import { softmaxRow, topK } from './top-k.js';
import type { ModelOutput } from '../study/study-spec.js';

/** What one image got: a row of predictions/ (without model and device, which the writer adds). */
export interface ImagePrediction {
  image_id: string;
  label: number;
  /** Class indices 0..999 (background already dropped), best first; ties to the lower index. */
  top5_ids: number[];
  /** The model's probability for each of top5_ids: its own output, or softmax of its logits. */
  top5_probs: number[];
  correct_at_1: boolean;
  correct_at_5: boolean;
  /** The row held NaN or ±Inf: its ranking is not meaningful (NaN never wins, +Inf always does). */
  non_finite: boolean;
}

/**
 * Scores `rows` images of one batch. `scores` holds at least rows × output.classes values; only
 * the first `rows` are read, so a batch padded to a fixed size scores its real images only.
 */
export function scoreRows(
  scores: Float32Array, rows: number, output: ModelOutput,
  images: { ids: readonly string[]; labels: ArrayLike<number>; start: number },
): ImagePrediction[] {
  const { classes, backgroundOffset, kind } = output;
  const out: ImagePrediction[] = [];
  for (let j = 0; j < rows; j++) {
    const row = j * classes;
    let nonFinite = false;
    for (let c = row; c < row + classes; c++) if (!Number.isFinite(scores[c]!)) { nonFinite = true; break; }
    // 1001-way models: index 0 is background; ranking the window from 1 makes class = argmax − 1.
    const top = topK(scores, 5, row + backgroundOffset, row + classes);
    // Logits get a softmax over the whole row (background included: it is part of the model's
    // distribution); probability outputs are reported as the model gave them.
    const probs = kind === 'logits' ? softmaxRow(scores, row, row + classes) : undefined;
    const probOf = (cls: number) => (probs ? probs[cls + backgroundOffset]! : scores[row + cls + backgroundOffset]!);
    const label = images.labels[images.start + j]!;
    out.push({
      image_id: images.ids[images.start + j]!, label, top5_ids: top, top5_probs: top.map(probOf),
      correct_at_1: top[0] === label, correct_at_5: top.includes(label), non_finite: nonFinite,
    });
  }
  return out;
}
