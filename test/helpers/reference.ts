import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './cli.js';

const run = promisify(execFile);

/** The venv's python with onnxruntime, Pillow, numpy, pyarrow (created once by scripts/python-venv.sh). */
export async function referencePython(): Promise<string> {
  const { stdout } = await run('bash', [path.join(ROOT, 'scripts/python-venv.sh')], { maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').pop()!;
}

/** Top-1/top-5 computed by Python onnxruntime + PIL (scripts/python/reference_accuracy.py): no dnnbench code. */
export async function referenceAccuracy(args: {
  kit: string; model: string; preprocessing: unknown; output: unknown; limit?: number;
}): Promise<{ n: number; top1: number; top5: number }> {
  const python = await referencePython();
  const { stdout } = await run(python, [
    path.join(ROOT, 'scripts/python/reference_accuracy.py'), '--kit', args.kit, '--model', args.model,
    '--preprocessing', JSON.stringify(args.preprocessing), '--output', JSON.stringify(args.output),
    ...(args.limit ? ['--limit', String(args.limit)] : []),
  ], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { n: number; top1: number; top5: number };
}
