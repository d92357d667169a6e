import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LeadlineEvent } from '../../src/events/catalogue.ts';
import { newEvent } from '../../src/events/new-event.ts';
import { leadStreamId, REJECTED_WEBHOOKS_STREAM } from '../../src/events/streams.ts';
import { type Clock } from '../../src/shared/clock.ts';
import { deterministicId } from '../../src/shared/ids.ts';
import { loadConfig } from '../../src/config/config.ts';
import { openEventLog } from '../../src/runtime/open-log.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { InvalidBackupError } from '../../src/runtime/backup/read-backup.ts';
import { verifyBackup } from '../../src/runtime/backup/restore.ts';
import { createTestDatabase } from '../support/database.ts';
import { ACCOUNT_SID, AUTH_TOKEN, startE2eEnv, type E2eEnv } from '../support/e2e-env.ts';
import { FakeTwilio } from '../../harness/fake-twilio.ts';
import { freePort, runCli, ServiceProcess } from '../../harness/service-process.ts';
import { waitUntilSettled } from '../support/settle.ts';

const NUMBER = '+14165550100';
const OWNER = '+14165550199';
const TOTAL_EVENTS = 100_000;
const LEADS = 400;

/** What was appended, to check the restored read models against. */
interface Tally {
  calls: number;
  answered: number;
  texts: number;
  grants: number;
  revocations: number;
  optedOut: Set<string>;
  contacted: Set<string>;
}

const newTally = (): Tally => ({
  calls: 0,
  answered: 0,
  texts: 0,
  grants: 0,
  revocations: 0,
  optedOut: new Set(),
  contacted: new Set(),
});

/** Counts `event` into `tally`. */
function count(tally: Tally, event: LeadlineEvent): void {
  if (event.type === 'CallReceived') tally.calls++;
  else if (event.type === 'DialAnswered') tally.answered++;
  else if (event.type === 'SmsInbound') tally.texts++;
  else if (event.type === 'ConsentGranted') tally.grants++;
  else if (event.type === 'ConsentRevoked') {
    tally.revocations++;
    tally.optedOut.add(event.data.phone);
  } else if (event.type === 'LeadStatusChanged') tally.contacted.add(event.data.phone);
}

/**
 * A realistic log that makes a worker send nothing, even live. Every 40th slot is a lead's call, answered, with its
 * implied consent (and now and then an automatic reply, the owner marking the lead contacted,
 * or a STOP Twilio already answered, with its revocation): about 8,000 lead events for
 * {@link LEADS} leads. The other slots are webhooks refused for their signature, as a scanner
 * probing the public endpoint leaves them: every consumer reads them, none acts, so the test
 * moves 100,000 events through backup and restore without spending minutes in handlers (a
 * rebuild's handler cost is measured by the projections' own benchmark). SMS events are
 * written at schema version 1 (`numMedia`, `mediaUrls`), as an older Leadline stored them, to
 * show that a backup copies the log as stored.
 */
