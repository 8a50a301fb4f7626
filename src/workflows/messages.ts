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
}

export interface StudyProgress {
  studyId: string;
  phase: 'planning' | 'preparing' | 'profiling' | 'measuring' | 'writing' | 'done';
  devices: DeviceProgress[];
  done: number;
  total: number;
  /** Estimated seconds left, from the mean time per finished cell; null before the first one. */
  etaSeconds: number | null;
  failures: string[];
}

export const progressQuery = defineQuery<StudyProgress>('progress');
export const cellStartedSignal = defineSignal<[CellEvent]>('cellStarted');
export const cellDoneSignal = defineSignal<[CellEvent]>('cellDone');
