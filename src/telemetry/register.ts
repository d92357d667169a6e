/**
 * Starts OpenTelemetry tracing before the application's modules load, when the standard
 * `OTEL_*` variables ask for it (see {@link tracingRequested}); does nothing otherwise, so
 * the `leadline` command starts as fast as without it. Imported first by `bin/leadline.js`
 * (and by the container image with `node --import ./dist/telemetry/register.js`).
 *
 * ESM modules can only be instrumented through a loader hook registered before they are
 * imported: this registers `@opentelemetry/instrumentation/hook.mjs` (import-in-the-middle)
 * for the packages Leadline imports as ES modules and instruments (`pg`, `kafkajs`); `http`
 * (Fastify's server, the Twilio SDK's requests) is patched through `require` as usual, and
 * Fastify through its diagnostics channel.
 */
import { register } from 'node:module';
import { tracingRequested } from './tracing-requested.ts';

let stop: (() => Promise<void>) | undefined;

/**
 * Exports the spans still buffered and stops tracing; resolves at once when tracing is off.
 * `leadline serve` calls it last before exiting.
 */
export async function flushTracing(): Promise<void> {
  await stop?.();
}

if (tracingRequested()) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ['pg', 'kafkajs'] },
  });
  const tracing = await import('./tracing.ts');
  tracing.startTracing();
  stop = tracing.stopTracing;
}
