#!/usr/bin/env node
// The `leadline` command. Runs the TypeScript sources through tsx's loader; the container
// image runs the compiled `dist/cli/main.js` instead (see deploy/Dockerfile).
import { register } from 'tsx/esm/api';

register();
// OpenTelemetry tracing, only when the OTEL_* variables configure an exporter: it must hook
// the module loader before the application's modules are imported.
await import('../src/telemetry/register.ts');
await import('../src/cli/main.ts');
