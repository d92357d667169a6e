import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { parse } from 'fast-querystring';
import pg from 'pg';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { CallSteps } from '../../src/commands/call-steps.ts';
import { recordSmsStatus } from '../../src/commands/record-sms-status.ts';
import { registerTenant } from '../../src/commands/register-tenant.ts';
import { clientConfig } from '../../src/db/client-config.ts';
import { DatabaseReach } from '../../src/db/reach.ts';
import { Intake } from '../../src/intake/intake.ts';
import { Spool } from '../../src/intake/spool.ts';
import { PostgresEventLog } from '../../src/log/postgres/postgres-event-log.ts';
import { TenantRouting } from '../../src/projections/tenants/tenant-routing.ts';
import { leadCallerId } from '../../src/rules/caller-id.ts';
import { systemClock } from '../../src/shared/clock.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createTestDatabase } from '../support/database.ts';

const TOKEN = 'f'.repeat(32);
const ACCOUNT = 'AC' + 'ab'.repeat(16);
const BASE = 'https://leads.example.com';
const NUMBER = '+14165550150';
/** Cases per property; the two properties together send 10,000 webhooks. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 5_000);

const ROUTES = [
  '/twilio/voice',
  '/twilio/voice/status',
  '/twilio/voice/emergency',
  '/twilio/voice/screen',
  '/twilio/voice/screen/result',
  '/twilio/sms',
  '/twilio/sms/status',
] as const;

/** Percent-encodes text as a client would (a lone surrogate cannot be sent: it becomes U+FFFD). */
const enc = (text: string) => encodeURIComponent(text.toWellFormed());
const sid = (prefix: string) =>
  fc
    .uint8Array({ minLength: 16, maxLength: 16 })
    .map((bytes) => prefix + Buffer.from(bytes).toString('hex'));
const hostileText = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }, // lone surrogates too
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\u0000',
      'a\u0000b',
      '\uD800',
      '\uDFFF\uD800',
      '%',
      '+',
      '&=',
      '\r\n',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(10_000), 'ü'.repeat(5_000)) }, // 10 kB values
);
const phone = fc.oneof(
  fc.constantFrom(
    '+14165550123',
    '+16475550188',
    'sip:+14165550000@example.com',
    'client:alice',
    'Anonymous',
    '+86282452253',
    '+266696687',
    '+7378742833',
    '12345',
    '',
    NUMBER,
  ),
  hostileText,
);
const count = fc.oneof(
  fc.constantFrom('0', '1', '10', '11', '10000000', '50000000', '-1', '1e309', 'NaN', '0x10', ''),
  fc.integer().map(String),
);
/** A value for a parameter Twilio sends, or something hostile in its place. */
const valueFor = (key: string): fc.Arbitrary<string> => {
  if (key === 'From' || key === 'To' || key === 'Called' || key === 'Caller') return phone;
  if (key === 'CallSid' || key === 'DialCallSid') return fc.oneof(sid('CA'), hostileText);
  if (key === 'MessageSid' || key === 'SmsSid') return fc.oneof(sid('SM'), sid('MM'), hostileText);
  if (key === 'NumMedia' || key === 'DialCallDuration' || key === 'NumSegments') return count;
  if (key === 'AccountSid') return fc.oneof(fc.constant(ACCOUNT), hostileText);
  if (key === 'DialCallStatus' || key === 'CallStatus' || key === 'MessageStatus')
    return fc.oneof(
      fc.constantFrom('no-answer', 'completed', 'busy', 'delivered', 'ringing'),
      hostileText,
    );
  if (key === 'Digits')
    return fc.oneof(fc.constantFrom('1', '2', '', '#', '1'.repeat(100)), hostileText);
  if (key.startsWith('MediaUrl'))
    return fc.oneof(
      fc.constant('https://api.twilio.com/2010-04-01/Media/ME1'),
      fc.constant('javascript:alert(1)'),
      hostileText,
    );
  return hostileText;
};
const KEYS = [
  'AccountSid',
  'CallSid',
  'From',
  'To',
  'Called',
  'Caller',
  'CallStatus',
  'DialCallStatus',
  'DialCallSid',
  'DialCallDuration',
  'Digits',
  'MessageSid',
  'SmsSid',
  'Body',
  'NumMedia',
  'MediaUrl0',
  'MediaContentType0',
  'MediaUrl9',
  'MediaUrl10',
  'MessageStatus',
  'ErrorCode',
  'OptOutType',
  'NumSegments',
  '__proto__',
  'constructor',
];
/** Raw escapes that are not UTF-8 (or are NUL): sent as they are, never decoded by us. */
const RAW = fc.constantFrom('%FF', '%C3%28', '%ED%A0%80', '%00', '%E2%82', '%F8%88%80%80%80');

