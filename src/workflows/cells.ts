import type { ResolvedModel } from '../study/catalog.js';
import type { DeviceSpec, RuntimeVariant } from '../study/study-spec.js';
import type { DeviceRuntime } from '../runtime/runtime.js';

/** Random-weight architectures (tools/export) are never evaluated: the report uses their published top-1. */
export function evaluatesAccuracy(device: DeviceSpec, model: ResolvedModel): boolean {
  return device.accuracy && model.weights !== 'random';
}

/** The name of a latency cell in progress events and `missingCells`: `b4`, or `b4@t1` for a device's runtime variant t1. */
export const latencyCell = (batchSize: number, variant?: string): string => `b${batchSize}${variant ? `@${variant}` : ''}`;

/** A device's runtime variants (docs/VARIANTS.md), or one unnamed entry: its own settings. */
export function variantsOf(device: DeviceSpec): (RuntimeVariant | undefined)[] {
  return device.variants ?? [undefined];
}

/** How a latency cell of this device runs its model: the device's settings, with the variant's over them. */
export function variantRuntime(device: DeviceSpec, variant: RuntimeVariant | undefined): DeviceRuntime {
  const base: DeviceRuntime = { ...(device.runtime ? { runtime: device.runtime } : {}), provider: device.provider, ...(device.threads !== undefined ? { threads: device.threads } : {}) };
  if (!variant) return base;
  const { name: _name, provider, threads, ...session } = variant;
  const intraOp = threads ?? base.threads;
  return { ...base, provider: provider ?? base.provider, ...(intraOp !== undefined ? { threads: intraOp } : {}), session };
}

/** Every cell of one model on one device, in the order the device measures them: accuracy, then each batch size (per variant). */
export function cellsOf(device: DeviceSpec, model: ResolvedModel, batchSizes: readonly number[]): string[] {
  return [
    ...(evaluatesAccuracy(device, model) ? ['accuracy'] : []),
    ...variantsOf(device).flatMap((v) => batchSizes.map((b) => latencyCell(b, v?.name))),
  ];
}
