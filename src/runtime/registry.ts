/**
 * The runtimes a device can run models with, by id (a device spec's `runtime`). A new runtime is
 * one more implementation of runtime.ts's interface, registered here.
 */
import { InputError } from '../errors.js';
import { onnxruntime } from './onnxruntime.js';
import { trtexec } from './trtexec.js';
import type { DeviceRuntime, InProcessRuntime, Provider, Runtime, RuntimeFacts, RuntimeId } from './runtime.js';

const RUNTIMES: Record<RuntimeId, Runtime> = { onnxruntime, trtexec };

export function runtimeById(id: string): Runtime {
  if (!Object.hasOwn(RUNTIMES, id)) throw new InputError(`unknown runtime "${id}": dnnbench has ${Object.keys(RUNTIMES).join(', ')}`);
  return RUNTIMES[id as RuntimeId];
}

/** The device's runtime. */
export function deviceRuntime(device: DeviceRuntime): Runtime {
  return runtimeById(device.runtime ?? 'onnxruntime');
}

/** A runtime that runs models in this process (what an accuracy pass or a probe needs). */
export function inProcessRuntime(id: string): InProcessRuntime {
  const runtime = runtimeById(id);
  if (runtime.kind !== 'in-process') throw new InputError(`runtime "${id}" runs and times models in a process of its own: it cannot run them in this one`);
  return runtime;
}

/**
 * The tables' `provider` column for a device: the execution provider that ran the model, or
 * `trtexec` for TensorRT's tool, which has none (the column's values predate the runtime field).
 */
export function providerColumn(device: DeviceRuntime): Provider {
  return device.runtime === 'trtexec' ? 'trtexec' : device.provider;
}

/** Versions and available backends of the runtimes loaded into this process, for the devices table. */
export function runtimeFacts(): { onnxruntime: RuntimeFacts } {
  return { onnxruntime: onnxruntime.facts() };
}
