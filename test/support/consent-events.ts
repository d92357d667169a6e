import pg from 'pg';
import type { LeadlineEvent } from '../../src/events/catalogue.ts';
import { newEvent } from '../../src/events/new-event.ts';
import { leadStreamId } from '../../src/events/streams.ts';
import { systemClock } from '../../src/shared/clock.ts';

/**
 * A consent change of `phone` (E.164) for `tenantId`, occurring at `at`: a STOP
 * (`ConsentRevoked`), a START (express `ConsentGranted`), or an inquiry's implied consent
 * (`implied-inquiry`, 180 days).
 */
export function consentEvent(
  kind: 'implied' | 'express' | 'revoke',
  tenantId: string,
  phone: string,
  at: Date,
): LeadlineEvent {
  const common = {
    streamId: leadStreamId(tenantId, phone),
    tenantId,
    idempotencyKey: `${kind}:${phone}:${at.toISOString()}`,
    occurredAt: at,
  };
  const evidence = { messageSid: `SM${phone.slice(1)}` };
  if (kind === 'revoke') {
    return newEvent(
      {
        ...common,
        type: 'ConsentRevoked',
        data: { phone, channel: 'keyword', text: 'STOP', evidence },
      },
      systemClock,
    );
  }
  const implied = kind === 'implied';
  return newEvent(
    {
      ...common,
      type: 'ConsentGranted',
      data: {
        phone,
        basis: implied ? 'implied-inquiry' : 'express',
        source: implied ? 'sms' : 'keyword',
        evidence,
        expiresAt: implied ? new Date(at.getTime() + 180 * 24 * 3_600_000).toISOString() : null,
      },
    },
    systemClock,
  );
}

/** A pool that counts the statements it is asked to run. */
export class CountingPool extends pg.Pool {
  statements = 0;
  override query(...args: unknown[]): never {
    this.statements++;
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}