function* history(tenantId: string, days = 20): Generator<LeadlineEvent> {
  const optedOut = new Set<string>();
  const start = Date.now() - days * 86_400_000;
  for (let i = 0; ; i++) {
    const at = new Date(start + i * 15_000);
    const clock: Clock = { now: () => at };
    if (i % 40 !== 0) {
      const sms = i % 3 !== 0;
      const sid = `${sms ? 'SM' : 'CA'}${String(i).padStart(32, '0')}`;
      yield newEvent(
        {
          type: 'WebhookRejected',
          streamId: REJECTED_WEBHOOKS_STREAM,
          tenantId: null,
          idempotencyKey: `scan:${i}`,
          correlationId: sid,
          data: {
            route: sms ? '/twilio/sms' : '/twilio/voice',
            reason: i % 2 === 0 ? 'invalid-signature' : 'missing-signature',
            to: NUMBER,
            sid,
          },
        },
        clock,
      );
      continue;
    }
    const n = i / 40;
    const lead = n % LEADS;
    const phone = `+1647555${String(1000 + lead).padStart(4, '0')}`;
    const streamId = leadStreamId(tenantId, phone);
    const callSid = `CA${String(i).padStart(32, '0')}`;
    const common = { streamId, tenantId, occurredAt: at, correlationId: callSid };
    yield newEvent(
      {
        ...common,
        type: 'CallReceived',
        idempotencyKey: callSid,
        data: {
          callSid,
          from: phone,
          to: NUMBER,
          callStatus: 'ringing',
          mode: 'business-hours',
          action: 'ring-owner',
        },
        traceparent: `00-${String(i).padStart(32, '0')}-${'1'.repeat(16)}-01`,
      },
      clock,
    );
    // As the voice command does: no implied consent for a number that opted out.
    if (!optedOut.has(phone))
      yield newEvent(
        {
          ...common,
          type: 'ConsentGranted',
          idempotencyKey: `${callSid}:implied-inquiry`,
          data: {
            phone,
            basis: 'implied-inquiry',
            source: 'call',
            evidence: { callSid },
            expiresAt: new Date(at.getTime() + 182 * 86_400_000).toISOString(),
          },
        },
        clock,
      );
    yield newEvent(
      {
        ...common,
        type: 'DialAnswered',
        idempotencyKey: `${callSid}:answered`,
        data: {
          callSid,
          dialCallSid: `CA${String(i).padStart(31, '0')}d`,
          dialCallStatus: 'completed',
          dialCallDurationSeconds: 45,
          leg: 'owner',
        },
      },
      clock,
    );
    if (n % 7 === 3) yield smsV1(tenantId, phone, `SM${String(i).padStart(31, '0')}a`, at, false);
    if (n % 11 === 5) {
      yield newEvent(
        {
          ...common,
          type: 'LeadStatusChanged',
          idempotencyKey: `${callSid}:contacted`,
          data: { phone, status: 'contacted', changedBy: 'cli', note: null },
        },
        clock,
      );
    }
    if (n % 97 === 50) {
      const messageSid = `SM${String(i).padStart(31, '0')}s`;
      optedOut.add(phone);
      yield smsV1(tenantId, phone, messageSid, at, true);
      yield newEvent(
        {
          ...common,
          correlationId: messageSid,
          type: 'ConsentRevoked',
          idempotencyKey: `${messageSid}:revoked`,
          data: { phone, channel: 'keyword', text: 'STOP', evidence: { messageSid } },
        },
        clock,
      );
    }
  }
}

/** An `SmsInbound` as schema version 1 stored it: an automatic reply, or a STOP Twilio answered. */
function smsV1(
  tenantId: string,
  phone: string,
  messageSid: string,
  at: Date,
  stop: boolean,
): LeadlineEvent {
  return {
    id: deterministicId('SmsInbound', messageSid),
    type: 'SmsInbound',
    schemaVersion: 1,
    streamId: leadStreamId(tenantId, phone),
    tenantId,
    occurredAt: at.toISOString(),
    recordedAt: at.toISOString(),
    causationId: null,
    correlationId: messageSid,
    traceparent: null,
    data: {
      messageSid,
      from: phone,
      to: NUMBER,
      body: stop ? 'STOP' : "I'm driving right now, I'll get back to you",
      numMedia: 0,
      mediaUrls: [],
      keyword: stop ? 'opt-out' : null,
      optOutType: stop ? 'STOP' : null,
      autoReply: !stop,
      urgency: 'STANDARD',
    },
  } as unknown as LeadlineEvent;
}

/** Every event column, in log order, as one digest (and the count and the ends). */
async function logDigest(db: pg.Pool) {
  const { rows } = await db.query<{ n: number; digest: string; first: string; last: string }>(
    `SELECT count(*)::int AS n,
            md5(string_agg(concat_ws('|', event_id, type, schema_version, stream_id, tenant_id,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
              to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
              causation_id, correlation_id, traceparent, data::text), E'\\n'
              ORDER BY epoch, transaction_id, position)) AS digest,
            (array_agg(event_id::text ORDER BY epoch, transaction_id, position))[1] AS first,
            (array_agg(event_id::text ORDER BY epoch DESC, transaction_id DESC, position DESC))[1] AS last
       FROM events`,
  );
  return rows[0]!;
}

