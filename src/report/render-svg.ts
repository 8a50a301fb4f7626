import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Vega-Lite → Vega → SVG in Node, headless (renderer 'none': no canvas, no DOM). The report's
 * figures are static SVG, so it opens anywhere without JavaScript or network.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Model ids are long (squeezenet1.1_caffe2_fp16_winml): legends show them whole.
  const withConfig = { ...spec, config: { legend: { labelLimit: 320 }, ...spec.config } } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(withConfig).spec), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
