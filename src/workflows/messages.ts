import { defineQuery, defineSignal } from '@temporalio/workflow';

/** A cell is one unit of result: accuracy of a model on a device, or its latency at one batch size. */
export interface CellEvent {
  device: string;
  model: string;
  /** 'accuracy' or 'b<batch>' */
  cell: string;
  status?: string;
}

export interface DeviceProgress {
  device: string;
  done: number;
  total: number;
  current: string | null;
  /** 'gone' once the device's worker missed the deadline; 'dropped' by signal. */
  state: 'active' | 'gone' | 'dropped';
}

export interface StudyProgress {
  studyId: string;
  phase: 'planning' | 'preparing' | 'profiling' | 'measuring' | 'writing' | 'done';
  devices: DeviceProgress[];
  done: number;
  total: number;
  /**
   * Estimated seconds left: while latency rounds run, the slowest device's rounds at the rate of
   * their visits so far (src/workflows/latency-eta.ts), the low end; otherwise from the mean time per
   * finished cell. Null before anything was timed.
   */
  etaSeconds: number | null;
  /** The high end of the rounds' estimate (every cell to maxRepetitions); null when there is none. */
  etaHighSeconds: number | null;
  failures: string[];
  skippedModels: string[];
}

export const progressQuery = defineQuery<StudyProgress>('progress');
export const cellStartedSignal = defineSignal<[CellEvent]>('cellStarted');
export const cellDoneSignal = defineSignal<[CellEvent]>('cellDone');
/**
 * A device's latency round began (device-latency-workflow.ts). Latency cells report only when done:
 * a start per repetition would put thousands of signals into the study's history.
 */
export interface RoundEvent {
  device: string;
  /** From 0. */
  round: number;
  /** Latency cells still open, visited once each in this round. */
  cells: number;
}
export const roundStartedSignal = defineSignal<[RoundEvent]>('roundStarted');
/**
 * How far a latency round has got: sent by the round about ten times (every tenth of its visits, and
 * after its first), not per repetition, for the same reason.
 */
export interface RoundProgressEvent {
  device: string;
  round: number;
  /** Visits finished in the round (cells measured once, finished or not). */
  visited: number;
  /** Of those, visits that ended their cell. */
  finished: number;
}
export const roundProgressSignal = defineSignal<[RoundProgressEvent]>('roundProgress');
/** Stop measuring a model on every device (its finished cells are kept). */
export const skipModelSignal = defineSignal<[string]>('skipModel');
/** Stop using a device queue (its finished cells are kept). */
export const dropDeviceSignal = defineSignal<[string]>('dropDevice');
