import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase } from './database.ts';
import { FakeTwilio } from '../../harness/fake-twilio.ts';
import { freePort, runCli, ServiceProcess } from '../../harness/service-process.ts';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { TwilioWebhookClient } from '../../src/cli/webhook-client.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { RecordedLeadlineEvent } from '../../src/events/catalogue.ts';
import type { EventLog } from '../../src/log/event-log.ts';
import { openEventLog } from '../../src/runtime/open-log.ts';
import { silentLogger } from '../../src/shared/logger.ts';

export const ACCOUNT_SID = 'AC' + 'c0ffee'.repeat(5) + '00';
export const AUTH_TOKEN = 'f'.repeat(8) + '0123456789abcdef' + 'e'.repeat(8);
export const OPERATOR_KEY = 'test-operator-key-0123456789';

/** A Leadline process on its own database, a fake Twilio, and a signed-webhook client. */
export interface E2eEnv {
  service: ServiceProcess;
  twilio: FakeTwilio;
  webhooks: TwilioWebhookClient;
  databaseUrl: string;
  db: pg.Pool;
  env: Record<string, string>;
  /** Every event of one stream, read through the log the service uses. */
  readStream(streamId: string): Promise<RecordedLeadlineEvent[]>;
  /** The log the service uses, opened by the test (closed by `close`). */
  eventLog(): Promise<EventLog>;
  /** Registers a tenant through the CLI; returns its id. */
  addTenant(args: {
    /** Further `tenants add` flags, e.g. `['--daily-quota', '2']`. */
    extra?: string[];
    name: string;
    number: string;
    owner: string;
    hours?: string;
    timezone?: string;
  }): Promise<string>;
  close(): Promise<void>;
}

/** The logs end-to-end suites run on: PostgreSQL always, Kafka when a broker was provisioned. */
export function e2eBackends(): Array<{
  backend: 'postgres' | 'kafka';
  env: Record<string, string>;
}> {
  const brokers = inject('kafkaBrokers');
  if (!brokers)
    console.log(`[kafka] end-to-end run on Kafka skipped: ${inject('kafkaSkipReason')}`);
  return [
    { backend: 'postgres', env: { LOG_BACKEND: 'postgres' } },
    ...(brokers
      ? [
          {
            backend: 'kafka' as const,
            env: {
              LOG_BACKEND: 'kafka',
              KAFKA_BROKERS: brokers,
              KAFKA_TOPIC_PREFIX: `e2e${randomBytes(4).toString('hex')}`,
              KAFKA_PARTITIONS: '3',
            },
          },
        ]
      : []),
  ];
}

/**
 * Starts the whole product as Twilio would meet it: `leadline serve` as a child process in
 * live send mode, with `TWILIO_API_URL` pointing at a {@link FakeTwilio}, on the log
 * `extraEnv.LOG_BACKEND` names.
 */
export async function startE2eEnv(
  extraEnv: Record<string, string> = {},
  args: string[] = ['serve'],
  options: {
    /**
     * Run on the embedded default (no `DATABASE_URL`: the service starts PostgreSQL under
     * its data directory); `databaseUrl` then points at that server.
     */
    embedded?: boolean;
    /** A database of the caller's (another server than the run's test server). */
    databaseUrl?: string;
  } = {},
): Promise<E2eEnv> {
  let databaseUrl = options.embedded ? '' : (options.databaseUrl ?? (await createTestDatabase()));
  const twilio = await new FakeTwilio(ACCOUNT_SID, AUTH_TOKEN).start();
  const port = await freePort();
  const ownDataDir = await mkdtemp(path.join(os.tmpdir(), 'leadline-e2e-'));
  const env = {
    DATABASE_URL: databaseUrl,
    LEADLINE_DATA_DIR: ownDataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_URL: twilio.url,
    OPERATOR_API_KEY: OPERATOR_KEY,
    LEADLINE_SEND_LEASE_MS: '1500',
    LEADLINE_POLL_INTERVAL_MS: '250',
    ...extraEnv,
  };
  const service = await new ServiceProcess(env, args).start(
    Number(process.env.E2E_START_TIMEOUT ?? (options.embedded ? 120_000 : 60_000)),
  );
  if (options.embedded) databaseUrl = await embeddedUrl(env.LEADLINE_DATA_DIR);
  const db = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  db.on('error', () => {}); // fault tests take the server away under it
  let log: EventLog | undefined;
  const eventLog = async () => {
    log ??= await openEventLog(
      loadConfig(env),
      { url: databaseUrl, pool: db, kind: 'external', close: async () => {} },
      silentLogger,
    );
    return log;
  };
  return {
    service,
    twilio,
    webhooks: new TwilioWebhookClient(service.baseUrl, env.PUBLIC_BASE_URL, AUTH_TOKEN),
    databaseUrl,
    db,
    env,
    eventLog,
    async readStream(streamId) {
      return (await eventLog()).read(streamId);
    },
    async addTenant(t) {
      const result = await runCli(
        [
          'tenants',
          'add',
          '--name',
          t.name,
          '--twilio-number',
          t.number,
          '--owner-phone',
          t.owner,
          '--timezone',
          t.timezone ?? 'America/Toronto',
          '--business-hours',
          t.hours ?? '00:00-24:00',
          ...(t.extra ?? []),
        ],
        env,
      );
      if (result.code !== 0) throw new Error(`tenants add failed: ${result.stderr}`);
      return result.stdout.trim();
    },
    async close() {
      try {
        await log?.close();
        await service.kill('SIGTERM');
        await twilio.stop();
        await db.end();
      } finally {
        // The service is gone, and with it any embedded PostgreSQL it ran under this
        // directory (65 MB each): a developer's /tmp would otherwise fill up run after run.
        await rm(ownDataDir, { recursive: true, force: true });
      }
    },
  };
}

/** The connection string of the embedded PostgreSQL a service runs under `dataDir`. */
export async function embeddedUrl(dataDir: string): Promise<string> {
  const pid = await readFile(path.join(dataDir, 'pg/postmaster.pid'), 'utf8');
  const port = Number(pid.split('\n')[3]);
  const secrets = JSON.parse(await readFile(path.join(dataDir, 'secrets.json'), 'utf8')) as {
    postgresPassword: string;
  };
  return `postgres://postgres:${encodeURIComponent(secrets.postgresPassword)}@127.0.0.1:${port}/leadline`;
}

let sidCounter = 0;
/** A fresh Twilio-shaped Sid (`CA…`, `SM…`). */
export function newSid(prefix: 'CA' | 'SM' | 'RE' | 'TR'): string {
  sidCounter++;
  return prefix + Date.now().toString(16).padStart(16, '0') + String(sidCounter).padStart(16, '0');
}

/** Business hours that exclude the current hour in UTC (the tenant is "closed now"). */
export function closedNowHours(): string {
  const h = (new Date().getUTCHours() + 3) % 24;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(h)}:00-${pad((h + 1) % 24)}:00`;
}

/**
 * A quiet-hours window (`--quiet-hours-allowed`) that opens two hours from now in Toronto, so
 * a customer on a 416/647 number is outside it for at least the next hour.
 */
export function torontoWindowLater(): string {
  const hour = Number(
    new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/Toronto',
      hour: '2-digit',
      hourCycle: 'h23',
    }).format(new Date()),
  );
  const pad = (n: number) => String(n % 24).padStart(2, '0');
  return `${pad(hour + 2)}:00-${pad(hour + 3)}:00`;
}