/** One form field: a key, and its value either encoded from text or raw bytes. */
const field = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .constantFrom(...KEYS)
      .chain((k) => fc.tuple(fc.constant(k), valueFor(k).map(enc))),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...KEYS), RAW) },
  {
    weight: 1,
    arbitrary: fc.tuple(hostileText.map(enc), hostileText.map(enc)),
  },
);

/** The callback query a Dial action or Gather carries, or a hostile one. */
const query = (tenantId: string) =>
  fc.oneof(
    fc.constant(''),
    fc
      .record({
        callSid: sid('CA'),
        leg: fc.constantFrom('owner', 'on-call', 'x'),
        caller: phone,
        screened: fc.constantFrom('1', '0'),
      })
      .map(
        (q) =>
          `?tenantId=${tenantId}&callSid=${q.callSid}&leg=${q.leg}&caller=${enc(q.caller)}&screened=${q.screened}`,
      ),
    hostileText.map((t) => `?tenantId=${enc(t)}&callSid=${enc(t)}&outboxId=${enc(t)}`),
  );

/** Anything at all: a route and query, random fields (duplicated keys allowed). */
const anyRequest = (tenantId: string) =>
  fc.record({
    route: fc.constantFrom(...ROUTES),
    query: query(tenantId),
    fields: fc.array(field, { maxLength: 16 }),
    json: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
  });

/**
 * What Twilio would send for a route, for one call or text from `from`, then damaged by a
 * few hostile fields (a replaced, duplicated or raw value): deep enough to reach the
 * commands and the log.
 */
const nearlyValidRequest = (tenantId: string) =>
  fc
    .record({
      route: fc.constantFrom(...ROUTES),
      callSid: sid('CA'),
      messageSid: sid('SM'),
      from: fc.oneof(
        {
          weight: 3,
          arbitrary: fc
            .integer({ min: 0, max: 9_999 })
            .map((n) => `+1647555${String(n).padStart(4, '0')}`),
        },
        { weight: 1, arbitrary: phone },
      ),
      status: fc.constantFrom('no-answer', 'completed', 'busy', 'failed', 'canceled', 'answered'),
      body: fc.oneof(fc.constantFrom('STOP', 'START', 'HELP', 'burst pipe!', 'yes'), hostileText),
      digits: fc.constantFrom('1', '2', ''),
      damage: fc.array(field, { maxLength: 3 }),
    })
    .map((r) => {
      const common: Array<[string, string]> = [
        ['AccountSid', ACCOUNT],
        ['From', enc(r.from)],
        ['To', enc(NUMBER)],
      ];
      const byRoute: Record<(typeof ROUTES)[number], Array<[string, string]>> = {
        '/twilio/voice': [
          ['CallSid', r.callSid],
          ['CallStatus', 'ringing'],
        ],
        '/twilio/voice/status': [
          ['CallSid', r.callSid],
          ['DialCallStatus', r.status],
          ['DialCallDuration', '12'],
        ],
        '/twilio/voice/emergency': [
          ['CallSid', r.callSid],
          ['Digits', r.digits],
        ],
        '/twilio/voice/screen': [['CallSid', r.callSid]],
        '/twilio/voice/screen/result': [
          ['CallSid', r.callSid],
          ['Digits', r.digits],
        ],
        '/twilio/sms': [
          ['MessageSid', r.messageSid],
          ['Body', enc(r.body)],
          ['NumMedia', '0'],
        ],
        '/twilio/sms/status': [
          ['MessageSid', r.messageSid],
          ['MessageStatus', 'delivered'],
        ],
      };
      const callback = r.route !== '/twilio/voice' && r.route !== '/twilio/sms';
      return {
        route: r.route,
        query: callback
          ? `?tenantId=${tenantId}&callSid=${r.callSid}&leg=owner&caller=${enc(r.from)}`
          : '',
        fields: [...common, ...byRoute[r.route], ...r.damage],
        json: false,
      };
    });

/** A webhook request, mostly nearly valid, sometimes anything at all. */
const webhook = (tenantId: string) =>
  fc.oneof(
    { weight: 3, arbitrary: nearlyValidRequest(tenantId) },
    { weight: 1, arbitrary: anyRequest(tenantId) },
  );

