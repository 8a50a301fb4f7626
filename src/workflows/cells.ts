import type { ResolvedModel } from '../study/catalog.js';
import type { DeviceSpec } from '../study/study-spec.js';

/** Random-weight architectures (tools/export) are never evaluated: the report uses their published top-1. */
export function evaluatesAccuracy(device: DeviceSpec, model: ResolvedModel): boolean {
  return device.accuracy && model.weights !== 'random';
}

/** The name of a latency cell in progress events and `missingCells`. */
export const latencyCell = (batchSize: number): string => `b${batchSize}`;

/** Every cell of one model on one device, in the order the device measures them: accuracy, then each batch size. */
export function cellsOf(device: DeviceSpec, model: ResolvedModel, batchSizes: readonly number[]): string[] {
  return [...(evaluatesAccuracy(device, model) ? ['accuracy'] : []), ...batchSizes.map(latencyCell)];
}
