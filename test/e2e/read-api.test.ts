import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_KEY, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { actors } from '../support/actors.ts';
import { waitUntilSettled } from '../support/settle.ts';

/** A JSON response body, read ad hoc by the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

const A = '+14165553000';
const B = '+14165553100';

/** The owner's read API (issue 6): what it shows, and who may see it. */
describe('read API, end to end', () => {
  let e: E2eEnv;
  let tenantA: string;
  let tenantB: string;
  let keyA = '';
  let keyB = '';
  let auditor = '';
  let seq = 0;
  const nextCustomer = () => `+1647558${String(1000 + ++seq).padStart(4, '0')}`;
  const settle = () => waitUntilSettled(e.databaseUrl);
  const { api, sms, missedCall, createKey } = actors(() => e);
  const json = async (path: string, key: string, init: RequestInit = {}): Promise<Body> => {
    const res = await api(path, key, init);
    expect(res.status, `${path}: ${res.status}`).toBeLessThan(300);
    return res.json();
  };

  beforeAll(async () => {
    e = await startE2eEnv({ LOG_BACKEND: 'postgres' });
    const extra = ['--alert-debounce', '0'];
    tenantA = await e.addTenant({
      name: 'Summary Plumbing',
      number: A,
      owner: '+14165553099',
      extra,
    });
    tenantB = await e.addTenant({
      name: 'Elsewhere Drains',
      number: B,
      owner: '+14165553199',
      extra,
    });
    keyA = await createKey('--role', 'tenant', '--tenant', A);
    keyB = await createKey('--role', 'tenant', '--tenant', B);
    auditor = await createKey('--role', 'auditor');
  });
  afterAll(async () => {
    await e?.close();
  });

  it('summary, funnel, leads and a timeline follow a missed call, a reply and a booking', async () => {
    const customer = nextCustomer();
    await missedCall(customer, A);
    await settle();
    await sms(customer, A, 'Burst pipe under the sink, water everywhere!');
    await settle();

    const summary = await json('/summary', keyA);
    expect(summary).toMatchObject({
      tenantId: tenantA,
      calls: 1,
      answered: 0,
      missed: 1,
      replies: 1,
      emergencies: 1,
      texts: { sent: 2, failed: 0, dryRun: 0 },
    });
    expect(summary.responseSeconds.median).toBeGreaterThanOrEqual(0);
    expect(summary.period.localFrom).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await json(`/funnel?tenant=${tenantA}`, OPERATOR_KEY)).toMatchObject({
      missedCall: 1,
      texted: 1,
      textedDryRun: 0,
      replied: 1,
      booked: 0,
    });

    const booked = await api(`/leads/${encodeURIComponent(customer)}/status`, keyA, {
      method: 'POST',
      body: JSON.stringify({ status: 'booked', note: 'Tuesday 9am' }),
    });
    expect(booked.status).toBe(202);
    await settle();
    expect(await json('/funnel', keyA)).toMatchObject({ booked: 1 });
    const leads = await json('/leads', keyA);
    expect(leads.leads[0]).toMatchObject({
      phone: customer,
      status: 'booked',
      intent: 'EMERGENCY',
      score: 100,
      missedCalls: 1,
    });

    const { timeline } = await json(`/leads/${encodeURIComponent(customer)}`, keyA);
    const kinds = timeline.map((t: { kind: string }) => t.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['call', 'text-out', 'text-in', 'alert', 'consent']),
    );
    expect(timeline.find((t: { kind: string }) => t.kind === 'text-in').summary).toContain(
      'EMERGENCY',
    );
    // Booking records the business relationship on the consent ledger.
    expect(
      timeline
        .filter((t: { kind: string; summary: string }) => t.kind === 'consent')
        .map((t: { summary: string }) => t.summary),
    ).toEqual(expect.arrayContaining(['consent granted: implied-business-relationship (owner)']));
  });

  it('pages leads by cursor without repeats, filters by status and digits', async () => {
    for (let i = 0; i < 3; i++) await sms(nextCustomer(), A, `Quote for a faucet, ${i}`);
    await settle();
    const first = await json('/leads?limit=2', keyA);
    expect(first.leads).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await json(`/leads?limit=2&cursor=${first.nextCursor}`, keyA);
    const phones = [...first.leads, ...second.leads].map((l: { phone: string }) => l.phone);
    expect(new Set(phones).size).toBe(phones.length);
    expect(phones.length).toBe(4);
    expect(second.nextCursor).toBeNull();
    expect((await json('/leads?status=booked', keyA)).leads).toHaveLength(1);
    const one = phones[0]!;
    expect(
      (await json(`/leads?q=${one.slice(-4)}`, keyA)).leads.map((l: { phone: string }) => l.phone),
    ).toEqual([one]);
    expect((await api('/leads?cursor=bogus', keyA)).status).toBe(400);
  });

  it('shows the outbound queue and, to operators, the tenants', async () => {
    expect(await json('/queue', keyA)).toMatchObject({
      tenantId: tenantA,
      queue: expect.any(Array),
    });
    const tenants = await json('/tenants', OPERATOR_KEY);
    expect(tenants.tenants.map((t: { tenantId: string }) => t.tenantId).sort()).toEqual(
      [tenantA, tenantB].sort(),
    );
    expect((await api('/tenants', keyA)).status).toBe(403);
  });

  it('publishes its OpenAPI document and browsable docs', async () => {
    const doc: Body = await (await fetch(`${e.service.baseUrl}/api/v1/openapi.json`)).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/summary', '/api/v1/leads', '/api/v1/consent/{phone}']),
    );
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/twilio'))).toBe(false);
    const docs = await fetch(`${e.service.baseUrl}/api/v1/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  describe('every endpoint refuses the wrong caller: 401 / 403, never data', () => {
    const endpoints = (phone: string): Array<[string, RequestInit | undefined]> => [
      [`/summary?tenant=${tenantA}`, undefined],
      [`/funnel?tenant=${tenantA}`, undefined],
      [`/leads?tenant=${tenantA}`, undefined],
      [`/leads/${encodeURIComponent(phone)}?tenant=${tenantA}`, undefined],
      [
        `/leads/${encodeURIComponent(phone)}/status?tenant=${tenantA}`,
        { method: 'POST', body: JSON.stringify({ status: 'lost' }) },
      ],
      [
        `/leads/${encodeURIComponent(phone)}/messages?tenant=${tenantA}`,
        {
          method: 'POST',
          body: JSON.stringify({ body: 'hello' }),
          headers: { 'idempotency-key': 'k1' },
        },
      ],
      [
        `/leads/${encodeURIComponent(phone)}/call?tenant=${tenantA}`,
        { method: 'POST', body: JSON.stringify({}), headers: { 'idempotency-key': 'k1' } },
      ],
      [`/queue?tenant=${tenantA}`, undefined],
      [`/stream?tenant=${tenantA}`, undefined],
      ['/review-requests', { method: 'POST', body: JSON.stringify({ tenant: tenantA, phone }) }],
      ['/tenants', undefined],
      [`/dashboard?tenant=${tenantA}`, undefined],
    ];

    it.each([
      ['no key', () => undefined, 401],
      ['a wrong key', () => 'll_0123456789ab_wrongwrongwrongwrongwrongwrong', 401],
      ["another tenant's key", () => keyB, 403],
      ['an auditor key', () => auditor, 403],
    ] as Array<[string, () => string | undefined, number]>)('%s', async (_label, key, status) => {
      const customer = nextCustomer();
      await sms(customer, A, 'Private: my alarm code is 4455');
      await settle();
      for (const [path, init] of endpoints(customer)) {
        const res = await api(path, key(), init);
        expect(res.status, path).toBe(status);
        const text = await res.text();
        expect(text, path).not.toContain(customer);
        expect(text, path).not.toContain('alarm code');
        expect(JSON.parse(text).error.code, path).toMatch(
          /^(UNAUTHORIZED|FORBIDDEN_TENANT|FORBIDDEN_ROLE)$/,
        );
      }
      await settle();
      const lead = await json(`/leads/${encodeURIComponent(customer)}`, keyA);
      expect(
        lead.timeline.some((t: { kind: string; status: string }) => t.kind === 'text-in'),
      ).toBe(true);
      expect((await json(`/leads?q=${customer.slice(-4)}`, keyA)).leads[0].status).toBe('new');
    });
  });
});
