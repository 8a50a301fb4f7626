// Child-process entry of a serving run (serving-process.ts): register tsx, as the CLI does,
// before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./serving-child.ts');
