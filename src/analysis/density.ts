import { wilsonInterval } from '../stats/wilson.js';
import type { LawAccuracy } from './accuracy-basis.js';
import { fitRows, type FitRow, type FrontierRow } from './fit-rows.js';
import type { ModelInput } from './inputs.js';
import { paretoFrontier } from './pareto.js';

/**
 * SPEC §3.7: accuracy density (top-1 per million parameters, Canziani's "information density")
 * per model and device, and the frontiers of top-1 against GFLOPs and parameters (no batch size:
 * both are properties of the model; top-1 is per device because int8 kernels differ by CPU when
 * the basis is measured). Every model of a device is on them, with its top-1 on the device's one
 * basis (`laws`, from lawAccuracy).
 */
export function densityAndModelFrontiers(
  modelRows: readonly ModelInput[], laws: ReadonlyMap<string, LawAccuracy>,
): { fits: FitRow[]; frontiers: FrontierRow[] } {
  const models = new Map(modelRows.map((m) => [m.model_id, m]));
  const fits: FitRow[] = [];
  const frontiers: FrontierRow[] = [];
  for (const [device, law] of laws) {
    const acc = [...law.byModel.values()].filter((a) => models.has(a.model_id));
    for (const a of acc) {
      const mparams = Number(models.get(a.model_id)!.params) / 1e6;
      // Parameters are exact, so the density's interval is top-1's: Wilson for a measured figure;
      // a published figure comes without the counts to make one.
      const wilson = a.n_images !== null ? wilsonInterval(Math.round(a.top1 * a.n_images), a.n_images) : null;
      const ci = mparams > 0 && wilson ? [wilson.low / mparams, wilson.high / mparams] as const : null;
      const note = mparams <= 0 ? 'model has no parameters'
        : ci ? `95% interval: Wilson interval of top-1 over ${a.n_images} images, divided by the parameters`
        : 'no interval: a published top-1 comes without its counts';
      fits.push(...fitRows({ fit: 'accuracy_density', device, batch_size: null, model_id: a.model_id },
        [['top1_per_mparams', mparams > 0 ? a.top1 / mparams : null, 'fraction per million parameters', ci]],
        { r2: null, n: 1, status: mparams > 0 ? 'ok' : 'no_data', note, accuracy_basis: law.basis }));
    }
    for (const [name, unit, x] of [
      ['top1_vs_gflops', 'GFLOPs', (id: string) => Number(models.get(id)!.flops) / 1e9],
      ['top1_vs_params', 'M params', (id: string) => Number(models.get(id)!.params) / 1e6],
    ] as const) {
      const xy = acc.map((a) => ({ x: x(a.model_id), y: a.top1 }));
      const front = new Set(paretoFrontier(xy, 'min'));
      acc.forEach((a, i) => frontiers.push({
        frontier: name, device, batch_size: null, model_id: a.model_id, x_value: xy[i]!.x, x_unit: unit, top1: xy[i]!.y,
        on_frontier: front.has(i), accuracy_basis: law.basis,
      }));
    }
  }
  return { fits, frontiers };
}
