import { describe, expect, it } from 'vitest';
import {
  emptyRows,
  holdMessage,
  rowKey,
  type DashboardRows,
  type LeadRow,
  type MessageRow,
  type NeededRows,
} from '../../src/projections/dashboard/dashboard-fold.ts';
import { DashboardRowCache } from '../../src/projections/dashboard/dashboard-row-cache.ts';

const TENANT = '7d0c5a52-0000-4000-8000-000000000001';

const lead = (phone: string): LeadRow => ({
  tenantId: TENANT,
  phone,
  ref: 1234,
  firstSeenAt: '2026-06-01T12:00:00.000Z',
  lastContactAt: '2026-06-01T12:00:00.000Z',
  calls: 1,
  missedCalls: 1,
  messagesIn: 0,
  messagesOut: 0,
  optedOut: false,
  status: 'new',
  statusChangedAt: null,
  intent: null,
  emergencies: 0,
  qualification: null,
  outsideArea: false,
});

const message = (messageKey: string, messageSid: string | null): MessageRow => ({
  tenantId: TENANT,
  messageKey,
  direction: 'outbound',
  audience: 'lead',
  purpose: 'missed-call-text',
  phone: '+16475550001',
  counterpart: '+16475550001',
  body: 'Sorry we missed your call',
  status: 'sent',
  messageSid,
  error: null,
  at: '2026-06-01T12:00:05.000Z',
  eventPosition: '7',
  urgency: null,
});

/** Rows as a batch left them: these leads and messages, each changed. */
function batch(leads: LeadRow[], messages: MessageRow[] = []): DashboardRows {
  const rows = emptyRows();
  for (const row of leads) rows.leads.set(rowKey(row.tenantId, row.phone), row);
  for (const row of messages) holdMessage(rows, row);
  return rows;
}

const needed = (parts: Partial<NeededRows>): NeededRows => ({
  calls: [],
  leads: [],
  messageKeys: [],
  messageSids: [],
  ...parts,
});

describe('DashboardRowCache: the rows a replay wrote, so it need not read them back', () => {
  it('hands over nothing, and asks for nothing, for rows it never saw written', () => {
    const cache = new DashboardRowCache();
    const { rows, missing } = cache.take(
      needed({
        leads: [[TENANT, '+16475550001']],
        calls: [[TENANT, 'CA1']],
        messageKeys: [[TENANT, 'outbox-1']],
        messageSids: [[TENANT, 'SM1']],
      }),
    );
    expect(rows.leads.size + rows.calls.size + rows.messages.size).toBe(0);
    expect(missing).toEqual(needed({}));
  });

  it('hands over the rows kept, a message found by its MessageSid too', () => {
    const cache = new DashboardRowCache();
    const kept = lead('+16475550001');
    cache.keep(batch([kept], [message('outbox-1', 'SM1')]));
    const { rows, missing } = cache.take(
      needed({ leads: [[TENANT, '+16475550001']], messageSids: [[TENANT, 'SM1']] }),
    );
    expect(rows.leads.get(rowKey(TENANT, '+16475550001'))).toBe(kept);
    expect(rows.messages.get(rowKey(TENANT, 'outbox-1'))?.messageSid).toBe('SM1');
    // The fold finds a status callback's row through the Sid, as after loading it.
    expect(rows.messageKeysBySid.get(rowKey(TENANT, 'SM1'))).toBe('outbox-1');
    expect(missing).toEqual(needed({}));
  });

  it('lets the least recently used rows go past its bound, and asks for them by key', () => {
    const cache = new DashboardRowCache({ rows: 2, keys: 100 });
    cache.keep(batch([], [message('outbox-1', 'SM1'), message('outbox-2', 'SM2')]));
    cache.keep(batch([lead('+16475550001')]));
    // Three rows, room for two: the oldest message went.
    expect(cache.size.rows).toBe(2);
    const { rows, missing } = cache.take(
      needed({
        leads: [[TENANT, '+16475550001']],
        messageSids: [
          [TENANT, 'SM1'],
          [TENANT, 'SM2'],
        ],
      }),
    );
    expect([...rows.messages.keys()]).toEqual([rowKey(TENANT, 'outbox-2')]);
    expect(rows.leads.size).toBe(1);
    expect(missing).toEqual(needed({ messageKeys: [[TENANT, 'outbox-1']] }));
  });

  it('a row used again is kept over one used longer ago', () => {
    const cache = new DashboardRowCache({ rows: 2, keys: 100 });
    const first = message('outbox-1', null);
    cache.keep(batch([], [first, message('outbox-2', null)]));
    cache.keep(batch([], [first])); // used again: now the most recent
    cache.keep(batch([], [message('outbox-3', null)]));
    const { rows, missing } = cache.take(
      needed({
        messageKeys: [
          [TENANT, 'outbox-1'],
          [TENANT, 'outbox-2'],
          [TENANT, 'outbox-3'],
        ],
      }),
    );
    expect([...rows.messages.keys()].sort()).toEqual(
      [rowKey(TENANT, 'outbox-1'), rowKey(TENANT, 'outbox-3')].sort(),
    );
    expect(missing.messageKeys).toEqual([[TENANT, 'outbox-2']]);
  });

  it('says when the keys it remembers outgrow its bound', () => {
    const cache = new DashboardRowCache({ rows: 10, keys: 3 });
    expect(cache.keep(batch([lead('+16475550001')], [message('outbox-1', 'SM1')]))).toBe(true);
    expect(cache.keep(batch([lead('+16475550002')]))).toBe(false);
  });
});
