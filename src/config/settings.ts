import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (where package.json lives), whatever the current directory. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the bundled kit of real models and images lives: DNNBENCH_KIT, else ../shared/kit beside the project. */
export function kitDir(): string {
  return path.resolve(process.env.DNNBENCH_KIT ?? path.join(PROJECT_ROOT, '../shared/kit'));
}

/** Root of everything a study writes or caches: DNNBENCH_DATA, else data/ in the project. */
export function dataDir(): string {
  return path.resolve(process.env.DNNBENCH_DATA ?? path.join(PROJECT_ROOT, 'data'));
}

/** Task queue for workflows and host-independent activities (planning, profiling, writing tables). */
export const CONTROL_QUEUE = 'dnnbench-control';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
