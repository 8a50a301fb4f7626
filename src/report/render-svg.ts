import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Vega-Lite → Vega → SVG in Node, headless (renderer 'none': no canvas, no DOM). The report's
 * figures are static SVG, so it opens anywhere without JavaScript or network.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // No legend is cut short: every entry (0: no limit on their number) and every label whole (0: no width limit).
  const withConfig = { ...spec, config: { legend: { labelLimit: 0, symbolLimit: 0 }, ...spec.config } } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(withConfig).spec), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
