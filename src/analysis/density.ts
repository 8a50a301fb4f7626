import { fitRows, type FitRow, type FrontierRow } from './fit-rows.js';
import type { AnalysisInput } from './inputs.js';
import { paretoFrontier } from './pareto.js';

/**
 * SPEC §3.7: accuracy density (top-1 per million parameters, Canziani's "information density")
 * per model and device, and the frontiers of top-1 against GFLOPs and parameters (no batch size:
 * both are properties of the model; top-1 is per device because int8 kernels differ by CPU).
 */
export function densityAndModelFrontiers(input: AnalysisInput): { fits: FitRow[]; frontiers: FrontierRow[] } {
  const models = new Map(input.models.map((m) => [m.model_id, m]));
  const fits: FitRow[] = [];
  const frontiers: FrontierRow[] = [];
  const devices = [...new Set(input.accuracy.map((a) => a.device))];
  for (const device of devices) {
    const acc = input.accuracy.filter((a) => a.device === device && models.has(a.model_id) && Number.isFinite(Number(a.top1)));
    for (const a of acc) {
      const mparams = Number(models.get(a.model_id)!.params) / 1e6;
      fits.push(...fitRows({ fit: 'accuracy_density', device, batch_size: null, model_id: a.model_id },
        [['top1_per_mparams', mparams > 0 ? Number(a.top1) / mparams : null, 'fraction per million parameters']],
        { r2: null, n: 1, status: mparams > 0 ? 'ok' : 'no_data', note: mparams > 0 ? null : 'model has no parameters' }));
    }
    for (const [name, unit, x] of [
      ['top1_vs_gflops', 'GFLOPs', (id: string) => Number(models.get(id)!.flops) / 1e9],
      ['top1_vs_params', 'M params', (id: string) => Number(models.get(id)!.params) / 1e6],
    ] as const) {
      const xy = acc.map((a) => ({ x: x(a.model_id), y: Number(a.top1) }));
      const front = new Set(paretoFrontier(xy, 'min'));
      acc.forEach((a, i) => frontiers.push({
        frontier: name, device, batch_size: null, model_id: a.model_id, x_value: xy[i]!.x, x_unit: unit, top1: xy[i]!.y, on_frontier: front.has(i),
      }));
    }
  }
  return { fits, frontiers };
}
