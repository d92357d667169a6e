import { describe, expect, it } from 'vitest';
import { voiceUrls } from '../../src/api/voice-urls.ts';
import { decideIncomingCall, type IncomingCall } from '../../src/commands/receive-call.ts';
import type { E164 } from '../../src/shared/phone.ts';
import { testTenant } from '../support/tenant-fixture.ts';

const call: IncomingCall = {
  callSid: 'CA0123456789abcdef',
  from: '+16475550123' as E164,
  to: '+14165550100' as E164,
  callStatus: 'ringing',
};
const urls = voiceUrls('https://leadline.example', 't1', call.callSid, call.from);
const WED_NOON_EDT = new Date('2026-07-15T16:00:00Z');
const WED_NIGHT_EDT = new Date('2026-07-16T03:00:00Z');

describe('how an inbound call is answered', () => {
  it('in business hours: ring the owner 15 s, the Dial action carrying tenant and CallSid', () => {
    const { data, twiml } = decideIncomingCall(testTenant(), call, WED_NOON_EDT, urls);
    expect(data).toMatchObject({ mode: 'business-hours', action: 'ring-owner' });
    expect(twiml).toContain(
      '<Dial timeout="15" action="https://leadline.example/twilio/voice/status?tenantId=t1&amp;callSid=CA0123456789abcdef" method="POST" answerOnBridge="true"><Number>+14165550199</Number></Dial>',
    );
  });

  it('with call screening, the owner hears the whisper first and the Dial action says so', () => {
    const { twiml } = decideIncomingCall(
      testTenant({ callScreening: true }),
      call,
      WED_NOON_EDT,
      urls,
    );
    expect(twiml).toContain('screened=1');
    expect(twiml).toMatch(
      /<Number url="https:\/\/leadline\.example\/twilio\/voice\/screen\?tenantId=t1&amp;callSid=CA0123456789abcdef&amp;caller=%2B16475550123&amp;leg=owner" method="POST">\+14165550199<\/Number>/,
    );
  });

  it('after hours without emergency mode: the spoken notice, then hang up', () => {
    const { data, twiml } = decideIncomingCall(testTenant(), call, WED_NIGHT_EDT, urls);
    expect(data.action).toBe('after-hours-notice');
    expect(twiml).toMatch(/<Say[^>]*>Thanks for calling Maple Plumbing\. We're closed/);
    expect(twiml).toContain('<Hangup/>');
  });

  it('after hours with emergency mode: a one-digit Gather offering "press 1"', () => {
    const tenant = testTenant({ emergencyMode: true, emergencyPhone: '+14165550177' as E164 });
    const { data, twiml } = decideIncomingCall(tenant, call, WED_NIGHT_EDT, urls);
    expect(data).toMatchObject({ mode: 'after-hours', action: 'emergency-menu' });
    expect(twiml).toMatch(
      /<Gather numDigits="1" timeout="8" action="https:\/\/leadline\.example\/twilio\/voice\/emergency\?tenantId=t1&amp;callSid=CA0123456789abcdef" method="POST" actionOnEmptyResult="true"><Say[^>]*>[^<]*press 1/,
    );
  });
});
