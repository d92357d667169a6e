import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadStreamId } from '../../src/events/streams.ts';
import { actors } from '../support/actors.ts';
import { e2eBackends, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { OtlpCollector, type CollectedSpan } from '../support/otlp-collector.ts';
import { waitUntilSettled } from '../support/settle.ts';

const ARTIFACTS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../test-artifacts',
);
const NUMBER = '+14165550100';
const OWNER = '+14165550199';
const CALLER = '+16475550123';

/** The spans of one trace as an indented tree, one line each: name, kind, duration. */
function renderTree(spans: CollectedSpan[]): string[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, CollectedSpan[]>();
  for (const s of spans) {
    const parent = ids.has(s.parentSpanId) ? s.parentSpanId : '';
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const lines: string[] = [];
  const walk = (parent: string, depth: number) => {
    for (const s of children.get(parent) ?? []) {
      lines.push(`${'  '.repeat(depth)}${s.name} [${s.kind}, ${s.durationMs.toFixed(1)} ms]`);
      walk(s.spanId, depth + 1);
    }
  };
  walk('', 0);
  return lines;
}

/** True when `ancestor` is `span`'s parent, grandparent, … within `spans`. */
function descends(span: CollectedSpan, ancestor: CollectedSpan, spans: CollectedSpan[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let s = byId.get(span.parentSpanId); s; s = byId.get(s.parentSpanId)) {
    if (s.spanId === ancestor.spanId) return true;
  }
  return false;
}

describe.each(e2eBackends())(
  'tracing on the $backend log: one missed call is one trace, webhook to Twilio',
  ({ backend, env }) => {
    let e: E2eEnv;
    let collector: OtlpCollector;
    let tenantId: string;
    const act = actors(() => e);

    beforeAll(async () => {
      collector = await new OtlpCollector().start();
      e = await startE2eEnv({
        ...env,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_SERVICE_NAME: 'leadline',
      });
      tenantId = await e.addTenant({
        name: 'Maple Plumbing',
        number: NUMBER,
        owner: OWNER,
        extra: ['--alert-debounce', '0'],
      });
    });
    afterAll(async () => {
      await e?.close();
      await collector?.stop();
    });

    it('webhook → log → lead-conversation processor → sender → POST to Twilio, in one trace', async () => {
      const call = await act.missedCall(CALLER, NUMBER);
      await waitUntilSettled(e.databaseUrl);
      expect(e.twilio.to(CALLER)).toHaveLength(1);

      // The sender's span for the caller's text, once exported (batches leave every 100 ms).
      let send: CollectedSpan | undefined;
      for (let i = 0; i < 100 && !send; i++) {
        send = collector.spans.find(
          (s) =>
            s.name === 'sender send missed-call-text' &&
            s.attributes['leadline.send.result'] === 'sent',
        );
        if (!send) await sleep(100);
      }
      expect(send, 'the sender span was exported').toBeDefined();
      await sleep(500); // the rest of the trace's batches
      const trace = collector.trace(send!.traceId);

      await mkdir(ARTIFACTS, { recursive: true });
      const file = path.join(
        ARTIFACTS,
        backend === 'postgres' ? 'missed-call-trace.json' : `missed-call-trace-${backend}.json`,
      );
      const counts: Record<string, number> = {};
      for (const s of trace) counts[s.scope] = (counts[s.scope] ?? 0) + 1;
      await writeFile(
        file,
        JSON.stringify(
          {
            description: `One missed call (CallSid ${call.callSid}) on the ${backend} log: the Dial action webhook, the events it appended, every consumer that handled them, the sender and its request to Twilio.`,
            traceId: send!.traceId,
            spanCount: trace.length,
            spansByInstrumentation: counts,
            tree: renderTree(trace),
            spans: trace,
          },
          null,
          2,
        ) + '\n',
      );

      const server = trace.find(
        (s) => s.kind === 'server' && s.attributes['http.route'] === '/twilio/voice/status',
      );
      const processor = trace.find(
        (s) => s.kind === 'consumer' && s.name === 'processor:lead-conversation handle DialMissed',
      );
      const twilio = trace.find(
        (s) =>
          s.kind === 'client' &&
          descends(s, send!, trace) &&
          String(s.attributes['url.full']).startsWith(`${e.twilio.url}/2010-04-01/Accounts/`) &&
          String(s.attributes['url.full']).endsWith('/Messages.json'),
      );
      expect(server, 'the Dial action webhook span').toBeDefined();
      expect(processor, 'the processor span').toBeDefined();
      expect(twilio, 'the request to Twilio, under the sender').toBeDefined();
      expect(server!.parentSpanId).toBe('');
      expect(descends(processor!, server!, trace), 'processor under the webhook').toBe(true);
      expect(descends(send!, processor!, trace), 'sender under the processor').toBe(true);
      expect(twilio!.attributes['http.response.status_code']).toBe(201);
      // Fastify's spans and the queries, in the webhook and in the processor.
      const pgUnder = (parent: CollectedSpan) =>
        trace.filter(
          (s) => s.scope === '@opentelemetry/instrumentation-pg' && descends(s, parent, trace),
        );
      expect(trace.some((s) => s.scope === '@fastify/otel')).toBe(true);
      expect(pgUnder(server!).length).toBeGreaterThan(0);
      expect(pgUnder(processor!).length).toBeGreaterThan(0);
      // Every consumer restored the context of the events it handled.
      const consumers = new Set(trace.filter((s) => s.kind === 'consumer').map((s) => s.name));
      expect(consumers).toContain('projection:dashboard handle DialMissed');
      expect(consumers).toContain('projection:dashboard handle OutboundSmsSent');

      // The context went through the log: the event carries the webhook's trace.
      const events = await e.readStream(leadStreamId(tenantId, CALLER));
      const dialMissed = events.find((ev) => ev.type === 'DialMissed');
      expect(dialMissed?.traceparent).toMatch(new RegExp(`^00-${send!.traceId}-[0-9a-f]{16}-01$`));

      // Traces carry no phone numbers (the caller's or the owner's) and no message bodies.
      const json = JSON.stringify(trace);
      for (const number of [CALLER, OWNER]) expect(json).not.toContain(number.slice(2));
      expect(json).not.toContain('Maple Plumbing');
    });
  },
);
