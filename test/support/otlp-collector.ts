import http from 'node:http';
import { once } from 'node:events';

/** One span as an OTLP/HTTP JSON exporter sent it, flattened. */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP kind: internal, server, client, producer, consumer. */
  kind: 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  /** Start time (ISO-8601, ms precision) and duration (ms). */
  start: string;
  durationMs: number;
  /** The instrumentation that made it (`@opentelemetry/instrumentation-pg`, `leadline`, …). */
  scope: string;
  service: string;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

const KINDS: CollectedSpan['kind'][] = [
  'unspecified',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];

const valueOf = (v: OtlpValue): unknown =>
  v.stringValue ??
  (v.intValue !== undefined ? Number(v.intValue) : undefined) ??
  v.doubleValue ??
  v.boolValue ??
  v.arrayValue?.values?.map(valueOf);

const attributesOf = (list: OtlpAttribute[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));

/**
 * A minimal OpenTelemetry collector for tests: accepts OTLP/HTTP JSON
 * (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) at `POST /v1/traces` and keeps every span.
 * Point a process at it with `OTEL_EXPORTER_OTLP_ENDPOINT=<url>`.
 */
export class OtlpCollector {
  readonly spans: CollectedSpan[] = [];
  private readonly server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        try {
          this.add(JSON.parse(body));
        } catch {
          res.writeHead(400).end();
          return;
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  /** `http://127.0.0.1:<port>` once started. */
  url = '';

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.close();
    this.server.closeAllConnections();
  }

  /** Every span of trace `traceId`, oldest first. */
  trace(traceId: string): CollectedSpan[] {
    return this.spans
      .filter((s) => s.traceId === traceId)
      .sort((a, b) => a.start.localeCompare(b.start));
  }

  private add(request: {
    resourceSpans?: Array<{
      resource?: { attributes?: OtlpAttribute[] };
      scopeSpans?: Array<{
        scope?: { name?: string };
        spans?: Array<{
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          name: string;
          kind?: number;
          startTimeUnixNano: string;
          endTimeUnixNano: string;
          attributes?: OtlpAttribute[];
          status?: { code?: number; message?: string };
        }>;
      }>;
    }>;
  }): void {
    for (const rs of request.resourceSpans ?? []) {
      const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          const startNs = BigInt(s.startTimeUnixNano);
          const endNs = BigInt(s.endTimeUnixNano);
          this.spans.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            name: s.name,
            kind: KINDS[s.kind ?? 0] ?? 'unspecified',
            start: new Date(Number(startNs / 1_000_000n)).toISOString(),
            durationMs: Number((endNs - startNs) / 1_000n) / 1000,
            scope: ss.scope?.name ?? '',
            service,
            attributes: attributesOf(s.attributes),
            status: { code: s.status?.code ?? 0, message: s.status?.message },
          });
        }
      }
    }
  }
}
