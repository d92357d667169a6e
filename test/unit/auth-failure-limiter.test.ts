import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter } from '../../src/auth/auth-failure-limiter.ts';
import { TooManyRequestsError } from '../../src/shared/errors.ts';

/** A limiter on a clock the test moves, and what it told the metric. */
function limiter(limit = 3, windowMs = 60_000, maxAddresses?: number) {
  let now = 1_000_000;
  const outcomes: string[] = [];
  const l = new AuthFailureLimiter(
    { limit, windowMs },
    { now: () => now, onOutcome: (o) => outcomes.push(o), maxAddresses },
  );
  return {
    l,
    outcomes,
    advance: (ms: number) => (now += ms),
    wrong: (address: string) => l.attempt(address, async () => undefined),
    right: (address: string) => l.attempt(address, async () => 'principal'),
  };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof TooManyRequestsError ? error : Promise.reject(error)),
  );

describe('failed API keys per client address', () => {
  it('after `limit` wrong keys every attempt is refused unchecked until the window ends', async () => {
    const { l, outcomes, advance, wrong, right } = limiter(3, 60_000);
    for (let i = 0; i < 3; i++) expect(await wrong('203.0.113.9')).toBeUndefined();
    advance(20_000);
    let checked = false;
    const refused = await refusal(
      l.attempt('203.0.113.9', async () => {
        checked = true;
        return 'principal';
      }),
    );
    expect(refused).toMatchObject({ statusCode: 429, retryAfterSeconds: 40 });
    expect(checked).toBe(false);
    expect(await right('198.51.100.7')).toBe('principal');
    advance(40_000);
    expect(await right('203.0.113.9')).toBe('principal');
    expect(outcomes).toEqual(['rejected', 'rejected', 'rejected', 'limited']);
  });

  it('correct keys never count, and a check that throws counts nothing', async () => {
    const { l, wrong, right } = limiter(2);
    for (let i = 0; i < 50; i++) await right('203.0.113.9');
    await wrong('203.0.113.9');
    await expect(
      l.attempt('203.0.113.9', async () => Promise.reject(new Error('database down'))),
    ).rejects.toThrow('database down');
    expect(await right('203.0.113.9')).toBe('principal');
    await wrong('203.0.113.9');
    expect(await refusal(right('203.0.113.9'))).toBeInstanceOf(TooManyRequestsError);
  });

  it('a burst of parallel guesses gets exactly `limit` answers; parallel correct keys only wait', async () => {
    const { l } = limiter(5);
    const slowWrong = () =>
      l.attempt('203.0.113.9', async () => {
        await sleep(5);
        return undefined;
      });
    const results = await Promise.allSettled(Array.from({ length: 100 }, slowWrong));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(95);

    const slowRight = () =>
      l.attempt('198.51.100.7', async () => {
        await sleep(5);
        return 'principal';
      });
    const rights = await Promise.all(Array.from({ length: 40 }, slowRight));
    expect(rights.every((r) => r === 'principal')).toBe(true);
    expect(l.size).toBe(1);
  });

  it('one IPv6 /64 is one client; IPv4-mapped IPv6 is its IPv4 address', async () => {
    const { wrong, right } = limiter(2);
    await wrong('2001:db8:1:2::1');
    await wrong('2001:db8:1:2:ffff::9');
    expect(await refusal(right('2001:db8:1:2::abcd'))).toBeInstanceOf(TooManyRequestsError);
    expect(await right('2001:db8:1:3::1')).toBe('principal');
    await wrong('::ffff:192.0.2.1');
    await wrong('192.0.2.1');
    expect(await refusal(right('192.0.2.1'))).toBeInstanceOf(TooManyRequestsError);
  });

  it('remembers at most `maxAddresses` addresses, dropping the least recently failed', async () => {
    const { l, wrong, right } = limiter(1, 60_000, 100);
    for (let i = 0; i < 1_000; i++) await wrong(`10.0.${i >> 8}.${i & 255}`);
    expect(l.size).toBe(100);
    expect(await refusal(right('10.0.3.231'))).toBeInstanceOf(TooManyRequestsError);
    expect(await right('10.0.0.0')).toBe('principal');
  });
});
