#!/usr/bin/env node
// The CLI is TypeScript run through tsx: no build step and no install script, so `npm ci` is all
// a fresh machine needs before `npx dnnbench`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
