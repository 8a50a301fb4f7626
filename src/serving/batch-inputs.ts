/**
 * The input tensor an instance runs a batch from. The samples lie back to back in the instance's
 * own copy (onnxruntime-node refuses a typed array over a SharedArrayBuffer as input data, so each
 * instance copies the shared samples once, before anything is timed). A batch of consecutive
 * samples that fills the graph's rows runs from a view of that copy: no sample is copied while the
 * clock runs, as the batch sweep copies none (it runs one input over and over). The load generator
 * cycles through the samples in order, so nearly every batch is such a run; one that wraps around
 * the end, or that a fixed-batch graph pads, is copied into a reusable input of its row count.
 * docs/BENCHMARKS.md ("Offline against the batch sweep") measured what the copy cost.
 */
import type { Tensor } from '../runtime/runtime.js';

export class BatchInputs {
  private readonly perSample: number;
  /** One scratch input per row count, refilled in place for batches that cannot be a view. */
  private readonly scratch = new Map<number, Tensor>();
  /**
   * The views made so far, by row count and first sample: the same Tensor each time, so the runtime
   * converts it once (src/runtime/onnxruntime.ts caches by Tensor) instead of on every run.
   */
  private readonly views = new Map<number, Tensor[]>();

  constructor(
    private readonly values: Float32Array | Uint16Array,
    private readonly dtype: 'float32' | 'float16',
    private readonly sampleDims: readonly number[],
  ) {
    this.perSample = sampleDims.reduce((a, d) => a * d, 1);
  }

  /** The input for `samples` run as a batch of `rows` rows (rows ≥ samples.length; the rest is padding). */
  inputFor(samples: readonly number[], rows: number): Tensor {
    const first = samples[0]!;
    if (samples.length === rows && samples.every((s, i) => s === first + i)) return this.viewOf(first, rows);
    const t = this.scratchFor(rows);
    const data = t.data as Float32Array | Uint16Array;
    samples.forEach((s, i) => data.set(this.values.subarray(s * this.perSample, (s + 1) * this.perSample), i * this.perSample));
    // Padding rows of a fixed-batch graph stay as they were: their outputs are never read.
    return t;
  }

  private viewOf(first: number, rows: number): Tensor {
    let byFirst = this.views.get(rows);
    if (!byFirst) this.views.set(rows, (byFirst = []));
    return (byFirst[first] ??= { type: this.dtype, data: this.values.subarray(first * this.perSample, (first + rows) * this.perSample), dims: [rows, ...this.sampleDims] });
  }

  private scratchFor(rows: number): Tensor {
    let t = this.scratch.get(rows);
    if (!t) {
      const data = this.dtype === 'float16' ? new Uint16Array(rows * this.perSample) : new Float32Array(rows * this.perSample);
      t = { type: this.dtype, data, dims: [rows, ...this.sampleDims] };
      this.scratch.set(rows, t);
    }
    return t;
  }
}

/** A private copy of the shared samples, as the view above needs. */
export function ownCopy(shared: SharedArrayBuffer, dtype: 'float32' | 'float16'): Float32Array | Uint16Array {
  // slice() copies into a new, unshared buffer.
  return (dtype === 'float16' ? new Uint16Array(shared) : new Float32Array(shared)).slice();
}
