import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Provider } from '../../runtime/onnx-session.js';
import { discoverInaSampler, TegrastatsSampler } from './jetson.js';
import { NvidiaSmiSampler } from './nvidia-smi.js';
import type { PowerAvailability } from './power-sampler.js';
import { RaplSampler } from './rapl.js';

async function commandWorks(cmd: string, args: string[]): Promise<boolean> {
  try {
    await promisify(execFile)(cmd, args, { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * The power source that matches what is being timed: the GPU's board power when a GPU provider
 * runs the model, the Jetson module's input rail on a Jetson, the CPU package (RAPL) otherwise.
 * With none, the reason every source was ruled out, to be recorded beside the null fields.
 */
export async function discoverPowerSampler(provider: Provider): Promise<PowerAvailability> {
  const reasons: string[] = [];
  if (provider !== 'cpu') {
    if (await commandWorks('nvidia-smi', ['-L'])) return { sampler: new NvidiaSmiSampler(0) };
    reasons.push('nvidia-smi not found or no GPU');
  }
  const ina = await discoverInaSampler();
  if (typeof ina !== 'string') return { sampler: ina };
  reasons.push(ina);
  if (await commandWorks('tegrastats', ['--help'])) return { sampler: new TegrastatsSampler() };
  reasons.push('no tegrastats');
  const rapl = await RaplSampler.discover();
  if (typeof rapl !== 'string') return { sampler: rapl };
  reasons.push(rapl);
  return { sampler: null, reason: `no power source: ${reasons.join('; ')}` };
}
