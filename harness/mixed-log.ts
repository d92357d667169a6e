import type { LeadlineEvent } from '../src/events/catalogue.ts';
import { newEvent, type NewEventInput } from '../src/events/new-event.ts';
import type { EventType } from '../src/events/catalogue.ts';
import { leadStreamId } from '../src/events/streams.ts';
import { systemClock } from '../src/shared/clock.ts';

/** A tenant as the generator needs it. */
export interface MixedLogTenant {
  tenantId: string;
  twilioNumber: string;
  ownerPhone: string;
}

/** Options of {@link mixedLog}. */
export interface MixedLogOptions {
  tenants: readonly MixedLogTenant[];
  /** Distinct callers per tenant (E.164 numbers +1647555NNNN). */
  leadsPerTenant: number;
  /** Stop once at least this many events were produced. */
  events: number;
  /** Seed of the deterministic choices (default 1). */
  seed?: number;
  /** The first event's time (default 2026-06-01T12:00:00Z); each step is about 17 s later. */
  start?: Date;
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same log. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number, width = 32) => n.toString(16).padStart(width, '0');

/**
 * A realistic, deterministic log of lead traffic, as groups of events each appended at once
 * (as a webhook or the sender would): missed calls with their implied consent, the
 * missed-call text and its status callbacks (some overtaking the Sent event), answered and
 * after-hours calls, the emergency menu (escalated, declined, timed out), customer texts
 * (some urgent, some redelivered under a new event id, some auto-replies), owner alerts and
 * their timers, STOP and START with their consent events, texts withheld and failed, and
 * status changes from the dashboard. Times mostly increase, with a few seconds of jitter.
 * Used by the batch-equivalence test and `bench:rebuild`.
 */
