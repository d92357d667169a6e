#!/usr/bin/env node
// The `leadline` command. Runs the TypeScript sources through tsx's loader; the container
// image runs the compiled `dist/cli/main.js` instead (see deploy/Dockerfile).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
