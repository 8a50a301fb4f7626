// Child-process entry for an accuracy pass (accuracy-process.ts): register tsx, as the CLI does,
// before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./accuracy-child.ts');
