import { describe, expect, it } from 'vitest';
import type { RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import { newEvent } from '../../src/events/new-event.ts';
import { describeEvent, maskEvent } from '../../src/cli/describe-event.ts';
import { parseEventTypes, tailLine } from '../../src/cli/events-tail.ts';
import { fixedClock } from '../../src/shared/clock.ts';

const TENANT = '1c6a3d51-2f61-5b40-9e3c-65fd13a2f4b0';
const recorded = (event: ReturnType<typeof newEvent>, position = '42') =>
  ({ ...event, position }) as RecordedLeadlineEvent;
const clock = fixedClock('2026-06-01T14:00:00Z');

const text = recorded(
  newEvent(
    {
      type: 'SmsInbound',
      streamId: `lead:${TENANT}:+16475550123`,
      tenantId: TENANT,
      idempotencyKey: 'MM1',
      data: {
        messageSid: 'MM1',
        from: '+16475550123',
        to: '+14165550100',
        body: 'I live at 12 Elm St, call 416 555 0199',
        media: [{ url: 'https://api.twilio.com/x/Media/ME1', contentType: 'image/jpeg' }],
        keyword: null,
        optOutType: null,
        autoReply: false,
        urgency: 'STANDARD',
      },
    },
    clock,
  ),
);

describe('events as operators see them (events show / events tail)', () => {
  it('masks phone numbers and redacts bodies and media URLs, leaving ids, types and times', () => {
    const masked = maskEvent(text);
    expect(masked.streamId).toBe(`lead:${TENANT}:+1********23`);
    expect(masked.data).toMatchObject({
      messageSid: 'MM1',
      from: '+1********23',
      to: '+1********00',
      body: '[redacted]',
      media: [{ url: '[redacted]', contentType: 'image/jpeg' }],
    });
    const line = tailLine(text, {});
    expect(line).not.toContain('6475550123');
    expect(line).not.toContain('Elm St');
    expect(line.split('\t')).toEqual([
      '42',
      '2026-06-01T14:00:00.000Z',
      'SmsInbound',
      expect.stringContaining('messageSid=MM1 from=+1********23'),
      `lead:${TENANT}:+1********23`,
    ]);
    // Unmasked, the line is `events show`'s, plus the stream.
    expect(tailLine(text, { unmasked: true })).toBe(
      `${describeEvent(text)}\tlead:${TENANT}:+16475550123`,
    );
    expect(JSON.parse(tailLine(text, { json: true }))).toMatchObject({
      id: text.id,
      data: { body: '[redacted]' },
    });
  });

  it('masks numbers quoted in error messages, and consent texts', () => {
    const failed = maskEvent(
      recorded(
        newEvent(
          {
            type: 'OutboundSmsFailed',
            streamId: `lead:${TENANT}:+16475550123`,
            tenantId: TENANT,
            idempotencyKey: 'o1',
            data: {
              outboxId: 'o1',
              dedupeKey: 'k',
              purpose: 'acknowledgement',
              audience: 'lead',
              to: '+16475550123',
              from: '+14165550100',
              body: 'Thanks',
              errorCode: '21211',
              errorMessage: "The 'To' number +16475550123 is not a valid phone number.",
              attempts: 1,
            },
          },
          clock,
        ),
      ),
    );
    expect(failed.data).toMatchObject({
      errorMessage: "The 'To' number +1********23 is not a valid phone number.",
      errorCode: '21211',
    });
  });

  it('masks staff phones, relayed replies and staff streams', () => {
    const staffText = maskEvent(
      recorded(
        newEvent(
          {
            type: 'StaffTextUnrouted',
            streamId: `staff:${TENANT}:+14165550177`,
            tenantId: TENANT,
            idempotencyKey: 'SMs',
            data: { messageSid: 'SMs', from: '+14165550177', reason: 'unknown-code', code: '4821' },
          },
          clock,
        ),
      ),
    );
    expect(staffText.streamId).toBe(`staff:${TENANT}:+1********77`);
    const configured = maskEvent(
      recorded(
        newEvent(
          {
            type: 'TenantConfigured',
            streamId: `tenant:${TENANT}`,
            tenantId: TENANT,
            idempotencyKey: 'c1',
            data: { tenantId: TENANT, changes: { staffPhones: ['+14165550177'] } },
          },
          clock,
        ),
      ),
    );
    expect(JSON.stringify(configured.data)).not.toContain('4165550177');
    const reply = maskEvent(
      recorded(
        newEvent(
          {
            type: 'StaffReplied',
            streamId: `lead:${TENANT}:+16475550123`,
            tenantId: TENANT,
            idempotencyKey: 'SMr',
            data: {
              replyId: 'SMr',
              channel: 'relay',
              author: '+14165550177',
              authorPhone: '+14165550177',
              body: 'Door code is 1234',
            },
          },
          clock,
        ),
      ),
    );
    expect(JSON.stringify(reply)).not.toMatch(/4165550177|6475550123|Door code/);
  });

  it("redacts where a qualified lead lives and who they are, keeping the job's category, postal code and urgency", () => {
    const qualified = recorded(
      newEvent(
        {
          type: 'LeadQualified',
          streamId: `lead:${TENANT}:+16475550123`,
          tenantId: TENANT,
          idempotencyKey: 'MM1',
          data: {
            requestId: 'MM1',
            category: 'leak',
            jobSummary: 'Burst pipe',
            address: '12 Elm St',
            postalCode: 'M4E 2V1',
            urgency: 'emergency',
            preferredWindows: ['today'],
            name: 'Sarah Chen',
            confidence: 1,
            missing: [],
            outsideArea: false,
          },
        },
        clock,
      ),
    );
    const shown = JSON.stringify(maskEvent(qualified));
    for (const secret of ['12 Elm St', 'Sarah', 'Burst pipe', 'today', '0123']) {
      expect(shown).not.toContain(secret);
    }
    expect(maskEvent(qualified).data).toMatchObject({
      category: 'leak',
      postalCode: 'M4E 2V1',
      urgency: 'emergency',
      name: '[redacted]',
    });
  });

  it('--type takes catalogue names, comma-separated, and refuses others by name', () => {
    expect(parseEventTypes('SmsInbound, DialMissed,SmsInbound')).toEqual([
      'SmsInbound',
      'DialMissed',
    ]);
    expect(() => parseEventTypes('SmsInbound,Sms')).toThrow(
      /unknown event type "Sms"; known types: TenantRegistered/,
    );
    expect(() => parseEventTypes(' , ')).toThrow('--type needs at least one event type');
  });
});
