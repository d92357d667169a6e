import { normalizeIP } from '@fastify/rate-limit';
import { TooManyRequestsError } from '../shared/errors.ts';
import type { AuthFailureOutcome } from '../telemetry/metrics.ts';

/** How many failed API keys one client address may present, and in what window. */
export interface AuthFailureLimits {
  /** Failed keys per window (`LEADLINE_AUTH_FAILURE_LIMIT`); the next attempt is refused. */
  limit: number;
  /** Window length in ms, from the address's first failure (`LEADLINE_AUTH_FAILURE_WINDOW_MS`). */
  windowMs: number;
}

/** Options of {@link AuthFailureLimiter}. */
export interface AuthFailureLimiterOptions {
  /** Addresses tracked at most; beyond it the least recently failed idle ones are dropped. Default 10,000. */
  maxAddresses?: number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Told of every failed key (`rejected`) and every refused attempt (`limited`): the metric. */
  onOutcome?: (outcome: AuthFailureOutcome) => void;
}

/** One address's window: failures counted, attempts being checked, attempts waiting. */
interface Entry {
  windowStart: number;
  failures: number;
  pending: number;
  waiters: Array<() => void>;
}

/**
 * Limits how fast API keys can be guessed (issue 12): per client address, at most `limit`
 * failed keys per window; once there, every further attempt from that address is refused
 * with 429 and `Retry-After` (the end of the window) **without its key being checked**,
 * until the window that began with its first failure ends. Only presented keys that turn out
 * wrong count; a correct key never does.
 *
 * Design decisions:
 * - A limited address gets 429 for a correct key too. If a correct key still passed, the
 *   answer (200 against 429) would tell a guesser when it had found one, and guessing would
 *   go on at full speed: the limiter would limit nothing. The price: a client sharing an
 *   address with a guesser (same NAT) is refused until the window ends. Other addresses are
 *   never affected. (Twilio's webhooks are signed, not keyed, and never pass here.)
 * - Concurrent attempts are reserved before their key is checked: an address may have at
 *   most `limit - failures` keys being checked at once, and further attempts wait for those
 *   to finish, so a burst of 1,000 parallel guesses gets exactly `limit` answers, while
 *   parallel requests with correct keys only wait (briefly) and are never refused.
 * - Addresses are normalised as `@fastify/rate-limit` does (`normalizeIP`: IPv4-mapped IPv6
 *   as IPv4, IPv6 by /64 prefix, since one host usually holds a whole /64).
 * - In memory, per process, bounded to `maxAddresses` entries (an entry lives only while its
 *   address has failures in the window or attempts in flight). `@fastify/rate-limit`'s own
 *   store can count or read, but cannot reserve an attempt and give it back, which the
 *   concurrency rule needs; hence this small limiter.
 */
export class AuthFailureLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAddresses: number;
  private readonly now: () => number;
  private readonly onOutcome: (outcome: AuthFailureOutcome) => void;

  constructor(
    private readonly limits: AuthFailureLimits,
    options: AuthFailureLimiterOptions = {},
  ) {
    this.maxAddresses = options.maxAddresses ?? 10_000;
    this.now = options.now ?? Date.now;
    this.onOutcome = options.onOutcome ?? (() => {});
  }

  /** Addresses currently tracked (for tests of the bound). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Checks one presented key from `address` (a request's `ip`): `verify` resolves to who the
   * key belongs to, or undefined for a wrong key (which counts as a failure). A `verify` that
   * throws (the database is down) counts as nothing.
   * @returns what `verify` returned.
   * @throws TooManyRequestsError (429, `TOO_MANY_AUTH_FAILURES`, with `retryAfterSeconds`)
   *   when the address has used up its failures for the window; `verify` is not called.
   */
  async attempt<T>(address: string, verify: () => Promise<T | undefined>): Promise<T | undefined> {
    const key = normalizeIP(address);
    const entry = await this.admit(key);
    let failed = false;
    try {
      const result = await verify();
      failed = result === undefined;
      return result;
    } finally {
      this.settle(key, entry, failed);
    }
  }

  /** Reserves an attempt for `key`, waiting while too many are in flight; refuses when limited. */
  private async admit(key: string): Promise<Entry> {
    for (;;) {
      const entry = this.entryOf(key);
      if (entry.failures >= this.limits.limit) {
        this.onOutcome('limited');
        const left = entry.windowStart + this.limits.windowMs - this.now();
        throw new TooManyRequestsError(
          'Too many failed API keys from this address; retry later.',
          Math.max(1, Math.ceil(left / 1000)),
        );
      }
      if (entry.failures + entry.pending < this.limits.limit) {
        entry.pending++;
        return entry;
      }
      await new Promise<void>((resolve) => entry.waiters.push(resolve));
    }
  }

  /** Ends an attempt: counts a failure, wakes waiting attempts, forgets an address at rest. */
  private settle(key: string, entry: Entry, failed: boolean): void {
    entry.pending--;
    if (failed) {
      if (entry.failures === 0) entry.windowStart = this.now();
      entry.failures++;
      this.onOutcome('rejected');
      // Most recently failed last: the bound drops the oldest first.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    for (const wake of entry.waiters.splice(0)) wake();
    if (idle(entry) && entry.failures === 0 && this.entries.get(key) === entry) {
      this.entries.delete(key);
    }
  }

  /** The entry of `key`, its window restarted when over; a new one within the bound. */
  private entryOf(key: string): Entry {
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry) {
      if (entry.failures > 0 && now >= entry.windowStart + this.limits.windowMs) {
        entry.failures = 0;
      }
      return entry;
    }
    const fresh: Entry = { windowStart: now, failures: 0, pending: 0, waiters: [] };
    this.entries.set(key, fresh);
    if (this.entries.size > this.maxAddresses) {
      for (const [other, e] of this.entries) {
        if (this.entries.size <= this.maxAddresses) break;
        if (other !== key && idle(e)) this.entries.delete(other);
      }
    }
    return fresh;
  }
}

/** No attempt of the address is being checked or waiting. */
const idle = (entry: Entry) => entry.pending === 0 && entry.waiters.length === 0;
