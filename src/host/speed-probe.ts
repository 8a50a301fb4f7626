/**
 * How fast the host is right now, read by timing a fixed piece of work (issue 18 item 5). On a VM
 * the clocks are not readable (/proc/cpuinfo gives the nominal MHz, which never moves), yet the
 * host's speed does move: the same cell read 27% slower two hours later on one 2-vCPU Xeon, and 3%
 * slower in every cell from one study to the next (docs/BENCHMARKS.md, "Repetitions"). A probe
 * that does not touch the system under test reads that speed beside every repetition, so a shift
 * every cell shares can be told from a change in the runtime or the model (compare, docs/TIMING.md
 * "The host's speed").
 *
 * Two kernels in plain JavaScript, so that nothing about the runtime under test (its version, its
 * threads, its kernels) moves them: a 96×96 float64 matrix product, which stays in L1/L2 and reads
 * the core's clock and its share of a shared physical core; and a strided pass over 32 MiB, one
 * read per cache line, which reads the bandwidth beyond L2. Each is timed several times after its
 * first passes (the JIT's warm-up) and read as the median.
 */
import { median } from '../stats/quantiles.js';

export interface SpeedProbeReading {
  /** Median time of the 96×96 float64 matrix product, ms. */
  computeMs: number;
  /** Median time of one strided pass over 32 MiB, ms. */
  memoryMs: number;
}

const N = 96;
const COMPUTE_PASSES = 30;
const MEMORY_PASSES = 10;
/** Passes not counted: the first ones run before the JIT has compiled the loop. */
const WARM_PASSES = { compute: 10, memory: 3 };
/** 32 MiB of float64, read one element per 64-byte line. */
const MEMORY_ELEMENTS = 4 << 20;
const LINE_ELEMENTS = 8;

let memoryBuffer: Float64Array | null = null;

function timeCompute(): number[] {
  const a = new Float64Array(N * N).fill(1.0001);
  const b = new Float64Array(N * N).fill(0.9999);
  const c = new Float64Array(N * N);
  const times: number[] = [];
  for (let pass = 0; pass < COMPUTE_PASSES; pass++) {
    const start = performance.now();
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < N; k++) {
        const aik = a[i * N + k]!;
        for (let j = 0; j < N; j++) c[i * N + j]! += aik * b[k * N + j]!;
      }
    }
    times.push(performance.now() - start);
  }
  if (!(c[0]! > 0)) throw new Error('speed probe: the matrix product gave no result');
  return times.slice(WARM_PASSES.compute);
}

function timeMemory(): number[] {
  // Kept for the process's life: allocating and filling 32 MiB each time would cost more than the reads.
  memoryBuffer ??= new Float64Array(MEMORY_ELEMENTS).fill(1);
  const buf = memoryBuffer;
  const times: number[] = [];
  let sum = 0;
  for (let pass = 0; pass < MEMORY_PASSES; pass++) {
    const start = performance.now();
    for (let i = 0; i < buf.length; i += LINE_ELEMENTS) sum += buf[i]!;
    times.push(performance.now() - start);
  }
  if (sum !== (MEMORY_ELEMENTS / LINE_ELEMENTS) * MEMORY_PASSES) throw new Error('speed probe: the memory pass read wrong values');
  return times.slice(WARM_PASSES.memory);
}

/** Runs both kernels on this thread (about 70 ms) and returns their medians. */
export function readHostSpeed(): SpeedProbeReading {
  return { computeMs: median(timeCompute()), memoryMs: median(timeMemory()) };
}

/**
 * Readings around one repetition (just before and just after it) as one: each kernel's fastest.
 * Other work can only slow a reading, never speed it up, and our own process tree is not idle at
 * either end (a study's profiling activities, the workflow's next task, the last child's exit),
 * while a move of the host's own speed lasts minutes and shows in both.
 */
export function fastestReading(readings: readonly SpeedProbeReading[]): SpeedProbeReading {
  if (readings.length === 0) throw new Error('speed probe: no readings to combine');
  return { computeMs: Math.min(...readings.map((r) => r.computeMs)), memoryMs: Math.min(...readings.map((r) => r.memoryMs)) };
}
