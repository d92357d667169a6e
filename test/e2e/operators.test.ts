import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEvent } from '../../src/events/new-event.ts';
import { leadStreamId } from '../../src/events/streams.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { actors } from '../support/actors.ts';
import { e2eBackends, OPERATOR_KEY, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { leadlineCommand, runCli, track } from '../../harness/service-process.ts';
import { waitUntilSettled } from '../support/settle.ts';

/** A JSON response body, read ad hoc by the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = any;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What operators and the owner can observe: everything a rebuild must leave as it was. */
async function observable(e: E2eEnv, tenantId: string, phones: string[]) {
  const { api } = actors(() => e);
  const get = async (p: string): Promise<Body> => (await api(p, OPERATOR_KEY)).json();
  const q = `tenant=${tenantId}`;
  const leads = await get(`/leads?${q}`);
  const timelines = [];
  const consent = [];
  for (const phone of phones) {
    timelines.push(await get(`/leads/${encodeURIComponent(phone)}?${q}`));
    consent.push(await get(`/consent/${encodeURIComponent(phone)}?${q}`));
  }
  const counts = await e.db.query<{ outbox: number; timers: number; events: number }>(
    `SELECT (SELECT count(*)::int FROM outbound_messages) AS outbox,
            (SELECT count(*)::int FROM timers) AS timers,
            (SELECT count(*)::int FROM events) AS events`,
  );
  return {
    leads,
    timelines,
    consent,
    summary: await get(`/summary?${q}`),
    sentToTwilio: e.twilio.messages.length,
    counts: counts.rows[0],
  };
}

describe.each(e2eBackends())('operators: rebuild and replay on $backend', ({ backend, env }) => {
  let e: E2eEnv;
  let tenantId: string;
  const NUMBER = '+14165554000';
  const customers = ['+16475554001', '+16475554002', '+16475554003'];
  const { missedCall, sms } = actors(() => e);

  beforeAll(async () => {
    e = await startE2eEnv(env);
    tenantId = await e.addTenant({
      name: 'Rebuild Plumbing',
      number: NUMBER,
      owner: '+14165554099',
      extra: ['--alert-debounce', '0'],
    });
    await missedCall(customers[0]!, NUMBER);
    await missedCall(customers[1]!, NUMBER);
    await sms(customers[1]!, NUMBER, 'Water heater is leaking, can you come today?');
    await sms(customers[2]!, NUMBER, 'How much for a toilet install?');
    await sms(customers[0]!, NUMBER, 'STOP');
    await waitUntilSettled(e.databaseUrl);
  });
  afterAll(async () => {
    await e?.close();
  });

  it('rebuilding every projection and replaying every processor, while the service runs, sends nothing and serves the same', async () => {
    const before = await observable(e, tenantId, customers);
    expect(before.sentToTwilio).toBeGreaterThan(0);

    const result = await runCli(['projections', 'rebuild', '--all'], e.env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.match(/switched to v1/g)).toHaveLength(6);
    expect(result.stderr).toMatch(/events\/s/);

    await waitUntilSettled(e.databaseUrl);
    const after = await observable(e, tenantId, customers);
    if (backend === 'kafka') {
      // Kafka orders events per partition only: the rebuilt ledger may chain different
      // numbers' records in another order. Each record, and the chain's validity, stand.
      const unchained = (o: Body) =>
        o.consent.map((c: Body) =>
          c.records.map(
            ({ seq, prevHash, recordHash, ...rest }: Body) => (
              void [seq, prevHash, recordHash],
              rest
            ),
          ),
        );
      expect(unchained(after)).toEqual(unchained(before));
      expect({ ...after, consent: null }).toEqual({ ...before, consent: null });
    } else {
      expect(after).toEqual(before);
    }
    const verify = await runCli(['consent', 'verify', '--tenant', tenantId], e.env);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    const list = await runCli(['projections', 'list', '--json'], e.env);
    const states: Body[] = JSON.parse(list.stdout);
    expect(states.map((s) => s.state)).toEqual(Array(6).fill('serving'));
    expect(states.every((s) => s.eventsBehind === 0 && s.position !== null)).toBe(true);

    // The live consumers carry on, on the new tables: one new missed call, one text.
    const newcomer = '+16475554009';
    await missedCall(newcomer, NUMBER);
    await waitUntilSettled(e.databaseUrl);
    expect(e.twilio.to(newcomer)).toHaveLength(1);
    const { api } = actors(() => e);
    const lead: Body = await (
      await api(`/leads/${encodeURIComponent(newcomer)}?tenant=${tenantId}`, OPERATOR_KEY)
    ).json();
    expect(lead.phone).toBe(newcomer);
  });
});

describe('operators: a rebuild beside the serving version, paused and resumed', () => {
  let e: E2eEnv;
  let tenantId: string;
  const NUMBER = '+14165555000';
  // Enough history that a rebuild (tens of thousands of events a second) is still running
  // when the test presses Ctrl-C at its first progress line.
  const SEEDED = 100_000;

  beforeAll(async () => {
    // The API role only: no worker reads the log, so the seeded history is projected only by
    // the rebuilds below (and nothing could be sent).
    e = await startE2eEnv({ LOG_BACKEND: 'postgres' }, ['serve', '--role', 'api']);
    tenantId = await e.addTenant({ name: 'Paused Drains', number: NUMBER, owner: '+14165555099' });
    // Auto-replies: projected on the dashboard, never answered, so nothing is sent.
    const log = await e.eventLog();
    for (let batch = 0; batch < SEEDED / 1_000; batch++) {
      await log.append(
        Array.from({ length: 1_000 }, (_, i) => {
          const phone = `+1647556${String((batch * 1_000 + i) % 500).padStart(4, '0')}`;
          return newEvent(
            {
              type: 'SmsInbound',
              streamId: leadStreamId(tenantId, phone),
              tenantId,
              idempotencyKey: randomUUID(),
              data: {
                messageSid: `SM${randomUUID().replace(/-/g, '')}`,
                from: phone,
                to: NUMBER,
                body: 'I am driving right now. I will get back to you.',
                keyword: null,
                optOutType: null,
                autoReply: true,
                urgency: 'STANDARD',
                media: [],
              },
            },
            systemClock,
          );
        }),
      );
    }
    // The serving version: built by a first rebuild (no worker reads, so it takes over).
    const first = await runCli(['projections', 'rebuild', 'dashboard'], e.env);
    if (first.code !== 0) throw new Error(first.stderr);
  }, 180_000);
  afterAll(async () => {
    await e?.close();
  });

  const dashboardState = async () => {
    const list = await runCli(['projections', 'list', '--json'], e.env);
    return (JSON.parse(list.stdout) as Body[]).find((s) => s.name === 'dashboard');
  };

  it('Ctrl-C leaves the serving version untouched; --no-switch builds without switching; the next run resumes and switches', async () => {
    const leadsBefore: Body = await (
      await fetch(`${e.service.baseUrl}/api/v1/leads?tenant=${tenantId}&limit=100`, {
        headers: { authorization: `Bearer ${OPERATOR_KEY}` },
      })
    ).json();
    expect(leadsBefore.leads).toHaveLength(100);

    // Start a rebuild and press Ctrl-C once it reports progress.
    const child = track(
      spawn(process.execPath, [...leadlineCommand(), 'projections', 'rebuild', 'dashboard'], {
        cwd: ROOT,
        env: { ...process.env, ...e.env },
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (c) => {
        stderr += c;
        if (/events\/s/.test(stderr)) resolve();
      }),
    );
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code, stderr).toBe(130);
    expect(stdout).toMatch(/paused at [\d,]+\/[\d,]+ events; the serving version is untouched/);
    expect(stderr).toMatch(/\[[#-]+\]\s+\d+% [\d,]+\/[\d,]+ events\s+[\d,]+ events\/s\s+ETA/);
    const paused = Number(/paused at ([\d,]+)/.exec(stdout)![1]!.replace(/,/g, ''));
    expect(paused).toBeLessThan(SEEDED);
    expect((await dashboardState()).state).toMatch(/^rebuilding v1: \d+%$/);
    // Mid-rebuild, the copy keeps only what the projection itself reads by (keys, MessageSid).
    const building = await e.db.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE schemaname = 'rebuild_dashboard'`,
    );
    expect(building.rows.some((r) => r.indexdef.includes('last_contact_at'))).toBe(false);
    expect(building.rows.some((r) => r.indexdef.includes('(message_sid)'))).toBe(true);

    // The serving version still serves, unchanged.
    const leadsDuring: Body = await (
      await fetch(`${e.service.baseUrl}/api/v1/leads?tenant=${tenantId}&limit=100`, {
        headers: { authorization: `Bearer ${OPERATOR_KEY}` },
      })
    ).json();
    expect(leadsDuring).toEqual(leadsBefore);

    // Resume, but do not switch yet.
    const prepared = await runCli(['projections', 'rebuild', 'dashboard', '--no-switch'], e.env);
    expect(prepared.code, prepared.stderr).toBe(0);
    expect(prepared.stdout).toMatch(/v1 caught up, not switched/);
    expect((await dashboardState()).state).toBe('rebuilt v1, not switched');
    const rebuiltRows = await e.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM rebuild_dashboard.dashboard_messages',
    );
    const servingRows = await e.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM public.dashboard_messages',
    );
    expect(rebuiltRows.rows[0]!.n).toBe(servingRows.rows[0]!.n);

    // Switch.
    const switched = await runCli(['projections', 'rebuild', 'dashboard'], e.env);
    expect(switched.code, switched.stderr).toBe(0);
    expect(switched.stdout).toMatch(/dashboard: switched to v1/);
    expect((await dashboardState()).state).toBe('serving');
    const schemas = await e.db.query(
      `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild_%' OR nspname LIKE 'retired_%'`,
    );
    expect(schemas.rows).toEqual([]);
    // Migrations refer to indexes by name: the switched tables keep them.
    // The indexes only readers use were built at the end of the rebuild, not row by row; all
    // are there, under the serving names.
    const indexes = await e.db.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename LIKE 'dashboard_%'`,
    );
    expect(indexes.rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining([
        'dashboard_messages_sid',
        'dashboard_leads_recent',
        'dashboard_calls_received',
        'dashboard_calls_lead',
        'dashboard_messages_at',
        'dashboard_messages_lead',
      ]),
    );

    const leadsAfter: Body = await (
      await fetch(`${e.service.baseUrl}/api/v1/leads?tenant=${tenantId}&limit=100`, {
        headers: { authorization: `Bearer ${OPERATOR_KEY}` },
      })
    ).json();
    expect(leadsAfter).toEqual(leadsBefore);
    expect(e.twilio.messages).toHaveLength(0);
  }, 240_000);

  it('refuses an unknown name with the known ones', async () => {
    const result = await runCli(['projections', 'rebuild', 'dashbord'], e.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /no projection or processor "dashbord"; known: tenants, .*dashboard/,
    );
  });
});

describe('operators: poison events', () => {
  let e: E2eEnv;
  let tenantId: string;
  const NUMBER = '+14165556000';
  const { missedCall } = actors(() => e);

  beforeAll(async () => {
    e = await startE2eEnv({ LOG_BACKEND: 'postgres', LEADLINE_CONSUMER_MAX_ATTEMPTS: '2' });
    tenantId = await e.addTenant({
      name: 'Poison Plumbing',
      number: NUMBER,
      owner: '+14165556099',
      extra: ['--alert-debounce', '0'],
    });
  });
  afterAll(async () => {
    await e?.close();
  });

  it('a projection stops at an event it cannot handle, processors go on, and an operator skips it', async () => {
    // An event a buggy producer wrote straight into the log: a call with no data at all.
    const broken = leadStreamId(tenantId, '+16475556001');
    await e.db.query(
      `INSERT INTO events (epoch, event_id, stream_id, type, schema_version, tenant_id, occurred_at, recorded_at, data)
       VALUES ((SELECT COALESCE(max(epoch), 0) FROM events), $1, $2, 'CallReceived', 1, $3, now(), now(), '{}')`,
      [randomUUID(), broken, tenantId],
    );
    await e.db.query(`SELECT pg_notify('leadline_events', '')`);

    let letters: Body[] = [];
    for (let i = 0; i < 300 && letters.length === 0; i++) {
      ({ rows: letters } = await e.db.query(
        `SELECT id FROM dead_letters WHERE consumer_name = 'projection:dashboard'`,
      ));
      if (letters.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const listing = await runCli(['deadletters', 'list', '--json'], e.env);
    letters = listing.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const letter = letters.find((l) => l.consumer === 'projection:dashboard')!;
    expect(letter).toMatchObject({
      policy: 'stop',
      status: 'open',
      eventType: 'CallReceived',
      streamId: broken,
    });
    expect(letter.attempts).toBe(2);

    const table = await runCli(['deadletters', 'list'], e.env);
    expect(table.stdout).toContain(`${letter.id}\tprojection:dashboard\topen\tCallReceived`);
    expect(table.stdout).toContain('consumer stopped');
    const list = await runCli(['projections', 'list', '--json'], e.env);
    const dashboard = (JSON.parse(list.stdout) as Body[]).find((s) => s.name === 'dashboard');
    expect(dashboard.state).toBe(`stopped at dead letter ${letter.id}`);

    // Another customer's missed call: texted (processors go on), but not on the stopped dashboard.
    const caller = '+16475556002';
    await missedCall(caller, NUMBER);
    for (let i = 0; i < 100 && e.twilio.to(caller).length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(e.twilio.to(caller)).toHaveLength(1);
    const auth = { headers: { authorization: `Bearer ${OPERATOR_KEY}` } };
    const listed = async (): Promise<string[]> => {
      const page: Body = await (
        await fetch(`${e.service.baseUrl}/api/v1/leads?tenant=${tenantId}`, auth)
      ).json();
      return page.leads.map((l: Body) => l.phone);
    };
    expect(await listed()).not.toContain(caller);

    // A retry fails again (the event is still broken); a skip lets the dashboard go on.
    const retry = await runCli(['deadletters', 'retry', letter.id], e.env);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toMatch(new RegExp(`dead letter ${letter.id} failed again`));
    const skip = await runCli(['deadletters', 'skip', letter.id], e.env);
    expect(skip.code, skip.stderr).toBe(0);
    expect(skip.stdout).toMatch(new RegExp(`dead letter ${letter.id} skipped`));
    let phones: string[] = [];
    for (let i = 0; i < 100 && !phones.includes(caller); i++) {
      phones = await listed();
      if (!phones.includes(caller)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(phones).toContain(caller);
    const open = await runCli(['deadletters', 'list', '--consumer', 'projection:dashboard'], e.env);
    expect(open.stdout.trim()).toBe('no dead letters');
    const all = await runCli(
      ['deadletters', 'list', '--all', '--json', '--consumer', 'projection:dashboard'],
      e.env,
    );
    expect(JSON.parse(all.stdout.trim().split('\n')[0]!)).toMatchObject({
      id: letter.id,
      status: 'skipped',
    });
  }, 180_000);

  it('refuses a retry of an unknown dead letter clearly', async () => {
    const result = await runCli(['deadletters', 'retry', '999999'], e.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no dead letter 999999/);
    const bad = await runCli(['deadletters', 'skip', 'abc'], e.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/dead letter id must be a number/);
  });
});
