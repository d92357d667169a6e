import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leadStreamId } from '../../src/events/streams.ts';
import { actors } from '../support/actors.ts';
import { OPERATOR_KEY, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { sampleValue } from '../support/prometheus-text.ts';
import { waitUntilSettled } from '../support/settle.ts';

/** `LEADLINE_AUTH_FAILURE_LIMIT` of the service under test. */
const LIMIT = 10;
const A = '+14165556000';
const B = '+14165556100';

/** A cursor as `/leads` hands them out (`<ISO instant>|<E.164>`, base64url) around any text. */
const cursor = (text: string) => Buffer.from(text).toString('base64url');

/**
 * Hostile input to the read API (issue 12): what a caller who does not play by the rules gets.
 * Every answer is a refusal with a reason, never a 500, never data of another tenant.
 */
describe('read API under hostile input', () => {
  let e: E2eEnv;
  let tenantA = '';
  let tenantB = '';
  let keyA = '';
  let keyB = '';
  const { api, createKey, sms } = actors(() => e);

  beforeAll(async () => {
    e = await startE2eEnv({ LOG_BACKEND: 'postgres', LEADLINE_AUTH_FAILURE_LIMIT: String(LIMIT) });
    tenantA = await e.addTenant({ name: 'Hardened Plumbing', number: A, owner: '+14165556099' });
    tenantB = await e.addTenant({
      name: 'Other Hardened Drains',
      number: B,
      owner: '+14165556199',
    });
    [keyA, keyB] = await Promise.all([
      createKey('--role', 'tenant', '--tenant', A),
      createKey('--role', 'tenant', '--tenant', B),
    ]);
  });
  afterAll(async () => {
    await e?.close();
  });

  /** Asserts `path` answers 400 with a `{ error: { code, message } }` naming the problem. */
  async function refused(path: string, code: RegExp, key = keyA): Promise<string> {
    const res = await api(path, key);
    const text = await res.text();
    expect(res.status, `${path.slice(0, 120)}: ${text.slice(0, 300)}`).toBe(400);
    const body = JSON.parse(text) as { error: { code: string; message: string } };
    expect(body.error.code, path.slice(0, 120)).toMatch(code);
    expect(body.error.message.length).toBeGreaterThan(0);
    return body.error.message;
  }

  describe('dates and times are bounded: 400 with a reason, never a 500', () => {
    const huge = '2'.repeat(5_000);

    it.each(['/funnel', '/summary'])('%s: from/to', async (route) => {
      const message = await refused(`${route}?from=0001-01-01&to=9999-12-31`, /^INVALID_DATE$/);
      expect(message).toMatch(/2000-01-01.*2100-12-31/);
      for (const query of [
        'from=1999-12-31',
        'to=2101-01-01',
        'from=2026-02-30',
        'from=2026-13-01',
        'from=x',
        'to=26-01-01',
        'from=2026-01-01T00:00:00Z',
        `from=${huge}`,
        'from=2026-03-01&to=2026-02-28',
      ]) {
        await refused(`${route}?${query}`, /^INVALID_DATE$/);
      }
      expect(await refused(`${route}?from=2025-01-01&to=2026-01-02`, /^INVALID_DATE$/)).toMatch(
        /366 days/,
      );
      // The widest allowed: 366 days (a leap year), and the last date of the range.
      for (const query of ['from=2024-01-01&to=2024-12-31', 'from=2100-12-31']) {
        expect((await api(`${route}?${query}`, keyA)).status, query).toBe(200);
      }
    });

    it('consent at a time, and the export bounds', async () => {
      const phone = encodeURIComponent('+16475556001');
      for (const time of [
        '0001-01-01T00:00:00Z',
        '9999-12-31T23:59:59Z',
        '%2B275760-09-13T00:00:00Z',
        '2026-02-30T12:00:00Z',
        'x',
        '1',
        'Nov 23 2026',
        huge,
      ]) {
        await refused(`/consent/${phone}/at?tenant=${tenantA}&time=${time}`, /^INVALID_TIME$/);
      }
      for (const bound of ['from', 'to']) {
        for (const value of ['0001-01-01', '9999-12-31T00:00:00Z', '2026-02-30', 'x', huge]) {
          await refused(`/consent/export?${bound}=${value}`, /^INVALID_TIME$/);
        }
      }
      const at = await api(
        `/consent/${phone}/at?tenant=${tenantA}&time=2026-11-23T15:00:00Z`,
        keyA,
      );
      expect(at.status).toBe(200);
      const exported = await api('/consent/export?from=2026-01-01&to=2026-12-31T23:59:59Z', keyA);
      expect(exported.status).toBe(200);
      await exported.text();
    });

    it('a leads cursor the API did not hand out', async () => {
      for (const forged of [
        cursor('1|+16475556001'),
        cursor('0001-01-01T00:00:00.000Z|+16475556001'),
        cursor('+275760-09-13T00:00:00.000Z|+16475556001'),
        cursor('2026-11-23T15:00:00.000Z|x'),
        cursor('2026-11-23T15:00:00.000Z'),
        'not base64!',
      ]) {
        await refused(`/leads?cursor=${encodeURIComponent(forged)}`, /^INVALID_CURSOR$/);
      }
      // A well-formed position is still a cursor.
      const ok = await api(
        `/leads?cursor=${cursor('2026-11-23T15:00:00.000Z|+16475556001')}`,
        keyA,
      );
      expect(ok.status).toBe(200);
      // An operator key gets the same answers.
      await refused(
        `/funnel?tenant=${tenantA}&from=0001-01-01&to=9999-12-31`,
        /^INVALID_DATE$/,
        OPERATOR_KEY,
      );
    });
  });

  it('a key cannot move a lead its tenant does not have: 404, nothing written', async () => {
    const onlyB = '+16475556002';
    await sms(onlyB, B, 'Do you fix water heaters?');
    await waitUntilSettled(e.databaseUrl);
    const path = `/leads/${encodeURIComponent(onlyB)}/status`;
    const post = (key: string, query = '') =>
      api(`${path}${query}`, key, { method: 'POST', body: JSON.stringify({ status: 'booked' }) });
    for (const res of [await post(keyA), await post(OPERATOR_KEY, `?tenant=${tenantA}`)]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'LEAD_NOT_FOUND' } });
    }
    // A number nobody knows is no lead either.
    const unknown = await api('/leads/%2B16475556999/status', keyA, {
      method: 'POST',
      body: JSON.stringify({ status: 'lost' }),
    });
    expect(unknown.status).toBe(404);
    expect(await e.readStream(leadStreamId(tenantA, onlyB))).toEqual([]);
    expect(await e.readStream(leadStreamId(tenantA, '+16475556999'))).toEqual([]);
    expect((await e.readStream(leadStreamId(tenantB, onlyB))).map((ev) => ev.type)).not.toContain(
      'LeadStatusChanged',
    );
    // Its own lead it can move.
    const own = await api(path, keyB, {
      method: 'POST',
      body: JSON.stringify({ status: 'contacted' }),
    });
    expect(own.status).toBe(202);
  });

  describe('HTML pages cannot be framed and carry the usual security headers', () => {
    it.each(['/dashboard', '/u/AAAAAAAAAAAAAAAAAAAAAA', '/api/v1/docs/', '/api/v1/docs'])(
      '%s',
      async (path) => {
        const res = await fetch(`${e.service.baseUrl}${path}`);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        const csp = res.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("object-src 'none'");
        expect(csp).toContain("base-uri 'none'");
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        await res.text();
      },
    );

    it("the dashboard's one inline script runs by its hash, not by 'unsafe-inline'", async () => {
      const res = await fetch(`${e.service.baseUrl}/dashboard`);
      const html = await res.text();
      const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
      const hash = createHash('sha256').update(script, 'utf8').digest('base64');
      const scriptSrc = /script-src ([^;]*)/.exec(res.headers.get('content-security-policy')!)![1];
      expect(scriptSrc).toBe(`'sha256-${hash}'`);
      expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    });
  });

  /**
   * `GET path` with `key` as bearer from the local address `localAddress` (any 127.x.y.z is
   * this machine): a client the service tells apart by its address, no proxy header needed.
   */
  function from(
    localAddress: string,
    path: string,
    key: string,
  ): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        `${e.service.baseUrl}${path}`,
        { localAddress, agent: false, headers: { authorization: `Bearer ${key}` } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              retryAfter: res.headers['retry-after'] as string | undefined,
              body,
            }),
          );
        },
      );
      request.on('error', reject);
      request.end();
    });
  }

  it('guessing keys: after the limit one address gets 429 with Retry-After, on /api/v1 and /metrics alike; other addresses go on', async () => {
    const guesser = '127.0.0.3';
    const wrongKey = (i: number) => `ll_${i.toString(16).padStart(12, '0')}_${'x'.repeat(43)}`;
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        from(guesser, i % 3 === 0 ? '/metrics' : `/api/v1/summary?tenant=${tenantA}`, wrongKey(i)),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(300 - LIMIT);
    for (const limited of answers.filter((a) => a.status === 429)) {
      expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(limited.retryAfter)).toBeLessThanOrEqual(60);
      expect(JSON.parse(limited.body)).toMatchObject({
        error: { code: 'TOO_MANY_AUTH_FAILURES', message: expect.stringMatching(/retry/i) },
      });
    }
    // While limited, the address gets no answer about any key, a good one included: a 200
    // would tell a guesser it had found one.
    expect((await from(guesser, '/api/v1/summary', keyA)).status).toBe(429);
    expect((await from(guesser, '/metrics', OPERATOR_KEY)).status).toBe(429);
    // Another address is not limited: good keys work, a wrong one is a plain 401.
    expect((await from('127.0.0.4', '/api/v1/summary', keyA)).status).toBe(200);
    expect((await from('127.0.0.4', '/api/v1/summary', wrongKey(999))).status).toBe(401);
    expect((await api('/summary', keyA)).status).toBe(200);

    const metrics = await fetch(`${e.service.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${OPERATOR_KEY}` },
    });
    const text = await metrics.text();
    const failures = (outcome: string) =>
      sampleValue(text, 'leadline_auth_failures_total', { outcome });
    expect(failures('rejected')).toBe(LIMIT + 1);
    expect(failures('limited')).toBe(300 - LIMIT + 2);
  });
});
