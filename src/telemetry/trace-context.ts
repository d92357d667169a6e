import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { maskPhonesIn } from '../shared/phone.ts';

/**
 * Trace context in event envelopes. An event stores the W3C `traceparent` of the span that
 * produced it (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`); a consumer restores it
 * as the parent of its own span, so one trace runs from the Twilio webhook through the log,
 * the processor and the sender to the request to Twilio. With tracing off (no SDK started)
 * every function here is a cheap no-op: no span records and nothing is parsed.
 */

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C `traceparent` of the active span, or undefined when there is none (tracing off, or
 * outside any traced operation).
 */
export function activeTraceparent(): string | undefined {
  const span = trace.getSpan(context.active());
  const sc = span?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  const flags = (sc.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${sc.traceId}-${sc.spanId}-${flags}`;
}

/**
 * The context whose remote parent is `traceparent`, or the root context (a new trace) when it
 * is null or malformed.
 */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  if (!match) return ROOT_CONTEXT;
  const sc = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return trace.isSpanContextValid(sc) ? trace.setSpanContext(ROOT_CONTEXT, sc) : ROOT_CONTEXT;
}

/** Options of {@link inSpan}. */
export interface SpanOptions {
  /** W3C `traceparent` of the parent (an event's, an outbox row's); null starts a new trace. */
  parent: string | null | undefined;
  kind?: SpanKind;
  attributes?: Attributes;
}

/**
 * Runs `fn` inside a new active span named `name` whose parent is `options.parent`, so that
 * every span started inside (pg queries, HTTP requests) and every event appended inside
 * (through {@link activeTraceparent}) joins that trace. A thrown error marks the span as
 * failed (its message with phone numbers masked) and is rethrown.
 *
 * @returns what `fn` returns.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const tracer = trace.getTracer('leadline');
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    contextFromTraceparent(options.parent),
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        span.recordException({ name: e.name, message: maskPhonesIn(e.message) });
        span.setStatus({ code: SpanStatusCode.ERROR, message: maskPhonesIn(e.message) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

export { SpanKind };
