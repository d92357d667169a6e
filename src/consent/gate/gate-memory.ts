import type pg from 'pg';
import { readYourWrites, type DatabaseReach } from '../../db/reach.ts';
import type { Wakeups } from '../../db/wakeups.ts';
import type { Clock } from '../../shared/clock.ts';
import { isOptedOut } from './gate.ts';
import { gateKey } from './gate-channel.ts';

/** Answers "has this number opted out?" for the webhook path. */
export interface ConsentGateReader {
  /**
   * True when the gate holds an opt-out for this tenant and number (E.164). False when it
   * holds none, and while PostgreSQL is unreachable with nothing remembered.
   */
  isOptedOut(tenantId: string, phone: string): Promise<boolean>;
  /** Forgets what is remembered of these rows (this process just changed them). */
  forget(rows: ReadonlyArray<{ tenantId: string; phone: string }>): void;
}

/** Options of {@link ConsentGateMemory}. */
export interface ConsentGateMemoryOptions {
  db: pg.Pool;
  /** The webhook path's policy while PostgreSQL is unreachable. */
  reach?: DatabaseReach;
  clock: Clock;
  /** Rows remembered at most (least recently used go first). Default 100,000 (about 15 MB). */
  maxEntries?: number;
  /** How long (ms) an answer is trusted without a notification. Default 60,000. */
  ttlMs?: number;
}

/**
 * The consent gate's answers for the webhook path, from memory: each number read once from
 * `consent_gate` and then remembered, so a conversation's texts and calls cost no database
 * round trip before Twilio is answered (issue 14: "serve the consent gate from memory kept
 * fresh by the projections' notifications").
 *
 * Freshness: every writer of `consent_gate` NOTIFYs `leadline_consent_gate` (`gate-channel.ts`) with the row
 * on commit, and a process that changes a row forgets it at once ({@link forget}); everything
 * is forgotten when the LISTEN connection comes back (notifications sent meanwhile are lost),
 * and no answer is trusted longer than `ttlMs`. What a stale answer could cost is bounded by
 * what the webhook path does with it: it decides whether an ordinary text or call also
 * records implied consent, and an implied grant never undoes an opt-out (`consent-at.ts`,
 * CASL s.11, CTIA: only an express opt-in re-subscribes). Whether a text may go is decided by
 * the sender from the database, in its own transaction, never from here.
 *
 * Bounded: at most `maxEntries` rows, least recently used forgotten first. A failed read is
 * not remembered.
 */
export class ConsentGateMemory implements ConsentGateReader {
  private readonly entries = new Map<string, { optedOut: boolean; readAt: number }>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private unfollow: Array<() => void> = [];
  /** Bumped by every forgetting: a read that overlapped one is not remembered. */
  private forgettings = 0;

  constructor(private readonly options: ConsentGateMemoryOptions) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.ttlMs = options.ttlMs ?? 60_000;
  }

  /** Keeps memory fresh from `changes` (a LISTEN on `leadline_consent_gate` (`gate-channel.ts`)) until {@link stop}. */
  follow(changes: Wakeups): void {
    this.unfollow.push(
      changes.onPayload((payload) => {
        this.forgettings++;
        this.entries.delete(payload);
      }),
      changes.onConnected(() => {
        this.forgettings++;
        this.entries.clear();
      }),
    );
  }

  /** Stops following changes. */
  stop(): void {
    for (const unfollow of this.unfollow) unfollow();
    this.unfollow = [];
  }

  /** Rows remembered now (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  async isOptedOut(tenantId: string, phone: string): Promise<boolean> {
    const key = gateKey(tenantId, phone);
    const now = this.options.clock.now().getTime();
    const known = this.entries.get(key);
    if (known && now - known.readAt < this.ttlMs) {
      // Most recently used last: re-insert.
      this.entries.delete(key);
      this.entries.set(key, known);
      return known.optedOut;
    }
    this.entries.delete(key);
    const forgettings = this.forgettings;
    const optedOut = await readYourWrites<boolean | null>(
      this.options.reach,
      'consent gate',
      () => isOptedOut(this.options.db, tenantId, phone),
      () => null,
    );
    if (optedOut === null) return false; // unreachable: nothing to remember
    // A change announced while reading may postdate what was read: answer, do not remember.
    if (forgettings !== this.forgettings) return optedOut;
    this.entries.set(key, { optedOut, readAt: now });
    if (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
    return optedOut;
  }

  forget(rows: ReadonlyArray<{ tenantId: string; phone: string }>): void {
    this.forgettings++;
    for (const row of rows) this.entries.delete(gateKey(row.tenantId, row.phone));
  }
}