/** A read model table as a count and a digest of its rows, minus bookkeeping columns. */
async function tableDigest(db: pg.Pool, table: string, orderBy: string, without: string[] = []) {
  const { rows } = await db.query<{ n: number; digest: string | null }>(
    `SELECT count(*)::int AS n,
            md5(string_agg((to_jsonb(t) - $1::text[])::text, E'\\n' ORDER BY ${orderBy})) AS digest
       FROM ${table} t`,
    [without],
  );
  return rows[0]!;
}

const READ_MODELS: Array<[string, string, string[]]> = [
  ['tenants', 'tenant_id', []],
  ['dashboard_leads', 'tenant_id, phone', []],
  ['dashboard_calls', 'tenant_id, call_sid', []],
  ['dashboard_messages', 'tenant_id, message_key', []],
  ['consent_gate', 'tenant_id, phone', []],
  ['consent_records', 'tenant_id, seq', []],
  ['consent_chain_heads', 'tenant_id', []],
  ['lead_states', 'tenant_id, phone', ['updated_at']],
];

/** Every read model, as digests. */
async function readModels(db: pg.Pool) {
  const out: Record<string, { n: number; digest: string | null }> = {};
  for (const [table, order, without] of READ_MODELS) {
    out[table] = await tableDigest(db, table, order, without);
  }
  return out;
}

/** One number from a query. */
async function one(db: pg.Pool, sql: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql);
  return Number(rows[0]!.n);
}