export function* mixedLog(options: MixedLogOptions): Generator<LeadlineEvent[]> {
  const rand = random(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  let t = (options.start ?? new Date('2026-06-01T12:00:00Z')).getTime();
  let n = 0;
  let produced = 0;
  while (produced < options.events) {
    n++;
    t += 17_000;
    const tenant = pick(options.tenants);
    const phone = `+1647555${String(Math.floor(rand() * options.leadsPerTenant)).padStart(4, '0')}`;
    const streamId = leadStreamId(tenant.tenantId, phone);
    const at = (seconds: number) => new Date(t + seconds * 1_000 + Math.floor(rand() * 3_000));
    const event = <T extends EventType>(
      type: T,
      data: NewEventInput<T>['data'],
      seconds: number,
      key: string = `${n}`,
      correlationId: string | null = null,
    ): LeadlineEvent =>
      newEvent(
        {
          type,
          streamId,
          tenantId: tenant.tenantId,
          data,
          idempotencyKey: `${options.seed ?? 1}:${key}:${type}`,
          occurredAt: at(seconds),
          correlationId,
        },
        systemClock,
      ) as LeadlineEvent;
    const callSid = `CA${hex(n)}`;
    const callReceived = (
      mode: 'business-hours' | 'after-hours',
      action: 'ring-owner' | 'after-hours-notice' | 'emergency-menu',
    ) =>
      event(
        'CallReceived',
        { callSid, from: phone, to: tenant.twilioNumber, callStatus: 'ringing', mode, action },
        0,
        callSid,
        callSid,
      );
    const outbound = (
      purpose: string,
      audience: 'lead' | 'owner',
      body: string,
      dedupeKey: string,
    ) => ({
      outboxId: `ob-${n}-${purpose}`,
      dedupeKey,
      purpose,
      audience,
      to: audience === 'lead' ? phone : tenant.ownerPhone,
      from: tenant.twilioNumber,
      body,
    });
    const groups: LeadlineEvent[][] = [];
    const roll = rand();
    if (roll < 0.35) {
      // A missed call: text the caller, alert the owner, status callbacks.
      const text = outbound(
        'missed-call-text',
        'lead',
        'Sorry we missed your call! How can we help?',
        `${callSid}:missed-call-text`,
      );
      const alert = outbound(
        'owner-alert',
        'owner',
        `Missed call from ${phone}`,
        `${callSid}:owner-alert`,
      );
      const sid = `SM${hex(n)}`;
      const received = callReceived('business-hours', 'ring-owner');
      groups.push([
        received,
        event(
          'ConsentGranted',
          {
            phone,
            basis: 'implied-inquiry',
            source: 'call',
            evidence: { callSid },
            expiresAt: new Date(t + 183 * 86_400_000).toISOString(),
          },
          0,
          callSid,
        ),
      ]);
      groups.push([
        event(
          'DialMissed',
          {
            callSid,
            dialCallSid: null,
            dialCallStatus: pick(['no-answer', 'busy', 'completed'] as const),
            reason: 'not-answered',
            dialCallDurationSeconds: 0,
            leg: 'owner',
          },
          20,
          callSid,
          callSid,
        ),
      ]);
      const sent = event(
        'OutboundSmsSent',
        { ...text, messageSid: sid, status: 'queued', attempts: 1 },
        22,
      );
      const delivered = event(
        'OutboundSmsStatusUpdated',
        {
          outboxId: text.outboxId,
          messageSid: sid,
          status: pick(['sent', 'delivered', 'undelivered'] as const),
          errorCode: null,
          audience: 'lead',
          purpose: 'missed-call-text',
        },
        24,
      );
      // One callback in ten overtakes its Sent event.
      groups.push(...(rand() < 0.1 ? [[delivered], [sent]] : [[sent], [delivered]]));
      groups.push([
        event(
          'OutboundSmsSent',
          { ...alert, messageSid: `SM${hex(n + 1e9)}`, status: 'queued', attempts: 1 },
          23,
          `${n}:owner-alert`,
        ),
      ]);
    } else if (roll < 0.5) {
      groups.push([callReceived('business-hours', 'ring-owner')]);
      groups.push([
        event(
          'DialAnswered',
          {
            callSid,
            dialCallSid: `CA${hex(n + 2e9)}`,
            dialCallStatus: 'completed',
            dialCallDurationSeconds: 95,
            leg: 'owner',
          },
          110,
          callSid,
          callSid,
        ),
      ]);
    } else if (roll < 0.55) {
      groups.push([
        callReceived('after-hours', rand() < 0.5 ? 'after-hours-notice' : 'emergency-menu'),
      ]);
      const ending = rand();
      if (ending < 0.4) {
        groups.push([
          event('EmergencyEscalated', { callSid, onCallPhone: tenant.ownerPhone }, 8, callSid),
        ]);
        groups.push([
          rand() < 0.5
            ? event(
                'DialAnswered',
                {
                  callSid,
                  dialCallSid: null,
                  dialCallStatus: 'completed',
                  dialCallDurationSeconds: 40,
                  leg: 'on-call',
                },
                30,
                callSid,
              )
            : event(
                'DialMissed',
                {
                  callSid,
                  dialCallSid: null,
                  dialCallStatus: 'no-answer',
                  reason: 'not-answered',
                  dialCallDurationSeconds: 0,
                  leg: 'on-call',
                },
                30,
                callSid,
              ),
        ]);
      } else if (ending < 0.7) {
        groups.push([event('EmergencyDeclined', { callSid, digits: '2' }, 6, callSid)]);
      } else {
        groups.push([
          event(
            'TimerElapsed',
            {
              timerId: `timer-${n}`,
              kind: 'emergency-menu-timeout',
              key: callSid,
              dueAt: at(120).toISOString(),
            },
            120,
          ),
        ]);
      }
    } else if (roll < 0.82) {
      // A customer's text, sometimes delivered twice by Twilio (a new event id, same Sid).
      const sid = `SM${hex(n + 3e9)}`;
      const urgent = rand() < 0.1;
      const auto = rand() < 0.08;
      const sms = (key: string) =>
        event(
          'SmsInbound',
          {
            messageSid: sid,
            from: phone,
            to: tenant.twilioNumber,
            body: auto
              ? 'Auto-reply: I am driving'
              : urgent
                ? 'Water everywhere, pipe burst!'
                : pick(['Can you come tomorrow?', 'Thanks!', 'Kitchen sink is clogged']),
            keyword: null,
            optOutType: null,
            autoReply: auto,
            urgency: urgent ? 'EMERGENCY' : 'STANDARD',
            media: [],
          },
          0,
          key,
          sid,
        );
      groups.push([sms(sid)]);
      if (rand() < 0.05) groups.push([sms(`${sid}:again`)]);
      if (!auto) {
        groups.push([
          event(
            'TimerElapsed',
            {
              timerId: `timer-${n}`,
              kind: 'owner-alert-batch',
              key: sid,
              dueAt: at(30).toISOString(),
            },
            30,
          ),
        ]);
        const alert = outbound('owner-alert', 'owner', `New text from ${phone}`, `${sid}:alert`);
        groups.push([
          event(
            'OutboundSmsSent',
            { ...alert, messageSid: `SM${hex(n + 4e9)}`, status: 'sent', attempts: 1 },
            31,
          ),
        ]);
      }
    } else if (roll < 0.86) {
      const sid = `SM${hex(n + 5e9)}`;
      groups.push([
        event(
          'SmsInbound',
          {
            messageSid: sid,
            from: phone,
            to: tenant.twilioNumber,
            body: 'STOP',
            keyword: 'opt-out',
            optOutType: 'STOP',
            autoReply: false,
            urgency: 'STANDARD',
            media: [],
          },
          0,
          sid,
          sid,
        ),
        event(
          'ConsentRevoked',
          { phone, channel: 'keyword', text: 'STOP', evidence: { messageSid: sid } },
          0,
          sid,
        ),
      ]);
      const confirm = outbound(
        'opt-out-confirmation',
        'lead',
        'You are unsubscribed. Reply START to resubscribe.',
        `${sid}:opt-out-confirmation`,
      );
      groups.push([
        event(
          'OutboundSmsSent',
          { ...confirm, messageSid: `SM${hex(n + 6e9)}`, status: 'queued', attempts: 1 },
          2,
        ),
      ]);
    } else if (roll < 0.88) {
      const sid = `SM${hex(n + 7e9)}`;
      groups.push([
        event(
          'SmsInbound',
          {
            messageSid: sid,
            from: phone,
            to: tenant.twilioNumber,
            body: 'START',
            keyword: 'opt-in',
            optOutType: 'START',
            autoReply: false,
            urgency: 'STANDARD',
            media: [],
          },
          0,
          sid,
          sid,
        ),
        event(
          'ConsentGranted',
          {
            phone,
            basis: 'express',
            source: 'keyword',
            evidence: { messageSid: sid },
            expiresAt: null,
          },
          0,
          sid,
        ),
      ]);
    } else if (roll < 0.94) {
      const text = outbound('review-request', 'lead', 'How did we do?', `review-${n}`);
      groups.push([
        rand() < 0.5
          ? event(
              'OutboundSmsWithheld',
              {
                ...text,
                reason: pick(['consent-revoked', 'dry-run', 'quota-exceeded'] as const),
                detail: null,
              },
              0,
            )
          : event(
              'OutboundSmsFailed',
              { ...text, errorCode: '30006', errorMessage: 'Landline or unreachable', attempts: 1 },
              0,
            ),
      ]);
    } else {
      groups.push([
        event(
          'LeadStatusChanged',
          {
            phone,
            status: pick(['contacted', 'booked', 'lost'] as const),
            changedBy: 'owner',
            note: null,
          },
          0,
        ),
      ]);
    }
    for (const group of groups) {
      produced += group.length;
      yield group;
    }
  }
}
