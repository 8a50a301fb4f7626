// Worker-thread entry of a model instance (instance-pool.ts): worker threads do not inherit the
// CLI's programmatic tsx registration, so register it here before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./instance-worker.ts');
