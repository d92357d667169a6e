import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { voiceUrls } from '../../src/api/voice-urls.ts';
import { inquiryConsent } from '../../src/commands/inquiry-consent.ts';
import { decideIncomingCall } from '../../src/commands/receive-call.ts';
import { decideInboundSms } from '../../src/commands/receive-sms.ts';
import { registerTenant } from '../../src/commands/register-tenant.ts';
import type { LeadlineEvent, RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import { newEvent } from '../../src/events/new-event.ts';
import { leadStreamId } from '../../src/events/streams.ts';
import { allConsumers } from '../../src/runtime/consumers.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import type { E164 } from '../../src/shared/phone.ts';
import type { Tenant } from '../../src/tenants/tenant.ts';
import { createTestDatabase } from '../support/database.ts';
import { logBackends, type OpenedLog } from '../support/log-backends.ts';
import { readModels } from '../support/read-models.ts';

const brokers = inject('kafkaBrokers');
if (!brokers)
  console.log(`[kafka] schema evolution on Kafka skipped: ${inject('kafkaSkipReason')}`);

const T0 = Date.parse('2026-06-01T14:00:00Z');
const at = (seconds: number) => fixedClock(new Date(T0 + seconds * 1000));
const CALLER = '+16475550142' as E164;
const media = (n: number, contentType: string) => ({
  url: `https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM${n}/Media/ME${n}`,
  contentType,
});

const backends = logBackends(brokers, 'se');

/**
 * One lead's conversation, as the commands record it today (SmsInbound version 2), in the
 * batches they append: a missed call, a text with two photos (grouped alert), an emergency
 * with a photo (alert at once), STOP, START, and a plain text.
 */
function conversation(tenant: Tenant): LeadlineEvent[][] {
  const stream = leadStreamId(tenant.tenantId, CALLER);
  const callSid = 'CA' + 'e'.repeat(32);
  const call = { callSid, from: CALLER, to: tenant.twilioNumber, callStatus: 'ringing' };
  const decision = decideIncomingCall(
    tenant,
    call,
    new Date(T0),
    voiceUrls('https://leads.example.com', tenant.tenantId, callSid, CALLER),
  );
  const received = newEvent(
    {
      type: 'CallReceived',
      streamId: stream,
      tenantId: tenant.tenantId,
      data: decision.data,
      idempotencyKey: callSid,
      correlationId: callSid,
    },
    at(0),
  );
  const missed = newEvent(
    {
      type: 'DialMissed',
      streamId: stream,
      tenantId: tenant.tenantId,
      data: {
        callSid,
        dialCallSid: null,
        dialCallStatus: 'no-answer',
        reason: 'not-answered',
        dialCallDurationSeconds: 0,
        leg: 'owner',
      },
      idempotencyKey: callSid,
      correlationId: callSid,
    },
    at(20),
  );
  const sms = (
    messageSid: string,
    body: string,
    attachments: Array<{ url: string; contentType: string }>,
    seconds: number,
    optedOut = false,
  ) =>
    decideInboundSms(
      tenant,
      {
        messageSid,
        from: CALLER,
        to: tenant.twilioNumber,
        body,
        media: attachments,
        optOutType: null,
      },
      { clock: at(seconds) },
      optedOut,
    );
  return [
    [received, inquiryConsent(tenant, received, { callSid }, { clock: at(0) })],
    [missed],
    sms(
      'MM' + '1'.repeat(32),
      'Kitchen sink is backed up, photos attached',
      [media(1, 'image/jpeg'), media(2, 'image/png')],
      60,
    ),
    sms('MM' + '2'.repeat(32), 'Now a pipe burst, water everywhere!', [media(3, 'image/jpeg')], 75),
    sms('SM' + '3'.repeat(32), 'STOP', [], 120),
    sms('SM' + '4'.repeat(32), 'START', [], 180, true),
    sms('SM' + '5'.repeat(32), 'Can you come Tuesday?', [], 240),
  ];
}

/** `event` as Leadline recorded `SmsInbound` before version 2: `numMedia` and `mediaUrls`. */
function asVersion1(event: LeadlineEvent): LeadlineEvent {
  if (event.type !== 'SmsInbound') return event;
  const { media: attachments, ...rest } = event.data;
  return {
    ...event,
    schemaVersion: 1,
    data: { ...rest, numMedia: attachments.length, mediaUrls: attachments.map((m) => m.url) },
  } as unknown as LeadlineEvent;
}

/**
 * A fresh database and log; the tenant registered; the conversation appended (with
 * `SmsInbound` as `version`) while a `follow` watches; every consumer run until caught up.
 */
async function build(
  open: (url: string) => Promise<OpenedLog>,
  version: 1 | 2,
): Promise<{
  models: Record<string, unknown[]>;
  followed: RecordedLeadlineEvent[];
  read: RecordedLeadlineEvent[];
  stored: Array<{ schema_version: number; data: Record<string, unknown> }> | undefined;
}> {
  const url = await createTestDatabase();
  const opened = await open(url);
  try {
    const { tenant } = await registerTenant(
      {
        name: 'Evolving Plumbing',
        twilioNumber: '+14165550170',
        ownerPhone: '+14165550179',
        timezone: 'America/Toronto',
        businessHours: '00:00-24:00',
      },
      { log: opened.log, db: opened.pool, clock: at(-60) },
    );
    const followed: RecordedLeadlineEvent[] = [];
    const stopFollowing = new AbortController();
    let ready!: () => void;
    const following = new Promise<void>((resolve) => (ready = resolve));
    const follow = opened.log.follow!(
      { types: ['SmsInbound'], tenantId: tenant.tenantId, onReady: ready },
      (event) => void followed.push(event),
      stopFollowing.signal,
    );
    await following;

    const subscriptions = allConsumers.map((consumer) => opened.log.subscribe(consumer));
    for (const batch of conversation(tenant)) {
      await opened.log.append(version === 1 ? batch.map(asVersion1) : batch);
    }
    for (const s of subscriptions) await s.whenCaughtUp(60_000);
    for (const s of subscriptions) await s.stop();
    const deadline = Date.now() + 30_000;
    while (followed.length < 5 && Date.now() < deadline) await sleep(50);
    stopFollowing.abort();
    await follow;

    const stored =
      opened.positionPrefix === undefined
        ? (
            await opened.pool.query<{ schema_version: number; data: Record<string, unknown> }>(
              "SELECT schema_version, data FROM events WHERE type = 'SmsInbound' ORDER BY position",
            )
          ).rows
        : undefined;
    return {
      models: await readModels(opened),
      followed,
      read: await opened.log.read(leadStreamId(tenant.tenantId, CALLER)),
      stored,
    };
  } finally {
    await opened.close();
  }
}

describe.each(backends)('event schema evolution on the $backend log', ({ open }) => {
  it('a log holding SmsInbound version 1 replays into the same read models as one holding version 2', async () => {
    const v2 = await build(open, 2);
    const v1 = await build(open, 1);

    // The logs differ: one holds version 1 as it was written (on PostgreSQL, as rows).
    if (v1.stored && v2.stored) {
      expect(v1.stored.map((r) => r.schema_version)).toEqual([1, 1, 1, 1, 1]);
      expect(v1.stored[0]!.data).toMatchObject({
        numMedia: 2,
        mediaUrls: [media(1, '').url, media(2, '').url],
      });
      expect(v1.stored[0]!.data).not.toHaveProperty('media');
      expect(v2.stored.map((r) => r.schema_version)).toEqual([2, 2, 2, 2, 2]);
    }

    // Every reader sees version 2: subscriptions (below), read, and follow.
    for (const events of [v1.read.filter((e) => e.type === 'SmsInbound'), v1.followed]) {
      expect(events).toHaveLength(5);
      for (const e of events) {
        expect(e.schemaVersion).toBe(2);
        expect(e.data).not.toHaveProperty('numMedia');
      }
      expect(events[0]!.data).toMatchObject({
        media: [
          { url: media(1, '').url, contentType: null },
          { url: media(2, '').url, contentType: null },
        ],
      });
    }
    expect(v2.followed[0]!.data).toMatchObject({
      media: [media(1, 'image/jpeg'), media(2, 'image/png')],
    });

    // The same read models, row for row.
    expect(v1.models).toEqual(v2.models);
    // … and they hold the conversation, photos counted in the owner's alerts.
    const m = v2.models;
    expect(
      m.dashboard_messages!.filter((r) => (r as { direction: string }).direction === 'inbound'),
    ).toHaveLength(5);
    expect(m.consent_records!.length).toBeGreaterThanOrEqual(4);
    expect(m.dashboard_leads).toEqual([
      expect.objectContaining({ phone: CALLER, opted_out: false }),
    ]);
    const alerts = (
      m.outbound_messages as Array<{ purpose: string; audience: string; body: string }>
    )
      .filter((r) => r.audience === 'owner')
      .map((r) => r.body);
    expect(alerts).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^EMERGENCY: 2 texts from .*water everywhere!" \(\+3 photos\) Reply to text them \(#\d{4}\)\.$/,
        ),
      ]),
    );
  });
});