describe('fuzzing every Twilio webhook route, signed and unsigned', () => {
  let app: FastifyInstance;
  let pool: pg.Pool;
  let log: PostgresEventLog;
  let intake: Intake;
  let spoolDir: string;
  let tenantId: string;
  const timings: number[] = [];
  const statuses = new Map<number, number>();
  let sent = 0;

  beforeAll(async () => {
    const url = await createTestDatabase();
    pool = new pg.Pool({ ...clientConfig(url), max: 8 });
    log = await PostgresEventLog.open({ url, pool, log: silentLogger });
    const { tenant } = await registerTenant(
      {
        name: 'Fuzz Plumbing',
        twilioNumber: NUMBER,
        ownerPhone: '+14165550159',
        timezone: 'America/Toronto',
        businessHours: '00:00-24:00',
      },
      { log, db: pool, clock: systemClock },
    );
    tenantId = tenant.tenantId;
    spoolDir = await mkdtemp(path.join(os.tmpdir(), 'leadline-fuzz-spool-'));
    const reach = new DatabaseReach({ logger: silentLogger });
    intake = new Intake({
      log,
      spool: await Spool.open(spoolDir, { maxBytes: 64 * 1024 * 1024 }),
      appendDeadlineMs: 3_000,
      logger: silentLogger,
      recordStatus: (entry) => recordSmsStatus(entry.status, { log, db: pool, clock: systemClock }),
    });
    intake.start();
    app = await buildServer({
      log,
      db: pool,
      clock: systemClock,
      logger: silentLogger,
      publicBaseUrl: BASE,
      webhookAuthToken: TOKEN,
      operatorApiKey: 'o'.repeat(32),
      webhooks: {
        log: intake.log,
        accountSid: ACCOUNT,
        unsignedPerMinute: 1_000_000, // let every unsigned case reach the signature check
        tenants: new TenantRouting(pool, reach),
        callSteps: new CallSteps(pool, reach),
        reach,
        defer: (entry) => intake.defer(entry),
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await intake?.stop();
    await log?.close();
    await pool?.end();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
    if (timings.length) {
      const sorted = [...timings].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      console.log(
        `[fuzz] ${sent} webhooks: p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, ` +
          `max ${sorted.at(-1)!.toFixed(1)} ms; answers ${[...statuses]
            .sort()
            .map(([s, n]) => `${s}×${n}`)
            .join(', ')}; no 5xx`,
      );
    }
  });

  /** Sends one case; returns the status after checking the answer's time and class. */
  async function send(
    c: { route: string; query: string; fields: Array<[string, string]>; json: boolean },
    signature: 'valid' | 'none' | 'forged',
  ): Promise<number> {
    const path = c.route + c.query;
    const body = c.fields.map(([k, v]) => `${enc(k)}=${v}`).join('&');
    const headers: Record<string, string> = {
      'content-type': c.json ? 'application/json' : 'application/x-www-form-urlencoded',
    };
    if (signature === 'valid') {
      headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(
        TOKEN,
        BASE + path,
        parse(body),
      );
    } else if (signature === 'forged') {
      headers['x-twilio-signature'] = 'bm90IGEgc2lnbmF0dXJl';
    }
    const started = performance.now();
    const res = await app.inject({ method: 'POST', url: path, headers, payload: body });
    const ms = performance.now() - started;
    timings.push(ms);
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    sent++;
    expect(res.statusCode, `${path} ${body.slice(0, 300)}: ${res.body.slice(0, 300)}`).toBeLessThan(
      500,
    );
    // A guard against a hang (a catastrophic regex, a lost promise), not a speed target: the
    // timings are printed after the run, and the benches hold the speed. Twilio gives up on a
    // webhook after 15 s; on a loaded two-core CI machine one answer took 1.2 s.
    expect(ms).toBeLessThan(5_000);
    return res.statusCode;
  }

  const eventCount = async () =>
    Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n);

  it('unsigned and forged: never a 5xx, never a write', async () => {
    const before = await eventCount();
    await fc.assert(
      fc.asyncProperty(
        webhook(tenantId),
        fc.constantFrom('none', 'forged') as fc.Arbitrary<'none' | 'forged'>,
        async (c, how) => {
          const status = await send(c, how);
          expect([403, 413, 415]).toContain(status);
        },
      ),
      { numRuns: RUNS },
    );
    expect(await eventCount()).toBe(before);
  }, 600_000);

  it('signed: never a 5xx; the only leads are real E.164 callers', async () => {
    await fc.assert(
      fc.asyncProperty(webhook(tenantId), async (c) => {
        const status = await send(c, 'valid');
        expect([200, 400, 403, 413, 415]).toContain(status);
      }),
      { numRuns: RUNS },
    );
    const { rows } = await pool.query<{ stream_id: string }>(
      `SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'lead:%'`,
    );
    for (const { stream_id } of rows) {
      const phone = stream_id.split(':')[2];
      expect(leadCallerId(phone), stream_id).toBe(phone);
    }
    console.log(`[fuzz] signed cases made ${rows.length} leads, every one a real E.164 caller`);
  }, 600_000);
});
