import type pg from 'pg';

/** Session settings for every connection: a forgotten open transaction must not stall log readers (design §3). */
export const SESSION_OPTIONS = '-c idle_in_transaction_session_timeout=60000';

/** node-postgres settings for a connection to `url`. */
export function clientConfig(url: string): pg.ClientConfig {
  return { connectionString: url, options: SESSION_OPTIONS, application_name: 'leadline' };
}
