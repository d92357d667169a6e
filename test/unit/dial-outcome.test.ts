import { describe, expect, it } from 'vitest';
import { interpretDial, type DialResult } from '../../src/commands/receive-dial-result.ts';
import type { E164 } from '../../src/shared/phone.ts';
import type { Tenant } from '../../src/tenants/tenant.ts';
import { testTenant } from '../support/tenant-fixture.ts';

const tenant = (voicemailThresholdSeconds: number): Tenant =>
  testTenant({ businessHours: { start: '00:00', end: '24:00' }, voicemailThresholdSeconds });
const dial = (
  dialCallStatus: DialResult['dialCallStatus'],
  seconds: number | null,
): DialResult => ({
  callSid: 'CA1',
  from: '+16475550123' as E164,
  dialCallStatus,
  dialCallSid: 'CA2',
  dialCallDurationSeconds: seconds,
});

describe('what a <Dial> outcome means', () => {
  it.each(['busy', 'no-answer', 'failed', 'canceled'] as const)('%s is missed', (status) => {
    expect(interpretDial(dial(status, 0), tenant(10))).toEqual({
      answered: false,
      reason: 'not-answered',
    });
  });

  it('completed after a real conversation is answered', () => {
    expect(interpretDial(dial('completed', 95), tenant(10))).toEqual({ answered: true });
    expect(interpretDial(dial('answered', 10), tenant(10))).toEqual({ answered: true });
  });

  it("completed in fewer seconds than the threshold is the owner's voicemail: missed", () => {
    expect(interpretDial(dial('completed', 6), tenant(10))).toEqual({
      answered: false,
      reason: 'likely-voicemail',
    });
  });

  it('a threshold of 0 turns the rule off; an unknown duration is answered', () => {
    expect(interpretDial(dial('completed', 2), tenant(0))).toEqual({ answered: true });
    expect(interpretDial(dial('completed', null), tenant(10))).toEqual({ answered: true });
  });

  it('with call screening only a key press is answered, however long the leg lasted', () => {
    const screened = (status: DialResult['dialCallStatus'], screenedIn: boolean) => ({
      ...dial(status, 45),
      screenedIn,
    });
    expect(interpretDial(screened('completed', true), tenant(10))).toEqual({ answered: true });
    expect(interpretDial(screened('completed', false), tenant(10))).toEqual({
      answered: false,
      reason: 'not-screened-in',
    });
    expect(
      interpretDial({ ...screened('completed', true), dialCallDurationSeconds: 3 }, tenant(10)),
    ).toEqual({
      answered: true,
    });
    expect(interpretDial(screened('no-answer', false), tenant(10))).toEqual({
      answered: false,
      reason: 'not-answered',
    });
  });
});