/** The lines of a gzip NDJSON file. */
async function ndjsonLines(file: string): Promise<string[]> {
  const text = gunzipSync(await readFile(file)).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

const backupPath = (stdout: string) => /^backup: (.+)$/m.exec(stdout)?.[1];

describe('leadline backup and restore (PostgreSQL log)', () => {
  let source: E2eEnv;
  let tenantId: string;
  let work: string;
  let bigBackup: string;
  const pools: pg.Pool[] = [];
  const stops: Array<() => Promise<unknown>> = [];

  /** A new, empty, migrated database and the environment of a Leadline pointed at it. */
  async function emptyTarget() {
    const url = await createTestDatabase();
    const db = new pg.Pool({ connectionString: url, max: 2 });
    pools.push(db);
    const env = {
      ...source.env,
      DATABASE_URL: url,
      LEADLINE_DATA_DIR: await mkdtemp(path.join(work, 'data-')),
    };
    return { url, db, env };
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'leadline-backup-'));
    // Webhooks and the API only: the source's log is what matters here, and a worker reading
    // 100,000 events live would only double the time the restore's rebuild takes anyway.
    source = await startE2eEnv({ LOG_BACKEND: 'postgres' }, ['serve', '--role', 'api']);
    tenantId = await source.addTenant({ name: 'Maple Plumbing', number: NUMBER, owner: OWNER });
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    for (const db of pools) await db.end().catch(() => {});
    await source?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(
    'round-trips 100,000 events: the same log, every read model rebuilt, nothing sent',
    { timeout: 300_000 },
    async () => {
      // Seed: the tenant (1 event) plus generated history, appended 1,000 at a time.
      const log = await source.eventLog();
      const seeded = Date.now();
      const tally = newTally();
      const events = history(tenantId);
      let batch: LeadlineEvent[] = [];
      for (
        let left = TOTAL_EVENTS - (await one(source.db, 'SELECT count(*) AS n FROM events'));
        left > 0;
        left--
      ) {
        const event = events.next().value as LeadlineEvent;
        count(tally, event);
        batch.push(event);
        if (batch.length === 1_000 || left === 1) {
          await log.append(batch);
          batch = [];
        }
      }
      const sourceLog = await logDigest(source.db);
      expect(sourceLog.n).toBe(TOTAL_EVENTS);
      console.log(`[backup] seeded ${TOTAL_EVENTS} events in ${Date.now() - seeded} ms`);

      // Backup, through the CLI, while the service runs.
      const dir = path.join(work, 'backups');
      const backup = await runCli(['backup', '--dir', dir], source.env);
      expect(backup.code, backup.stderr).toBe(0);
      console.log(`[backup] ${backup.stdout.trim().replace(/\n/g, ' | ')}`);
      bigBackup = backupPath(backup.stdout)!;
      expect(path.basename(bigBackup)).toMatch(/^leadline-\d{8}T\d{6}\.\d{3}Z\.ndjson\.gz$/);
      expect(backup.stdout).toMatch(/events: 100,000 /);
      expect(backup.stdout).toMatch(/size: .* \(\d+ bytes, gzip\)/);

      const lines = await ndjsonLines(bigBackup);
      expect(lines).toHaveLength(TOTAL_EVENTS + 2);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        kind: 'leadline-backup',
        formatVersion: 1,
        logBackend: 'postgres',
        events: TOTAL_EVENTS,
        head: String(await one(source.db, 'SELECT max(position) AS n FROM events')),
      });
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({
        kind: 'leadline-backup-end',
        events: TOTAL_EVENTS,
      });
      const first = JSON.parse(lines[1]!);
      expect(first.id).toBe(sourceLog.first);
      expect(JSON.parse(lines.at(-2)!).id).toBe(sourceLog.last);
      expect(Object.keys(first).sort()).toEqual(
        [
          'causationId',
          'correlationId',
          'data',
          'id',
          'occurredAt',
          'position',
          'recordedAt',
          'schemaVersion',
          'streamId',
          'tenantId',
          'traceparent',
          'type',
        ].sort(),
      );
      // Stored as written: version-1 texts stay version 1 (no upcasting into the backup).
      const sms = JSON.parse(lines.find((l) => l.includes('"type":"SmsInbound"'))!);
      expect(sms).toMatchObject({ schemaVersion: 1, data: { numMedia: 0, mediaUrls: [] } });

      // Restore into a new, empty database.
      const target = await emptyTarget();
      const restore = await runCli(['restore', bigBackup], target.env);
      expect(restore.code, restore.stderr).toBe(0);
      console.log(`[restore] ${restore.stdout.trim().replace(/\n/g, ' | ')}`);
      expect(restore.stdout).toMatch(/events: 100,000 appended/);

      // The same events, ids, order and every envelope field.
      expect(await logDigest(target.db)).toEqual(sourceLog);
      // Every read model rebuilt from them.
      const leads = `FROM dashboard_leads WHERE tenant_id = '${tenantId}'`;
      expect(await one(target.db, `SELECT count(*) AS n ${leads}`)).toBe(LEADS);
      expect(await one(target.db, `SELECT sum(calls) AS n ${leads}`)).toBe(tally.calls);
      expect(await one(target.db, `SELECT sum(messages_in) AS n ${leads}`)).toBe(tally.texts);
      expect(await one(target.db, `SELECT count(*) AS n ${leads} AND opted_out`)).toBe(
        tally.optedOut.size,
      );
      expect(await one(target.db, `SELECT count(*) AS n ${leads} AND status = 'contacted'`)).toBe(
        tally.contacted.size,
      );
      expect(
        await one(
          target.db,
          `SELECT count(*) AS n FROM dashboard_calls WHERE outcome = 'answered'`,
        ),
      ).toBe(tally.answered);
      expect(
        await one(target.db, `SELECT count(*) AS n FROM consent_records WHERE kind = 'granted'`),
      ).toBe(tally.grants);
      expect(
        await one(target.db, `SELECT count(*) AS n FROM consent_records WHERE kind = 'revoked'`),
      ).toBe(tally.revocations);
      expect(await one(target.db, 'SELECT count(*) AS n FROM consent_gate WHERE opted_out')).toBe(
        tally.optedOut.size,
      );
      expect(await one(target.db, 'SELECT count(*) AS n FROM lead_states')).toBe(LEADS);
      expect(await one(target.db, 'SELECT count(*) AS n FROM lead_states WHERE opted_out')).toBe(
        tally.optedOut.size,
      );
      expect(await one(target.db, 'SELECT count(*) AS n FROM tenants')).toBe(1);
      // In replay mode: nothing queued, no timer set.
      expect(await one(target.db, 'SELECT count(*) AS n FROM outbound_messages')).toBe(0);
      expect(await one(target.db, 'SELECT count(*) AS n FROM timers')).toBe(0);
      const verify = await runCli(['consent', 'verify'], target.env);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      const rebuilt = await readModels(target.db);

      // A service started on the restored database is caught up and sends nothing.
      const twilio = await new FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start();
      stops.push(() => twilio.stop());
      const port = await freePort();
      const service = await new ServiceProcess({
        ...target.env,
        PORT: String(port),
        PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        TWILIO_API_URL: twilio.url,
      }).start();
      stops.push(() => service.kill('SIGTERM'));
      await waitUntilSettled(target.url);
      const status = await runCli(['status', '--json'], target.env);
      expect(status.code, status.stderr).toBe(0);
      for (const c of JSON.parse(status.stdout).consumers) {
        expect(c.eventsBehind, c.consumer).toBe(0);
      }
      expect(twilio.messages).toHaveLength(0);
      expect(await one(target.db, 'SELECT count(*) AS n FROM outbound_messages')).toBe(0);
      expect(await readModels(target.db)).toEqual(rebuilt);

      // With that worker running (and the log full), a second restore is refused.
      const busy = await runCli(['restore', bigBackup], target.env);
      expect(busy.code).not.toBe(0);
      expect(busy.stderr).toMatch(
        /leadline: a Leadline worker is running against this database .*stop every `leadline serve` before restoring/,
      );
    },
  );

  it(
    'refuses to restore into a database whose log is not empty',
    { timeout: 120_000 },
    async () => {
      expect(bigBackup).toBeDefined();
      const refused = await runCli(['restore', bigBackup], source.env);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(
        /leadline: restore needs an empty log, but the events table already holds 100000 events; point DATABASE_URL/,
      );
      expect(refused.stdout).not.toMatch(/restored:/);
      expect(await one(source.db, 'SELECT count(*) AS n FROM events')).toBe(TOTAL_EVENTS);
    },
  );

  it(
    'refuses a truncated or altered file, naming the line, and writes nothing',
    { timeout: 120_000 },
    async () => {
      const target = await emptyTarget();
      const good = gunzipSync(await readFile(bigBackup))
        .toString('utf8')
        .split('\n');
      const small = good.slice(0, 6); // the header and 5 events
      const bad = path.join(work, 'bad');
      await mkdir(bad, { recursive: true });
      const file = async (name: string, content: Buffer) => {
        await writeFile(path.join(bad, name), content);
        return path.join(bad, name);
      };
      // Through the CLI: exit code and message.
      const cut = await file('cut.ndjson.gz', (await readFile(bigBackup)).subarray(0, 40_000));
      const result = await runCli(['restore', cut], target.env);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(
        /leadline: .*cut\.ndjson\.gz line \d+: the gzip stream is cut short or corrupt .*: the file is truncated or damaged/,
      );
      expect(await one(target.db, 'SELECT count(*) AS n FROM events')).toBe(0);

      // The other refusals, by the same check the command runs first.
      const cases: Array<[string, Buffer, RegExp]> = [
        [
          'no-end.ndjson.gz',
          gzipSync(`${small.join('\n')}\n`),
          /no-end\.ndjson\.gz line 6: the file ends after 5 events without its end record: it is truncated$/,
        ],
        [
          'garbled.ndjson.gz',
          gzipSync(
            `${[...small.slice(0, 3), '{"id": "+16475551234', ...small.slice(4)].join('\n')}\n`,
          ),
          /garbled\.ndjson\.gz line 4: not valid JSON$/,
        ],
        [
          'invalid.ndjson.gz',
          gzipSync(
            `${[small[0], JSON.stringify({ ...JSON.parse(small[1]!), data: { callSid: 'CA1' } }), ...small.slice(2)].join('\n')}\n`,
          ),
          /invalid\.ndjson\.gz line 2: Invalid \w+ data/,
        ],
        [
          'altered.ndjson.gz',
          gzipSync(
            `${[...good.slice(0, 3), good[3]!.replace('"occurredAt":"2', '"occurredAt":"1'), ...good.slice(4)].join('\n')}`,
          ),
          /altered\.ndjson\.gz line 100002: the event lines do not match the SHA-256 of the end record: the file was altered$/,
        ],
        [
          'plain.ndjson.gz',
          Buffer.from(`${small.join('\n')}\n`),
          /plain\.ndjson\.gz line 1: not a gzip file$/,
        ],
      ];
      for (const [name, content, message] of cases) {
        const error = await verifyBackup(await file(name, content)).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(error, name).toBeInstanceOf(InvalidBackupError);
        expect(error!.message, name).toMatch(message);
        expect(error!.message, name).not.toMatch(/\+1647555\d{4}/);
      }
    },
  );

  it(
    'rotation keeps the newest 7 backups by default, and leaves other files alone',
    { timeout: 120_000 },
    async () => {
      // A small log of its own: one tenant.
      const small = await emptyTarget();
      const added = await runCli(
        [
          'tenants',
          'add',
          '--name',
          'Small Drains',
          '--twilio-number',
          '+14165550177',
          '--owner-phone',
          '+14165550178',
          '--timezone',
          'America/Toronto',
          '--business-hours',
          '07:00-17:00',
        ],
        small.env,
      );
      expect(added.code, added.stderr).toBe(0);
      const dir = path.join(work, 'rotation');
      await mkdir(dir, { recursive: true });
      // Seven older backups, the partial file of a backup that died two hours ago, another file.
      const older = Array.from(
        { length: 7 },
        (_, i) => `leadline-2026010${i + 1}T030000.000Z.ndjson.gz`,
      );
      for (const name of older) await writeFile(path.join(dir, name), 'old');
      const dead = path.join(dir, '.leadline-20260101T000000.000Z.ndjson.gz.999.partial');
      await writeFile(dead, 'partial');
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      await utimes(dead, twoHoursAgo, twoHoursAgo);
      await writeFile(path.join(dir, 'notes.txt'), 'mine');

      const first = await runCli(['backup', '--dir', dir], small.env);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/events: 1 /);
      expect(first.stdout).toContain(`deleted ${older[0]}`);
      const second = await runCli(['backup', '--dir', dir], small.env);
      expect(second.code, second.stderr).toBe(0);
      const files = (await readdir(dir)).sort();
      expect(files.filter((f) => f.startsWith('leadline-'))).toEqual(
        [
          ...older.slice(2),
          path.basename(backupPath(first.stdout)!),
          path.basename(backupPath(second.stdout)!),
        ].sort(),
      );
      expect(files).toContain('notes.txt');
      expect(files.some((f) => f.endsWith('.partial'))).toBe(false);

      const keep2 = await runCli(['backup', '--dir', dir, '--keep', '2'], small.env);
      expect(keep2.code, keep2.stderr).toBe(0);
      expect((await readdir(dir)).filter((f) => f.startsWith('leadline-'))).toHaveLength(2);
      const zero = await runCli(['backup', '--dir', dir, '--keep', '0'], small.env);
      expect(zero.code).not.toBe(0);
      expect(zero.stderr).toMatch(/--keep/);
    },
  );
});

