import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientConfig } from './client-config.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * What a waiter that only some notifications concern passes to {@link Wakeups.wait}.
 */
export interface WakeFilter {
  /** True when a notification with this payload concerns the waiter. */
  concerns(payload: string): boolean;
  /**
   * After a notification that does not concern the waiter, it is woken this long (ms) later
   * all the same (unless something wakes it sooner): it still learns, within this bound, that
   * the channel moved on (a log reader then passes over what it does not act on).
   */
  otherwiseAfterMs: number;
}

/** A waiter: how to wake it, and what concerns it (everything without a filter). */
interface Waiter {
  wake: () => void;
  filter?: WakeFilter;
  /** The timer of {@link WakeFilter.otherwiseAfterMs}, once set. */
  later?: NodeJS.Timeout;
}

/** How many of the latest notifications are kept to judge what a waiter missed. */
const RECENT = 64;

/**
 * One `LISTEN` connection on `channel` shared by every waiter in the process. Readers take the
 * `generation` before reading and `wait(generation, ms)` after: a notification that
 * arrived in between is never lost. Polling (the timeout) is the fallback when the
 * connection is down or a notification is missed. A waiter may pass a {@link WakeFilter} to be
 * woken at once only by notifications that concern it.
 */
export class Wakeups {
  private generation = 0;
  private waiters = new Set<Waiter>();
  /**
   * The latest notifications (at most {@link RECENT}), oldest first, by the generation they
   * started; `undefined` for a wake-up of everyone ({@link wakeAll}).
   */
  private readonly recent: Array<{ generation: number; payload: string | undefined }> = [];
  private readonly listeners = new Set<(payload: string) => void>();
  private readonly connectedListeners = new Set<() => void>();
  private client: pg.Client | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly log: Logger,
  ) {}

  /** Connects and listens; reconnects by itself after errors. */
  async start(): Promise<void> {
    while (!this.closed) {
      const client = new pg.Client(clientConfig(this.url));
      try {
        await client.connect();
        client.on('notification', (message) => {
          this.notify(message.payload ?? '');
          for (const listener of this.listeners) listener(message.payload ?? '');
        });
        client.on('error', (error) => {
          this.log.warn({ err: error }, 'LISTEN connection lost; reconnecting');
          this.client = undefined;
          client.end().catch(() => {});
          if (!this.closed) void sleep(500).then(() => this.start());
        });
        await client.query(`LISTEN ${this.channel}`);
        this.client = client;
        this.wakeAll(); // anything committed while we were not listening
        for (const listener of this.connectedListeners) listener();
        return;
      } catch (error) {
        await client.end().catch(() => {});
        this.log.warn({ err: error }, 'LISTEN connection failed; retrying');
        await sleep(1_000);
      }
    }
  }

  /** Calls `listener` with each notification's payload until the returned function is called. */
  onPayload(listener: (payload: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `listener` each time the `LISTEN` connection is (re)established, until the returned
   * function is called: notifications sent while it was down are lost, so a cache kept fresh
   * by payloads must forget what it holds then.
   */
  onConnected(listener: () => void): () => void {
    this.connectedListeners.add(listener);
    return () => this.connectedListeners.delete(listener);
  }

  /** Current generation; pass it to {@link wait}. */
  current(): number {
    return this.generation;
  }

  /** Wakes every waiter (also used by in-process appenders and on stop). */
  wakeAll(): void {
    this.notify(undefined);
  }

  /** Counts a notification (`undefined`: one for everyone) and wakes whom it concerns. */
  private notify(payload: string | undefined): void {
    this.generation++;
    this.recent.push({ generation: this.generation, payload });
    if (this.recent.length > RECENT) this.recent.shift();
    for (const waiter of this.waiters) {
      if (payload === undefined || !waiter.filter || waiter.filter.concerns(payload)) {
        waiter.wake();
        this.waiters.delete(waiter);
      } else {
        waiter.later ??= setTimeout(waiter.wake, waiter.filter.otherwiseAfterMs);
      }
    }
  }

  /**
   * What came after `generation` means to a waiter with `filter`: `now` when a notification
   * that concerns it came (or more came than are remembered), `later` when only others came,
   * `nothing` when none came.
   */
  private missed(generation: number, filter: WakeFilter | undefined): 'now' | 'later' | 'nothing' {
    if (this.generation === generation) return 'nothing';
    if (!filter) return 'now';
    const since = this.recent.filter((n) => n.generation > generation);
    if (since.length < this.generation - generation) return 'now';
    return since.some((n) => n.payload === undefined || filter.concerns(n.payload))
      ? 'now'
      : 'later';
  }

  /**
   * Resolves at the next notification after `generation`, or after `timeoutMs`. With
   * `filter`, only a notification that concerns the waiter (or a wake-up of everyone) resolves
   * it at once; after any other, it resolves `filter.otherwiseAfterMs` later at the latest.
   */
  async wait(generation: number, timeoutMs: number, filter?: WakeFilter): Promise<void> {
    if (this.closed) return;
    const missed = this.missed(generation, filter);
    if (missed === 'now') return;
    let resolveWait!: () => void;
    const woken = new Promise<void>((resolve) => (resolveWait = resolve));
    const waiter: Waiter = { wake: resolveWait, ...(filter && { filter }) };
    if (missed === 'later') waiter.later = setTimeout(resolveWait, filter!.otherwiseAfterMs);
    this.waiters.add(waiter);
    const timer = setTimeout(resolveWait, timeoutMs);
    await woken;
    clearTimeout(timer);
    clearTimeout(waiter.later);
    this.waiters.delete(waiter);
  }

  /** Stops listening and releases every waiter. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    await this.client?.end().catch(() => {});
  }
}
