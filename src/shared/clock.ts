/**
 * The source of "now" for every decision. Injected everywhere so that rules about
 * business hours, leases and expiry can be tested at any instant.
 */
export interface Clock {
  /** The current instant (UTC). */
  now(): Date;
}

/** The wall clock of the machine. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock fixed at `instant`, for tests; `advance(ms)` moves it forward. */
export function fixedClock(instant: Date | string): Clock & { advance(ms: number): void } {
  let current = new Date(instant);
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current = new Date(current.getTime() + ms);
    },
  };
}
