/**
 * The squeezenet1.0_tflite investigation behind docs/ACCURACY.md: writes graph variants of the kit
 * model (conv1 padding, max-pool padding, conv10's ReLU) and runs every preprocessing, label and
 * graph variant through Python onnxruntime + PIL (scripts/python/squeezenet_tflite_variants.py).
 *
 *   node --import tsx scripts/investigate-squeezenet-tflite.ts [--set val_227|val_orig]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { kitDir, PROJECT_ROOT } from '../src/config/settings.js';
import { encodeModel, loadOnnxModel } from '../src/onnx/onnx-proto.js';
import type { GraphProto, NodeProto } from '../src/onnx/onnx-types.js';
import { referencePython } from '../test/helpers/reference.js';

const { values: args } = parseArgs({ options: { set: { type: 'string', default: 'val_227' } } });
const model = path.join(kitDir(), 'models/squeezenet1.0_tflite2018_opset13.onnx');

function setInts(n: NodeProto, name: string, ints: number[]): void {
  const a = n.attribute.find((x) => x.name === name);
  if (a) a.ints = ints;
  else n.attribute.push({ name, type: 7, ints } as unknown as NodeProto['attribute'][number]);
}
function setInt(n: NodeProto, name: string, i: number): void {
  const a = n.attribute.find((x) => x.name === name);
  if (a) a.i = i;
  else n.attribute.push({ name, type: 2, i } as unknown as NodeProto['attribute'][number]);
}
const conv1 = (g: GraphProto) => g.node.find((n) => n.output[0] === 'conv1')!;
const pools = (g: GraphProto) => g.node.filter((n) => n.op_type === 'MaxPool');

// The kit graph: conv1 7x7/2 pads [2,2,3,3] (TF SAME), max pools 3x3/2 unpadded (TF VALID), conv10 + ReLU.
const VARIANTS: Record<string, (g: GraphProto) => void> = {
  'conv1 pads [3,3,2,2] (extra row/column top-left)': (g) => setInts(conv1(g), 'pads', [3, 3, 2, 2]),
  'conv1 unpadded (VALID)': (g) => setInts(conv1(g), 'pads', [0, 0, 0, 0]),
  'max pools SAME (pads [0,0,1,1])': (g) => pools(g).forEach((n) => setInts(n, 'pads', [0, 0, 1, 1])),
  'max pools ceil_mode (Caffe)': (g) => pools(g).forEach((n) => setInt(n, 'ceil_mode', 1)),
  'no ReLU after conv10': (g) => {
    const i = g.node.findIndex((n) => n.op_type === 'Relu' && n.input[0] === 'conv10');
    const out = g.node[i]!.output[0]!;
    g.node.splice(i, 1);
    for (const n of g.node) n.input = n.input.map((x) => (x === out ? 'conv10' : x));
  },
};

const work = await mkdtemp(path.join(os.tmpdir(), 'dnnbench-sqz-'));
try {
  const variantArgs: string[] = [];
  for (const [name, edit] of Object.entries(VARIANTS)) {
    const m = await loadOnnxModel(model);
    edit(m.proto.graph!);
    m.proto.graph!.value_info = []; // shapes change: let onnxruntime infer them again
    const file = path.join(work, `v${variantArgs.length / 2}.onnx`);
    await writeFile(file, encodeModel(m.proto));
    variantArgs.push('--variant', `${name}=${file}`);
  }
  const { stdout } = await promisify(execFile)(await referencePython(), [
    path.join(PROJECT_ROOT, 'scripts/python/squeezenet_tflite_variants.py'), '--kit', kitDir(), '--baseline', model, '--set', args.set!, ...variantArgs,
  ], { maxBuffer: 1 << 22 });
  console.log(stdout);
} finally {
  await rm(work, { recursive: true, force: true });
}
