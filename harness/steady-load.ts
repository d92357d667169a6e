import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request of a steady load: its path, headers and body (built when it is due). */
export interface LoadRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What a steady load measured. */
export interface SteadyLoadResult {
  /** Requests answered per second over the run. */
  rate: number;
  /** Latency (ms) from when each request was due to its answer, median and 99th percentile. */
  p50: number;
  p99: number;
  /** Answers other than 2xx. */
  non2xx: number;
  /** Requests that failed (connection errors, or no answer within 30 s). */
  errors: number;
}

/** How often (ms) due requests are sent: requests are spread evenly at this granularity. */
const TICK_MS = 5;

/**
 * A steady load of POSTs: `rate` requests per second, spread evenly over each second (a few
 * every {@link TICK_MS} ms), for `seconds`, over at most `connections` keep-alive
 * connections. autocannon's `overallRate` resets a quota every second, so its load arrives
 * as one burst at the start of each second and then pauses; a service is measured here under
 * the load a steady stream of webhooks makes. Latency counts from when a request was due, so
 * a request kept waiting for a free connection counts its wait (no coordinated omission).
 */
export async function steadyLoad(options: {
  baseUrl: string;
  rate: number;
  seconds: number;
  connections: number;
  request: (n: number) => LoadRequest;
}): Promise<SteadyLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (n: number, dueAt: number) => {
    const { path, headers, body } = options.request(n);
    const done = new Promise<void>((resolve) => {
      const req = http.request(
        `${options.baseUrl}${path}`,
        {
          method: 'POST',
          agent,
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - dueAt);
            if (!res.statusCode || res.statusCode < 200 || res.statusCode >= 300) non2xx++;
            resolve();
          });
        },
      );
      // A request unanswered for 30 s counts as an error rather than holding the run open.
      req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const intervalMs = 1000 / options.rate;
  const start = performance.now();
  const total = Math.round(options.rate * options.seconds);
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + sent * intervalMs <= now) {
      send(sent, start + sent * intervalMs);
      sent++;
    }
    await sleep(TICK_MS);
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    rate: latencies.length / elapsedS,
    p50: Math.round(q(0.5)),
    p99: Math.round(q(0.99)),
    non2xx,
    errors,
  };
}