const brokers = inject('kafkaBrokers');
if (!brokers) console.log(`[kafka] backup on the Kafka log skipped: ${inject('kafkaSkipReason')}`);

describe.skipIf(!brokers)('leadline backup and restore (Kafka log)', () => {
  const EVENTS = 3_000;
  const kafkaEnv = () => ({
    LOG_BACKEND: 'kafka',
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC_PREFIX: `bk${randomBytes(4).toString('hex')}`,
    KAFKA_PARTITIONS: '3',
  });
  let source: E2eEnv;
  let work: string;
  const pools: pg.Pool[] = [];

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'leadline-backup-kafka-'));
    source = await startE2eEnv(kafkaEnv(), ['serve', '--role', 'api']);
  });
  afterAll(async () => {
    for (const db of pools) await db.end().catch(() => {});
    await source?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(
    'backs up every partition up to its high-water mark and restores into Kafka and into PostgreSQL',
    { timeout: 240_000 },
    async () => {
      const tenantId = await source.addTenant({
        name: 'Maple Plumbing',
        number: NUMBER,
        owner: OWNER,
      });
      const log = await source.eventLog();
      const tally = newTally();
      const events = history(tenantId);
      const appended: LeadlineEvent[] = [];
      for (let n = 0; n < EVENTS - 1; n++) appended.push(events.next().value as LeadlineEvent);
      for (const event of appended) count(tally, event);
      for (let i = 0; i < appended.length; i += 1_000)
        await log.append(appended.slice(i, i + 1_000));

      const backup = await runCli(['backup', '--dir', path.join(work, 'backups')], source.env);
      expect(backup.code, backup.stderr).toBe(0);
      const file = backupPath(backup.stdout)!;
      const lines = await ndjsonLines(file);
      expect(lines).toHaveLength(EVENTS + 2);
      const header = JSON.parse(lines[0]!);
      expect(header).toMatchObject({ logBackend: 'kafka', events: EVENTS, head: null });
      const marks = Object.values(header.highWatermarks as Record<string, string>);
      expect(marks.reduce((n, m) => n + Number(m), 0)).toBe(EVENTS);
      const ids = lines.slice(1, -1).map((l) => JSON.parse(l).id as string);
      expect(new Set(ids)).toEqual(new Set([...appended.map((e) => e.id), ids[0]]));
      // The tenants topic first: a tenant is registered before its leads are read.
      expect(JSON.parse(lines[1]!).type).toBe('TenantRegistered');

      const lead = appended.find((e) => e.type === 'CallReceived')!.streamId;
      const sourceStream = (await source.readStream(lead)).map((e) => e.id);
      for (const backend of [kafkaEnv(), { LOG_BACKEND: 'postgres' }]) {
        const url = await createTestDatabase();
        const db = new pg.Pool({ connectionString: url, max: 2 });
        pools.push(db);
        const env = {
          ...source.env,
          ...backend,
          DATABASE_URL: url,
          LEADLINE_DATA_DIR: await mkdtemp(path.join(work, 'data-')),
        };
        const restore = await runCli(['restore', file], env);
        expect(restore.code, restore.stderr).toBe(0);
        expect(restore.stdout).toMatch(/events: 3,000 appended/);
        console.log(`[restore kafka → ${env.LOG_BACKEND}] ${restore.stdout.split('\n')[2]}`);
        const leads = `FROM dashboard_leads WHERE tenant_id = '${tenantId}'`;
        expect(await one(db, `SELECT sum(calls) AS n ${leads}`)).toBe(tally.calls);
        expect(await one(db, `SELECT sum(messages_in) AS n ${leads}`)).toBe(tally.texts);
        expect(await one(db, 'SELECT count(*) AS n FROM consent_records')).toBe(
          tally.grants + tally.revocations,
        );
        expect(await one(db, 'SELECT count(*) AS n FROM outbound_messages')).toBe(0);
        const events = await openEventLog(
          loadConfig(env),
          { url, pool: db, kind: 'external', close: async () => {} },
          silentLogger,
        );
        try {
          expect((await events.read(lead)).map((e) => e.id)).toEqual(sourceStream);
        } finally {
          await events.close();
        }
      }
    },
  );
});
