/**
 * Times profileModel (default: the kit's 102 MB ResNet-50) and where the time goes.
 *
 *   node --import tsx scripts/bench-profile.ts [model.onnx] [--runs N]
 *
 * The first run is reported separately: it also pays for loading onnxruntime's native library
 * and parsing the ONNX schema. Later runs read the file from the page cache.
 */
import path from 'node:path';
import { topoSort } from '../src/onnx/graph-utils.js';
import { loadOnnxModel } from '../src/onnx/onnx-proto.js';
import { opCost } from '../src/profile/op-costs.js';
import { countParams } from '../src/profile/params.js';
import { profileModel } from '../src/profile/profile.js';
import { resolveShapes } from '../src/profile/shapes.js';
import { activationStats } from '../src/profile/traffic.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
const positional = args.filter((a, i) => !a.startsWith('--') && i !== runsAt + 1);
const kit = process.env.DNNBENCH_KIT ?? path.resolve('../shared/kit');
const file = positional[0] ?? path.join(kit, 'models', 'resnet50_keras_opset13.onnx');

const ms = (t0: number) => performance.now() - t0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

let t0 = performance.now();
const first = await profileModel(file);
const firstMs = ms(t0);

const total: number[] = [];
const load: number[] = [];
const shapes: number[] = [];
const counting: number[] = [];
for (let i = 0; i < runs; i++) {
  t0 = performance.now();
  await profileModel(file);
  total.push(ms(t0));

  // The same phases timed one by one (they add up to about one profileModel call).
  t0 = performance.now();
  const model = await loadOnnxModel(file);
  load.push(ms(t0));
  t0 = performance.now();
  const resolved = await resolveShapes(model);
  shapes.push(ms(t0));
  t0 = performance.now();
  const graph = model.proto.graph;
  if (!graph) throw new Error('no graph');
  const order = topoSort(graph);
  for (const node of order) opCost(node, (n) => (n ? resolved.tensors.get(n) : undefined));
  const { weightBytes } = countParams(graph);
  activationStats(graph, order, (n) => resolved.tensors.get(n), weightBytes);
  counting.push(ms(t0));
}

const fmt = (x: number) => x.toFixed(0);
console.log(`model            ${file}`);
console.log(`file             ${(first.file_bytes / 1e6).toFixed(1)} MB, params ${first.params}, MACs ${first.macs}, shapes from ${first.shape_source}`);
console.log(`first run        ${fmt(firstMs)} ms (includes loading onnxruntime and the schema)`);
console.log(`profileModel     median ${fmt(median(total))} ms, min ${fmt(Math.min(...total))} ms over ${runs} runs`);
console.log(`  load+decode    median ${fmt(median(load))} ms`);
console.log(`  shapes (ORT)   median ${fmt(median(shapes))} ms`);
console.log(`  counting       median ${fmt(median(counting))} ms`);
console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
