import type pg from 'pg';

/** Session settings for every connection: a forgotten open transaction must not stall log readers (design §3). */
export const SESSION_OPTIONS = '-c idle_in_transaction_session_timeout=60000';

/**
 * node-postgres settings for a connection to `url`. TCP keepalive (first probe after 10 s
 * idle, then the kernel's probes: on Linux 9, 75 s apart) ends a connection to a server that
 * vanished without closing it (a network partition, a host gone) in minutes rather than
 * never, so its owner reconnects; the webhook path does not wait for that (`db/reach.ts`).
 */
export function clientConfig(url: string): pg.ClientConfig {
  return {
    connectionString: url,
    options: SESSION_OPTIONS,
    application_name: 'leadline',
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}
