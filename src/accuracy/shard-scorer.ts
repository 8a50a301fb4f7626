import type { ModelOutput } from '../study/study-spec.js';
import { writePredictionsPart } from './predictions.js';
import { scoreRows, type ImagePrediction } from './score-rows.js';

/** Running counts; also the heartbeat payload, so a retried activity resumes after the last shard. */
export interface AccuracyProgress {
  nextShard: number;
  n: number;
  correct1: number;
  correct5: number;
  nonFinite: number;
}

export interface ScorerOptions {
  modelId: string;
  output: ModelOutput;
  /** Where per-image predictions go (one Parquet part per shard), and the device column's value. */
  predictions?: { dir: string; device: string };
}

/** What scoring needs of a batch besides its scores. */
export interface BatchMeta {
  shard: number;
  n: number;
  ids: string[];
  labels: Int16Array;
  lastOfShard: boolean;
}

/**
 * Ranks each batch's scores and counts them; at the end of a shard writes its predictions part,
 * then reports the progress a retry may resume from. Batches must arrive in order.
 */
export class ShardScorer {
  private readonly progress: AccuracyProgress;
  private rows: ImagePrediction[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ScorerOptions, start: AccuracyProgress, private readonly onShard: (p: AccuracyProgress) => void) {
    this.progress = { ...start };
  }

  /** Queues one batch; `scores` is undefined for a shard with no images. Errors surface in finish(). */
  add(meta: BatchMeta, scores: Float32Array | undefined): void {
    if (scores) for (const p of scoreRows(scores, meta.n, this.opts.output, { ids: meta.ids, labels: meta.labels, start: 0 })) this.rows.push(p);
    if (!meta.lastOfShard) return;
    const rows = this.rows;
    this.rows = [];
    const next = this.chain.then(() => this.endShard(meta.shard, rows));
    next.catch(() => undefined); // awaited in finish(); not an unhandled rejection meanwhile
    this.chain = next;
  }

  /** The final counts, once every queued shard is written. */
  async finish(): Promise<AccuracyProgress> {
    await this.chain;
    return { ...this.progress };
  }

  private async endShard(shard: number, rows: ImagePrediction[]): Promise<void> {
    const p = this.progress;
    for (const r of rows) {
      p.n++;
      if (r.correct_at_1) p.correct1++;
      if (r.correct_at_5) p.correct5++;
      if (r.non_finite) p.nonFinite++;
    }
    const { predictions } = this.opts;
    if (predictions) await writePredictionsPart(predictions.dir, shard, rows, this.opts.modelId, predictions.device);
    p.nextShard = shard + 1;
    this.onShard({ ...p });
  }
}
