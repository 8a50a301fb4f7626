import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';

/** What a host offers, as far as queue pinning cares. Probed once at worker start-up. */
export interface HostKinds {
  nvidiaGpus: string[];
  /** The Jetson model, when this is a Jetson. */
  jetson: string | null;
}

export async function probeHost(): Promise<HostKinds> {
  let nvidiaGpus: string[] = [];
  try {
    const { stdout } = await promisify(execFile)('nvidia-smi', ['-L'], { timeout: 10_000 });
    nvidiaGpus = stdout.split('\n').filter((l) => l.startsWith('GPU '));
  } catch {
    nvidiaGpus = [];
  }
  let jetson: string | null = null;
  const release = await readFile('/etc/nv_tegra_release', 'utf8').catch(() => null);
  const model = (await readFile('/proc/device-tree/model', 'utf8').catch(() => '')).replace(/\0/g, '').trim();
  if (release || /jetson|tegra/i.test(model)) jetson = model || release!.split('\n')[0]!.trim();
  return { nvidiaGpus, jetson };
}

/**
 * A queue's device kind is its prefix: `cpu-*` runs on any host, `gpu-*` needs an NVIDIA GPU that
 * nvidia-smi sees, `jetson-*` needs a Jetson. A worker that does not match refuses to start, so a
 * queue's results always come from the hardware its name promises.
 */
export function checkQueueMatchesHost(queue: string, host: HostKinds): void {
  if (queue.startsWith('cpu-')) return;
  if (queue.startsWith('gpu-')) {
    if (host.nvidiaGpus.length > 0) return;
    throw new InputError(`queue ${queue} is a GPU queue, but this host has no NVIDIA GPU: \`nvidia-smi -L\` listed none (or nvidia-smi is not installed). Serve a cpu-* queue here, or run this worker on a GPU host.`);
  }
  if (queue.startsWith('jetson-')) {
    if (host.jetson) return;
    throw new InputError(`queue ${queue} is a Jetson queue, but this host is not a Jetson: no /etc/nv_tegra_release and /proc/device-tree/model names no Jetson/Tegra.`);
  }
  throw new InputError(`queue ${queue}: a device queue's name starts with its kind, cpu-, gpu- or jetson- (e.g. cpu-x86_64, gpu-h100, jetson-orin)`);
}
