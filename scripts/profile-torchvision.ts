/**
 * Profiles every exported torchvision architecture of the catalog (data/torchvision-catalog.json)
 * and prints, as Markdown, our MACs and parameters against torchvision's published figures: the
 * table in docs/PROFILE.md ("Exported torchvision architectures").
 *
 *   npm run export:models -- --all --random-weights     # once: the ONNX files (docs/EXPORT.md)
 *   node --import tsx scripts/profile-torchvision.ts [id ...]
 *
 * Exits 1 if a model's MACs are off by more than 2% or its parameters are not reconciled exactly
 * (src/profile/export-check.ts); a model that has not been exported is listed and skipped.
 */
import { loadCatalog } from '../src/study/catalog.js';
import { checkExport, type ExportCheck } from '../src/profile/export-check.js';
import { exportedFiles, readExportSidecar, type ExportSidecar } from '../src/study/export-sidecar.js';
import { loadOnnxModel } from '../src/onnx/onnx-proto.js';
import { profileLoadedModel } from '../src/profile/profile.js';

const wanted = new Set(process.argv.slice(2));
const entries = loadCatalog().filter((e) => e.source.torchvision && (wanted.size === 0 || wanted.has(e.id)));
const n = (x: number) => x.toLocaleString('en-US');
const signed = (x: number) => (x === 0 ? '0' : `${x > 0 ? '+' : '−'}${n(Math.abs(x))}`);

const rows: { check: ExportCheck; sidecar: ExportSidecar; ms: number }[] = [];
const missing: string[] = [];
for (const entry of entries) {
  const sidecar = await readExportSidecar(entry.id);
  if (!sidecar) {
    missing.push(entry.id);
    continue;
  }
  const t0 = performance.now();
  const model = await loadOnnxModel(exportedFiles(entry.id).onnx);
  const profile = await profileLoadedModel(model);
  rows.push({ check: checkExport(sidecar, profile, model.proto.graph!), sidecar, ms: performance.now() - t0 });
  process.stderr.write('.');
}
process.stderr.write('\n');

const first = rows[0]?.sidecar;
if (first) {
  console.log(`torch ${first.versions.torch}, torchvision ${first.versions.torchvision}, TorchScript exporter (dynamo=False), opset ${first.exporter.opset}, `
    + `constant folding on; weights ${[...new Set(rows.map((r) => r.sidecar.weights))].join('/')}; profiled at batch 1.\n`);
}
console.log('| model | input | published GMACs | our MACs | Δ | ours to 3 decimals | FLOPs | uncounted ops | profile time |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const { check: c, ms } of rows) {
  console.log(`| ${c.id} | ${c.inputSize} | ${c.publishedGmacs.toFixed(3)} | ${n(c.macs)} | ${(c.macsDiff * 100).toFixed(2)}% `
    + `| ${(c.macs / 1e9).toFixed(3)}${c.macsEqualWhenRounded ? ' =' : ''} | ${n(c.flops)} | ${c.uncountedOps.join(', ') || '—'} | ${Math.round(ms)} ms |`);
}
console.log('\n| model | published params | aux head | folded BN (layers) | scalar constants | expected | ours | module = published − aux |');
console.log('|---|---|---|---|---|---|---|---|');
for (const { check: c } of rows) {
  console.log(`| ${c.id} | ${n(c.publishedParams)} | ${signed(-c.auxHeadParams)} | ${signed(-c.foldedBnParamsRemoved)} (${c.foldedBnLayers}) `
    + `| ${signed(c.scalarConstants)} | ${n(c.expectedParams)} | ${n(c.params)}${c.paramsOk ? ' ✓' : ' ✗'} | ${c.moduleMatchesPublished ? 'yes' : 'NO'} |`);
}
const bad = rows.filter((r) => !r.check.macsOk || !r.check.paramsOk || !r.check.moduleMatchesPublished);
const worst = rows.reduce((m, r) => Math.max(m, Math.abs(r.check.macsDiff)), 0);
console.log(`\n${rows.length} profiled, ${bad.length} off (${bad.map((r) => r.check.id).join(', ') || 'none'}); largest MACs difference ${(worst * 100).toFixed(2)}%.`);
if (missing.length) console.log(`Not exported (skipped): ${missing.join(', ')}.`);
if (rows.some((r) => r.check.unusedParams > 0)) console.log('Some models have parameters the eval forward never uses: see their sidecars (param_accounting.unused_modules).');
process.exitCode = bad.length ? 1 : 0;
