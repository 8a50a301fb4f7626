// Worker-thread entry: the CLI registers tsx programmatically, which worker threads do not
// inherit, so register it here before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./prep-worker.ts');
