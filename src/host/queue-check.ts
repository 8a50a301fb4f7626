import { InputError } from '../errors.js';
import type { HostFacts } from './probe-host.js';

/**
 * A queue's device kind is its prefix: `cpu-*` runs on any host, `gpu-*` needs an NVIDIA GPU that
 * nvidia-smi sees, `jetson-*` needs a Jetson. A worker that does not match refuses to start, so a
 * queue's results always come from the hardware its name promises.
 */
export function checkQueueMatchesHost(queue: string, host: Pick<HostFacts, 'gpus' | 'gpuNote' | 'jetsonModel' | 'tegraRelease'>): void {
  if (queue.startsWith('cpu-')) return;
  if (queue.startsWith('gpu-')) {
    if (host.gpus.length > 0) return;
    throw new InputError(`queue ${queue} is a GPU queue, but this host has no NVIDIA GPU (${host.gpuNote ?? 'nvidia-smi listed none'}). Serve a cpu-* queue here, or run this worker on a GPU host.`);
  }
  if (queue.startsWith('jetson-')) {
    if (host.jetsonModel || host.tegraRelease) return;
    throw new InputError(`queue ${queue} is a Jetson queue, but this host is not a Jetson: no /etc/nv_tegra_release and /proc/device-tree/model names no Jetson/Tegra.`);
  }
  throw new InputError(`queue ${queue}: a device queue's name starts with its kind, cpu-, gpu- or jetson- (e.g. cpu-x86_64, gpu-h100, jetson-orin)`);
}
