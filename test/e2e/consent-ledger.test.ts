import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveSms } from '../../src/commands/receive-sms.ts';
import { leadStreamId } from '../../src/events/streams.ts';
import { tenantDirectory } from '../../src/projections/tenants/tenant-directory.ts';
import { fixedClock } from '../../src/shared/clock.ts';
import type { E164 } from '../../src/shared/phone.ts';
import {
  newSid,
  OPERATOR_KEY,
  startE2eEnv,
  torontoWindowLater,
  type E2eEnv,
} from '../support/e2e-env.ts';
import { actors } from '../support/actors.ts';
import { runCli } from '../../harness/service-process.ts';
import { waitUntilSettled } from '../support/settle.ts';

const A = '+14165552000';
const A_OWNER = '+14165552099';
const B = '+14165552100';
const B_OWNER = '+14165552199';

/**
 * The consent ledger as auditors meet it (issue 5): history, point-in-time answers, exports,
 * roles, send-time enforcement and tamper evidence, through `leadline serve` and the CLI.
 */
describe('consent ledger, end to end', () => {
  let e: E2eEnv;
  let tenantA: string;
  let tenantB: string;
  const keys: Record<'auditor' | 'tenantA' | 'tenantB', string> = {
    auditor: '',
    tenantA: '',
    tenantB: '',
  };
  let seq = 0;
  const nextCustomer = () => `+1647557${String(1000 + ++seq).padStart(4, '0')}`;
  const settle = () => waitUntilSettled(e.databaseUrl);

  const { api, sms, missedCall, createKey } = actors(() => e);

  beforeAll(async () => {
    e = await startE2eEnv({ LOG_BACKEND: 'postgres' });
    const quiet = ['--quiet-hours-allowed', '00:00-24:00', '--alert-debounce', '0'];
    tenantA = await e.addTenant({
      name: 'Ledger Plumbing',
      number: A,
      owner: A_OWNER,
      extra: quiet,
    });
    tenantB = await e.addTenant({ name: 'Other Drains', number: B, owner: B_OWNER, extra: quiet });
    keys.auditor = await createKey('--role', 'auditor', '--label', 'external auditor');
    keys.tenantA = await createKey('--role', 'tenant', '--tenant', A);
    keys.tenantB = await createKey('--role', 'tenant', '--tenant', tenantB);
  });
  afterAll(async () => {
    await e?.close();
  });

  it('the full history, oldest first, with evidence, log positions and a hash chain; point-in-time answers', async () => {
    const customer = nextCustomer();
    const call = await missedCall(customer, A);
    await settle();
    const beforeStop = new Date().toISOString();
    await sms(customer, A, 'STOP');
    await settle();
    const betweenStopAndStart = new Date().toISOString();
    await sms(customer, A, 'START');
    await settle();

    const res = await api(
      `/consent/${encodeURIComponent(customer)}?tenant=${tenantA}`,
      keys.auditor,
    );
    expect(res.status).toBe(200);
    const history = (await res.json()) as {
      records: Array<Record<string, unknown> & { evidence: Record<string, string> }>;
    };
    expect(history.records.map((r) => [r.kind, r.basis ?? r.channel, r.source])).toEqual([
      ['granted', 'implied-inquiry', 'call'],
      ['revoked', 'keyword', null],
      ['granted', 'express', 'keyword'],
    ]);
    expect(history.records[0]!.evidence).toEqual({ callSid: call.callSid });
    expect(history.records[1]!.text).toBe('STOP');
    for (const [i, r] of history.records.entries()) {
      expect(r.logPosition).toMatch(/^\d+$/);
      if (i > 0) expect(r.prevHash).toBe(history.records[i - 1]!.recordHash);
    }
    console.log(
      `[sample] consent history as an auditor sees it:\n${JSON.stringify(history, null, 2)}`,
    );

    const at = async (time: string) =>
      (await (
        await api(
          `/consent/${encodeURIComponent(customer)}/at?tenant=${tenantA}&time=${time}`,
          keys.auditor,
        )
      ).json()) as { valid: boolean; basis: string | null; reason: string };
    expect(await at(beforeStop)).toMatchObject({ valid: true, basis: 'implied-inquiry' });
    expect(await at(betweenStopAndStart)).toMatchObject({ valid: false });
    expect((await at(betweenStopAndStart)).reason).toMatch(/^revoked .* \(keyword\)/);
    expect(await at(new Date().toISOString())).toMatchObject({ valid: true, basis: 'express' });

    const cli = await runCli(['consent', 'history', customer, '--tenant', A], e.env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(
      /GRANTED implied-inquiry \(call\) until .*\n.*REVOKED \(keyword\) "STOP".*\n.*GRANTED express \(keyword\)/,
    );
  });

  it('the owner records a revocation asked for by phone, and a signed form restores consent', async () => {
    const customer = nextCustomer();
    await sms(customer, A, 'Can you quote a water softener?');
    await settle();
    const consent = (...args: string[]) =>
      runCli(['consent', ...args, '--tenant', A, '--phone', customer], e.env);
    const revoke = await consent(
      'revoke',
      '--channel',
      'owner',
      '--evidence',
      'requestedBy=phone-call',
    );
    expect(revoke.code, revoke.stderr).toBe(0);
    const bad = await consent('revoke', '--channel', 'owner', '--evidence', 'no-equals-sign');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('evidence "no-equals-sign" is not key=value');
    await settle();
    const at = async () =>
      (await (
        await api(`/consent/${encodeURIComponent(customer)}/at?tenant=${tenantA}`, keys.auditor)
      ).json()) as { valid: boolean; basis: string | null; reason: string };
    expect((await at()).reason).toMatch(/\(owner\)/);
    const form = await consent(
      'grant',
      '--basis',
      'express',
      '--source',
      'form',
      '--evidence',
      'form=F-1042',
    );
    expect(form.code, form.stderr).toBe(0);
    await settle();
    expect(await at()).toMatchObject({ valid: true, basis: 'express' });
  });

  it('`leadline events show` prints a stream as the log holds it', async () => {
    const customer = nextCustomer();
    await sms(customer, A, 'Is Saturday possible?');
    await settle();
    const shown = await runCli(['events', 'show', `lead:${tenantA}:${customer}`], e.env);
    expect(shown.code, shown.stderr).toBe(0);
    const lines = shown.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\d+\t\S+Z\tSmsInbound\t.*body=Is Saturday possible\?/);
    expect(lines.map((l) => l.split('\t')[2])).toEqual(
      expect.arrayContaining(['SmsInbound', 'ConsentGranted', 'OutboundSmsSent']),
    );
    const json = await runCli(['events', 'show', `lead:${tenantA}:${customer}`, '--json'], e.env);
    expect(JSON.parse(json.stdout.split('\n')[0]!)).toMatchObject({
      type: 'SmsInbound',
      streamId: `lead:${tenantA}:${customer}`,
      data: { body: 'Is Saturday possible?' },
    });
    const missing = await runCli(['events', 'show', 'lead:nobody:+10000000000'], e.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no events in stream "lead:nobody:+10000000000"');
  });

  it('exports the ledger as NDJSON and CSV, filtered by time', async () => {
    const ndjson = await api(`/consent/export?tenant=${tenantA}&format=ndjson`, keys.auditor);
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await ndjson.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    const csv = await (
      await api(`/consent/export?tenant=${tenantA}&format=csv`, keys.auditor)
    ).text();
    expect(csv.split('\n')[0]).toBe(
      'tenantId,seq,phone,kind,basis,source,channel,text,evidence,occurredAt,expiresAt,eventId,logPosition,prevHash,recordHash',
    );
    console.log(
      `[sample] consent export (CSV), first lines:\n${csv.split('\n').slice(0, 4).join('\n')}`,
    );
    const future = await api(
      `/consent/export?tenant=${tenantA}&from=2099-01-01T00:00:00Z`,
      keys.auditor,
    );
    expect(await future.text()).toBe('');
    const bad = await api(`/consent/export?tenant=${tenantA}&from=yesterday`, keys.auditor);
    expect(bad.status).toBe(400);
    const cli = await runCli(['consent', 'export', '--tenant', A, '--format', 'csv'], e.env);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toBe(csv);
    const badCli = await runCli(['consent', 'export', '--from', 'yesterday'], e.env);
    expect(badCli.code).toBe(1);
    expect(badCli.stderr).toContain('--from "yesterday" is not an instant');
  });

  it('an auditor key reads consent across tenants but cannot write or read anything else', async () => {
    expect((await api(`/consent/export?tenant=${tenantB}`, keys.auditor)).status).toBe(200);
    expect((await api(`/consent/export?tenant=${tenantB}`, OPERATOR_KEY)).status).toBe(200);
    expect((await api('/dashboard', keys.auditor)).status).toBe(403);
    const write = await api('/review-requests', keys.auditor, {
      method: 'POST',
      body: JSON.stringify({ tenant: A, phone: nextCustomer() }),
    });
    expect(write.status).toBe(403);
    expect(await write.json()).toMatchObject({ error: { code: 'FORBIDDEN_ROLE' } });
  });

  it("a tenant key cannot read another tenant's consent, on every endpoint", async () => {
    const customer = nextCustomer();
    await sms(customer, A, 'Do you fix dishwashers?');
    await settle();
    const phone = encodeURIComponent(customer);
    for (const path of [
      `/consent/${phone}?tenant=${tenantA}`,
      `/consent/${phone}/at?tenant=${tenantA}`,
      `/consent/export?tenant=${tenantA}`,
      `/consent/export?tenant=${tenantA}&format=csv`,
    ]) {
      const res = await api(path, keys.tenantB);
      expect(res.status, path).toBe(403);
      expect(await res.text(), path).not.toContain(customer);
    }
    // Without ?tenant a tenant key is confined to its own tenant: B has nothing on this number.
    const own = await (await api(`/consent/${phone}`, keys.tenantB)).json();
    expect(own).toMatchObject({ tenantId: tenantB, records: [] });
    const export_ = await (await api('/consent/export', keys.tenantB)).text();
    expect(export_).not.toContain(customer);
    // Its own tenant's data it can read.
    expect((await api(`/consent/${phone}`, keys.tenantA)).status).toBe(200);
  });

  it.each([
    ['no key', undefined],
    ['a wrong key', 'll_000000000000_notarealkeynotarealkeynotareal'],
  ])('every endpoint refuses %s with 401 and no data', async (_label, key) => {
    for (const path of [
      '/consent/%2B16475550000',
      '/consent/%2B16475550000/at',
      '/consent/export',
      '/dashboard',
    ]) {
      const res = await api(path, key);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
  });

  it('a revoked key stops working at once', async () => {
    const key = await createKey('--role', 'auditor');
    expect((await api('/consent/export', key)).status).toBe(200);
    const id = /^ll_([0-9a-f]{12})_/.exec(key)![1]!;
    const list = await runCli(['keys', 'list'], e.env);
    expect(list.stdout).toContain(id);
    expect(list.stdout).not.toContain(key);
    expect((await runCli(['keys', 'revoke', id], e.env)).code).toBe(0);
    expect((await api('/consent/export', key)).status).toBe(401);
  });

  it('STOP between a queued message and its send stops the send', async () => {
    const customer = nextCustomer();
    await missedCall(customer, A);
    await settle();
    // A review request queued, waiting (quiet hours closed for now) …
    await runCli(['tenants', 'update', A, '--quiet-hours-allowed', torontoWindowLater()], e.env);
    expect(
      (await runCli(['reviews', 'request', '--tenant', A, '--phone', customer], e.env)).code,
    ).toBe(0);
    await settle();
    // … the customer texts STOP …
    await sms(customer, A, 'STOP');
    await settle();
    // … and when it falls due inside the window, it is withheld, not sent.
    await runCli(['tenants', 'update', A, '--quiet-hours-allowed', '00:00-24:00'], e.env);
    await e.db.query(
      "UPDATE outbound_messages SET next_attempt_at = now() WHERE lead_phone = $1 AND purpose = 'review-request'",
      [customer],
    );
    await settle();
    expect(e.twilio.to(customer).map((m) => m.body)).toEqual([
      expect.stringContaining('Sorry we missed your call'),
      expect.stringContaining('unsubscribed'),
    ]);
    const withheld = (await e.readStream(leadStreamId(tenantA, customer))).filter(
      (ev) => ev.type === 'OutboundSmsWithheld',
    );
    expect(withheld.map((ev) => ev.data)).toEqual([
      expect.objectContaining({ purpose: 'review-request', reason: 'consent-revoked' }),
    ]);
  });

  it('a message to a number whose consent expired is refused, with the reason recorded, and not retried', async () => {
    const customer = nextCustomer();
    // The customer's only contact was a text seven months ago.
    await e.service.kill('SIGTERM');
    const tenant = await tenantDirectory.findByNumber(e.db, A);
    const sevenMonthsAgo = new Date(Date.now() - 213 * 24 * 3_600_000);
    await receiveSms(
      tenant!,
      {
        messageSid: newSid('SM'),
        from: customer as E164,
        to: A as E164,
        body: 'How much for a new toilet?',
        media: [],
        optOutType: null,
      },
      { log: await e.eventLog(), db: e.db, clock: fixedClock(sevenMonthsAgo) },
    );
    await e.service.start();
    await settle();
    const textsBefore = e.twilio.to(customer).length;
    expect(
      (await runCli(['reviews', 'request', '--tenant', A, '--phone', customer], e.env)).code,
    ).toBe(0);
    await settle();
    expect(e.twilio.to(customer)).toHaveLength(textsBefore);
    const withheld = (await e.readStream(leadStreamId(tenantA, customer))).filter(
      (ev) => ev.type === 'OutboundSmsWithheld',
    );
    expect(withheld.map((ev) => ev.data)).toEqual([
      expect.objectContaining({
        purpose: 'review-request',
        reason: 'no-valid-consent',
        detail: expect.stringMatching(/^implied-inquiry consent expired /),
      }),
    ]);
    const row = await e.db.query(
      "SELECT status FROM outbound_messages WHERE lead_phone = $1 AND purpose = 'review-request'",
      [customer],
    );
    expect(row.rows).toEqual([{ status: 'withheld' }]);
  });

  describe('tamper evidence: `leadline consent verify`', () => {
    const verify = () => runCli(['consent', 'verify', '--tenant', A], e.env);

    it('passes on an untouched ledger', async () => {
      await settle();
      const ok = await verify();
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^ok\t.*records, chain intact and matching the log/);
    });

    it('detects an edited record, naming it', async () => {
      const { rows } = await e.db.query(
        "SELECT seq, basis FROM consent_records WHERE tenant_id = $1 AND kind = 'granted' ORDER BY seq LIMIT 1",
        [tenantA],
      );
      const { seq, basis } = rows[0] as { seq: string; basis: string };
      await e.db.query(
        "UPDATE consent_records SET basis = 'express' WHERE tenant_id = $1 AND seq = $2",
        [tenantA, seq],
      );
      const edited = await verify();
      expect(edited.code).toBe(1);
      expect(edited.stdout).toContain(`FAILED\t${tenantA}\trecord ${seq} (event `);
      expect(edited.stdout).toContain('its content does not match its hash (edited)');
      await e.db.query('UPDATE consent_records SET basis = $3 WHERE tenant_id = $1 AND seq = $2', [
        tenantA,
        seq,
        basis,
      ]);
      expect((await verify()).code).toBe(0);
    });

    it('detects a deleted record', async () => {
      const { rows } = await e.db.query(
        'DELETE FROM consent_records WHERE tenant_id = $1 AND seq = 2 RETURNING *',
        [tenantA],
      );
      const deleted = await verify();
      expect(deleted.code).toBe(1);
      expect(deleted.stdout).toContain('record 2 is missing (deleted)');
      const r = rows[0] as Record<string, unknown>;
      const columns = Object.keys(r);
      await e.db.query(
        `INSERT INTO consent_records (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        columns.map((c) => (c === 'evidence' ? JSON.stringify(r[c]) : r[c])),
      );
      expect((await verify()).code).toBe(0);
    });

    it('detects reordered records', async () => {
      // Swap records 2 and 3 (through negative numbers: seq is part of the primary key).
      await e.db.query(
        'UPDATE consent_records SET seq = -seq WHERE tenant_id = $1 AND seq IN (2, 3)',
        [tenantA],
      );
      await e.db.query(
        'UPDATE consent_records SET seq = CASE seq WHEN -2 THEN 3 ELSE 2 END WHERE tenant_id = $1 AND seq IN (-2, -3)',
        [tenantA],
      );
      const reordered = await verify();
      expect(reordered.code).toBe(1);
      expect(reordered.stdout).toMatch(/record 2 \(event .*\): does not follow record 1/);
    });
  });

  it('one-click unsubscribe: the review request carries a link; following it opts out at once, idempotently, without login', async () => {
    const customer = nextCustomer();
    await missedCall(customer, A);
    await settle();
    expect(
      (await runCli(['reviews', 'request', '--tenant', A, '--phone', customer], e.env)).code,
    ).toBe(0);
    await settle();
    const request = e.twilio.to(customer).find((m) => m.body.includes('How did we do?'));
    const link = /Unsubscribe: (\S+)$/.exec(request?.body ?? '')?.[1];
    expect(link, request?.body).toMatch(
      new RegExp(`^${e.env.PUBLIC_BASE_URL}/u/[A-Za-z0-9_-]{22}$`),
    );
    const path = new URL(link!).pathname;

    const first = await fetch(`${e.service.baseUrl}${path}`);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('no more texts from Ledger Plumbing');
    const again = await fetch(`${e.service.baseUrl}${path}`);
    expect(await again.text()).toContain('already unsubscribed');
    // A browser that prefers French gets the page in French.
    const inFrench = await fetch(`${e.service.baseUrl}${path}`, {
      headers: { 'accept-language': 'fr-CA,fr;q=0.9,en;q=0.8' },
    });
    expect(await inFrench.text()).toContain(
      'Vous étiez déjà désabonné des textos de Ledger Plumbing',
    );
    await settle();
    const revocations = (await e.readStream(leadStreamId(tenantA, customer))).filter(
      (ev) => ev.type === 'ConsentRevoked',
    );
    expect(revocations.map((ev) => ev.data)).toEqual([
      expect.objectContaining({ channel: 'one-click-link', evidence: { token: path.slice(3) } }),
    ]);
    // Nothing more is texted to them: a later missed call alerts the owner only.
    const textsBefore = e.twilio.to(customer).length;
    await missedCall(customer, A);
    await settle();
    expect(e.twilio.to(customer)).toHaveLength(textsBefore);

    // Tokens cannot be guessed; the endpoint is rate-limited.
    const forged = await fetch(`${e.service.baseUrl}/u/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(forged.status).toBe(404);
    const statuses = await Promise.all(
      Array.from({ length: 25 }, () =>
        fetch(`${e.service.baseUrl}/u/BBBBBBBBBBBBBBBBBBBBBB`).then((r) => r.status),
      ),
    );
    expect(statuses).toContain(429);
  });

  it('an export of 100,000 records streams in bounded memory', async () => {
    await e.db.query(
      `INSERT INTO consent_records (tenant_id, seq, phone, event_id, log_position, kind, basis,
         source, evidence, occurred_at, expires_at, content, prev_hash, record_hash)
       SELECT 'bulk-tenant', g, '+1647' || lpad(g::text, 7, '0'), gen_random_uuid(), g::text,
              'granted', 'implied-inquiry', 'sms',
              jsonb_build_object('messageSid', 'SM' || md5(g::text)),
              now() - interval '1 day' + g * interval '1 ms', now() + interval '180 days', '{}',
              repeat('0', 64), md5(g::text) || md5(g::text)
         FROM generate_series(1, 100000) g`,
    );
    const peakKb = () => {
      const status = readFileSync(`/proc/${e.service.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]);
    };
    const canMeasure = existsSync(`/proc/${e.service.pid}/status`);
    if (!canMeasure) console.log('[consent export] memory not measured: no /proc on this system');
    const before = canMeasure ? peakKb() : 0;
    const res = await api('/consent/export?format=ndjson', OPERATOR_KEY);
    expect(res.status).toBe(200);
    let lines = 0;
    let bytes = 0;
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const ch of decoder.decode(chunk, { stream: true })) if (ch === '\n') lines++;
    }
    const count = await e.db.query<{ n: number }>('SELECT count(*)::int AS n FROM consent_records');
    expect(lines).toBe(count.rows[0]!.n);
    expect(lines).toBeGreaterThanOrEqual(100_000);
    if (canMeasure) {
      const grewMb = (peakKb() - before) / 1024;
      console.log(
        `[consent export] ${lines} records, ${(bytes / 1048576).toFixed(1)} MiB streamed; the server's peak RSS grew by ${grewMb.toFixed(1)} MiB`,
      );
      expect(grewMb).toBeLessThan(bytes / 1048576 / 2);
    }
  });
});
