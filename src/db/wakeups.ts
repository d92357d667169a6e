import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientConfig } from './client-config.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * One `LISTEN` connection on `channel` shared by every waiter in the process. Readers take the
 * `generation` before reading and `wait(generation, ms)` after: a notification that
 * arrived in between is never lost. Polling (the timeout) is the fallback when the
 * connection is down or a notification is missed.
 */
export class Wakeups {
  private generation = 0;
  private waiters = new Set<() => void>();
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
          this.wakeAll();
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
    this.generation++;
    for (const resolve of this.waiters) resolve();
    this.waiters.clear();
  }

  /** Resolves at the next notification after `generation`, or after `timeoutMs`. */
  async wait(generation: number, timeoutMs: number): Promise<void> {
    if (this.generation !== generation || this.closed) return;
    let resolveWait!: () => void;
    const woken = new Promise<void>((resolve) => (resolveWait = resolve));
    this.waiters.add(resolveWait);
    const timer = setTimeout(resolveWait, timeoutMs);
    await woken;
    clearTimeout(timer);
    this.waiters.delete(resolveWait);
  }

  /** Stops listening and releases every waiter. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    await this.client?.end().catch(() => {});
  }
}
