import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { deterministicId } from '../../src/shared/ids.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { maskPhone, maskPhonesIn, toE164 } from '../../src/shared/phone.ts';

describe('logs never carry phone numbers, message bodies or keys', () => {
  it('masks numbers and redacts bodies wherever they appear', () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _e, done) => ((out += chunk), done()) });
    const log = createLogger('info', sink);
    log.info(
      {
        from: '+16475550123',
        sms: { body: 'my address is 12 Elm St', to: '+14165550100' },
        authorization: 'Bearer sekrit',
      },
      'hello',
    );
    expect(out).not.toContain('6475550123');
    expect(out).not.toContain('12 Elm St');
    expect(out).not.toContain('sekrit');
    expect(out).toContain('+1********23');
  });

  it('masks numbers quoted inside messages and errors', () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _e, done) => ((out += chunk), done()) });
    const log = createLogger('info', sink);
    log.warn(
      { err: new Error("The 'To' number +14165550123 is not valid") },
      'From "+16475550123" refused',
    );
    expect(out).not.toContain('4165550123');
    expect(out).not.toContain('6475550123');
  });

  it.each([
    ['Server listening at http://127.0.0.1:3999', 'an IPv4 address and port'],
    ['Server listening at http://[::1]:3999', 'an IPv6 address'],
    ['lead 550e8400-e29b-41d4-a716-446655440000 updated', 'a UUID'],
    ['checkpoint at 2026-11-28T00:15:02.123Z', 'an ISO timestamp'],
    ['replayed 1,234,567 events', 'a count'],
  ])('leaves "%s" alone (%s)', (text) => {
    expect(maskPhonesIn(text)).toBe(text);
  });

  it.each(['call (416) 555-0123 back', 'sent to +1 416 555 0123.', 'From 4165550123 at 09:30'])(
    'masks the number in "%s", keeping its last two digits',
    (text) => {
      const masked = maskPhonesIn(text);
      expect(masked).not.toMatch(/416|555|0123/);
      expect(masked).toMatch(/\*23\b/);
    },
  );

  it('masks keep only the country code and last two digits', () => {
    expect(maskPhone('+16475550123')).toBe('+1********23');
  });
});

describe('phone numbers and ids', () => {
  it('normalises to E.164 and refuses non-numbers by value', () => {
    expect(toE164('(416) 555-0123')).toBe('+14165550123');
    expect(toE164('+44 20 7946 0958')).toBe('+442079460958');
    expect(() => toE164('12')).toThrow('"12" is not a phone number');
  });

  it('derives the same event id from the same fact, different ids from different facts', () => {
    expect(deterministicId('CallReceived', 'CA1')).toBe(deterministicId('CallReceived', 'CA1'));
    expect(deterministicId('CallReceived', 'CA1')).not.toBe(deterministicId('DialMissed', 'CA1'));
    expect(deterministicId('x')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
