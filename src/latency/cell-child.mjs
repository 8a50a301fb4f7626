// Child-process entry for an isolated latency cell (cell-process.ts): register tsx, as the CLI
// does, before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./cell-child.ts');
