import { describe, expect, it } from 'vitest';
import { smsParams } from '../../src/api/twilio-params.ts';
import { MAX_PARAMETER_CHARS, sanitizeParams, sanitizeText } from '../../src/api/webhook-text.ts';
import { leadCallerId } from '../../src/rules/caller-id.ts';

describe('only a real E.164 caller is a lead (Twilio sends PSTN callers in E.164)', () => {
  it.each([
    ['+14165550123', '+14165550123'],
    ['+15555550100', '+15555550100'], // NANP 555 test numbers stay usable
    ['+447700900123', '+447700900123'],
  ])('%s is a lead', (from, lead) => {
    expect(leadCallerId(from)).toBe(lead);
  });

  it.each([
    ['Anonymous', 'a withheld number'],
    ['+266696687', 'ANONYMOUS on a keypad'],
    ['+86282452253', 'UNAVAILABLE'],
    ['+7378742833', 'RESTRICTED'],
    ['+2562533', 'BLOCKED'],
    ['+8656696', 'UNKNOWN'],
    ['sip:+14165550000@example.com', 'a SIP identity'],
    ['client:alice', 'a Twilio Client identity'],
    ['4165550123', 'not in E.164'],
    ['12345', 'a short code'],
    ['MAPLEPLUMB', 'an alphanumeric sender'],
    ['+1416555012', 'too short for its country'],
    ['+14165550123\u0000', 'a NUL after the number'],
    ['', 'empty'],
  ])('%s is not (%s)', (from) => {
    expect(leadCallerId(from)).toBeUndefined();
  });
});

describe('webhook values are made safe to store, after the signature check', () => {
  it('NUL and lone surrogates become U+FFFD; other text is kept as sent', () => {
    expect(sanitizeText('a\u0000b')).toBe('a\uFFFDb');
    expect(sanitizeText('x\uD800y')).toBe('x\uFFFDy');
    expect(sanitizeText('Café 🚰 ok\r\n')).toBe('Café 🚰 ok\r\n');
  });

  it('values longer than Twilio ever sends are cut', () => {
    expect(sanitizeText('x'.repeat(50_000))).toHaveLength(MAX_PARAMETER_CHARS);
  });

  it('duplicated keys (arrays) are sanitised too, and the result has no prototype to pollute', () => {
    const clean = sanitizeParams({ Body: ['a\u0000', 'b'], __proto__: 'x' } as unknown);
    expect(clean.Body).toEqual(['a\uFFFD', 'b']);
    expect(Object.getPrototypeOf(clean)).toBeNull();
  });
});

describe('an inbound text is read without trusting its counts', () => {
  const base = { MessageSid: 'SM' + 'a'.repeat(32), From: '+14165550123', To: '+14165550100' };

  it('media come from the MediaUrl keys present below 10, https only, whatever NumMedia says', () => {
    const parsed = smsParams.parse({
      ...base,
      NumMedia: '50000000',
      MediaUrl0: 'https://api.twilio.com/Media/ME0',
      MediaContentType0: 'image/png',
      MediaUrl3: 'http://example.com/not-https.gif',
      MediaUrl9: 'https://api.twilio.com/Media/ME9',
      MediaContentType9: 'x'.repeat(300),
      MediaUrl10: 'https://api.twilio.com/Media/ME10',
    });
    expect(parsed.media).toEqual([
      { url: 'https://api.twilio.com/Media/ME0', contentType: 'image/png' },
      { url: 'https://api.twilio.com/Media/ME9', contentType: null },
    ]);
  });

  it('a duplicated From (an array) is refused, not read', () => {
    expect(smsParams.safeParse({ ...base, From: ['+14165550123', '+14165550124'] }).success).toBe(
      false,
    );
  });
});
