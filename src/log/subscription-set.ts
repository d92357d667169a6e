import type { Subscription } from './event-log.ts';

/**
 * The subscriptions an adapter has handed out, so `close()` can stop every one. Each handed-out
 * subscription removes itself when stopped.
 */
export class SubscriptionSet {
  private readonly live = new Set<Subscription>();

  /** Tracks `subscription` and returns the handle to give the caller. */
  track(subscription: Subscription): Subscription {
    this.live.add(subscription);
    return {
      whenCaughtUp: (timeoutMs) => subscription.whenCaughtUp(timeoutMs),
      stop: async () => {
        this.live.delete(subscription);
        await subscription.stop();
      },
    };
  }

  /** Stops every tracked subscription (each after the batch in hand). */
  async stopAll(): Promise<void> {
    const all = [...this.live];
    this.live.clear();
    await Promise.all(all.map((s) => s.stop()));
  }
}
