import type { PowerSources } from '../../host/probe-host.js';
import type { Provider } from '../../runtime/runtime.js';
import { discoverInaSampler, TegrastatsSampler } from './jetson.js';
import { NvidiaSmiSampler } from './nvidia-smi.js';
import type { PowerAvailability } from './power-sampler.js';
import { RaplSampler } from './rapl.js';

/**
 * The power source that matches what is being timed: the GPU's board power when a GPU provider
 * runs the model, the Jetson module's input rail on a Jetson, the CPU package (RAPL) otherwise.
 * With none, the reason every source was ruled out, to be recorded beside the null fields.
 * Which tools exist comes from the worker's host probe (src/host/probe-host.ts): nothing is
 * spawned here to find out.
 */
export async function discoverPowerSampler(provider: Provider, sources: PowerSources): Promise<PowerAvailability> {
  const reasons: string[] = [];
  if (provider !== 'cpu') {
    if (sources.nvidiaSmi) return { sampler: new NvidiaSmiSampler(0, sources.nvidiaSmiInstantPower ? 'power.draw.instant' : 'power.draw') };
    reasons.push('nvidia-smi not found or no GPU');
  }
  const ina = await discoverInaSampler();
  if (typeof ina !== 'string') return { sampler: ina };
  reasons.push(ina);
  if (sources.tegrastats) return { sampler: new TegrastatsSampler() };
  reasons.push('no tegrastats');
  const rapl = await RaplSampler.discover();
  if (typeof rapl !== 'string') return { sampler: rapl };
  reasons.push(rapl);
  return { sampler: null, reason: `no power source: ${reasons.join('; ')}` };
}
