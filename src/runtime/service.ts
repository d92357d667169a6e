import type { FastifyInstance } from 'fastify';
import { buildServer } from '../api/server.ts';
import type { Config } from '../config/config.ts';
import { resolveSecrets, type EffectiveSecrets } from '../config/local-secrets.ts';
import { openDatabase, type Database } from '../db/database.ts';
import type { Consumer, EventLog, Subscription } from '../log/event-log.ts';
import { OutboundSender } from '../outbound/sender.ts';
import { TimerRunner } from '../processors/timers/timer-runner.ts';
import type { SmsTransport } from '../outbound/sms-transport.ts';
import { createTwilioTransport } from '../outbound/twilio-transport.ts';
import { CallPlacer } from '../outbound/call-placer.ts';
import { Assessor } from '../qualification/assessor.ts';
import { chooseQualificationEngine } from '../qualification/choose-engine.ts';
import type { QualificationEngine } from '../qualification/engine.ts';
import { twilioRecordings } from '../outbound/twilio-recordings.ts';
import { callBackConnectUrl } from '../api/voice-urls.ts';

import type { CallTransport } from '../outbound/call-transport.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import { consumerSpecs } from './consumers.ts';
import { withPoisonPolicy } from '../log/dead-letters/poison-policy.ts';
import { Wakeups } from '../db/wakeups.ts';
import { DASHBOARD_CHANNEL } from '../projections/dashboard/dashboard-projection.ts';
import { openEventLog } from './open-log.ts';
import { serviceStatus } from './service-status.ts';
import { tracedConsumer } from '../telemetry/traced-consumer.ts';
import { tracingRequested } from '../telemetry/tracing-requested.ts';
import type { WebhookDeps } from '../api/server.ts';
import { CallSteps } from '../commands/call-steps.ts';
import { tenantDirectory } from '../projections/tenants/tenant-directory.ts';
import { receiveStaffText } from '../commands/receive-staff-text.ts';
import { recordSmsStatus } from '../commands/record-sms-status.ts';
import { DatabaseReach } from '../db/reach.ts';
import { Intake } from '../intake/intake.ts';
import { Spool } from '../intake/spool.ts';
import { applyConsentChange } from '../consent/index.ts';
import { TENANTS_CHANNEL, TenantRouting } from '../projections/tenants/tenant-routing.ts';
import { CONSENT_GATE_CHANNEL } from '../consent/gate/gate-channel.ts';
import { ConsentGateMemory } from '../consent/gate/gate-memory.ts';
import type { LeadlineMetrics } from '../telemetry/metrics.ts';

/** The call placer polls at most this often (ms); notifications wake it at once. */
const CALL_PLACER_POLL_FLOOR_MS = 5_000;

/**
 * How long the assessor owns a claimed qualification request (ms): longer than a language
 * model's whole try (its timeout) and the append after it.
 */
const ASSESSOR_LEASE_MS = 60_000;

/** Which parts of Leadline a process runs. */
export type Role = 'all' | 'api' | 'worker';

/** A running Leadline process. */
export interface RunningService {
  db: Database;
  log: EventLog;
  secrets: EffectiveSecrets;
  /** `http://host:port` the HTTP server listens on (worker: health checks only). */
  address: string | undefined;
  /** Stops in order: HTTP, timer runner, sender, consumers, log, database (embedded last). */
  stop(): Promise<void>;
}

/** Options of {@link startService}. */
export interface StartOptions {
  role?: Role;
  logger: Logger;
  clock?: Clock;
  /** Replaces the Twilio transport (tests). */
  transport?: SmsTransport;
  /** Replaces the qualification engine chosen from the configuration (tests). */
  qualificationEngine?: QualificationEngine;
}

/**
 * Starts Leadline: opens the database (embedded or `DATABASE_URL`) and the log, then per role
 * the consumers, the sender and the timer runner (`worker`, which serves only `/healthz` and `/readyz`), the
 * webhooks and read API (`api`), or both (`all`).
 *
 * @throws Error when the database cannot be opened or the port cannot be bound; whatever was
 *   started is stopped again first.
 */
export async function startService(config: Config, options: StartOptions): Promise<RunningService> {
  const role = options.role ?? 'all';
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const secrets = await resolveSecrets(config);
  const db = await openDatabase(config, logger, { superviseEmbedded: true });
  const stops: Array<() => Promise<void>> = [() => db.close()];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      await stop().catch((error) => logger.error({ err: error }, 'error while stopping'));
    }
  };
  try {
    const log = await openEventLog(config, db, logger);
    stops.push(() => log.close());
    // GET /metrics: gauges read from the database (at most once per 5 s), this process's
    // webhook timings and send results. Loaded here so that other commands do not load it.
    const { createMetrics } = await import('../telemetry/metrics.ts');
    let intakeStatus: (() => { entries: number; oldestSeconds: number }) | undefined;
    const metrics = createMetrics({
      intake: () => intakeStatus?.() ?? { entries: 0, oldestSeconds: 0 },
      status: () =>
        serviceStatus(
          db.pool,
          log,
          consumerSpecs.map((spec) => spec.consumer.name),
        ),
      logger,
    });
    stops.push(() => metrics.shutdown());

    if (role !== 'api') {
      // With a trace exporter, each live event gets a span of its own (so it is handled alone);
      // without one, spans would record nothing and consumers take whole batches.
      const traced = tracingRequested() ? tracedConsumer : (consumer: Consumer) => consumer;
      const subscriptions: Subscription[] = consumerSpecs.map((spec) =>
        log.subscribe(
          traced(
            withPoisonPolicy(spec.consumer, {
              policy: spec.onPoison,
              maxAttempts: config.consumerMaxAttempts,
              pool: db.pool,
            }),
          ),
        ),
      );
      stops.push(async () => {
        await Promise.all(subscriptions.map((s) => s.stop()));
      });
      const transport =
        options.transport ??
        (config.sendMode === 'live'
          ? createTwilioTransport({
              accountSid: config.twilio.accountSid!,
              authToken: config.twilio.authToken!,
              apiUrl: config.twilio.apiUrl,
              // A claim must outlive any request made under it (at most a third of the lease).
              timeoutMs: Math.min(10_000, Math.floor(config.sendLeaseMs / 3)),
            })
          : undefined);
      const sender = new OutboundSender({
        url: db.url,
        pool: db.pool,
        log,
        transport,
        mode: config.sendMode,
        clock,
        logger: logger.child({ component: 'sender' }),
        statusCallbackUrl: `${config.publicBaseUrl}/twilio/sms/status`,
        leaseMs: config.sendLeaseMs,
        maxAttempts: config.sendMaxAttempts,
        unsubscribeLink: { publicBaseUrl: config.publicBaseUrl, secret: secrets.linkSecret },
        pollIntervalMs: config.pollIntervalMs,
        metrics,
      });
      await sender.start();
      stops.push(() => sender.stop());
      const calls = new CallPlacer({
        url: db.url,
        pool: db.pool,
        log,
        // The same Twilio client places call-backs; dry-run (or a test's SMS-only transport)
        // places none and records why.
        transport: transport && 'placeCall' in transport ? (transport as CallTransport) : undefined,
        clock,
        logger: logger.child({ component: 'calls' }),
        // Call-backs are rare and every one is announced (NOTIFY leadline_calls): the poll is
        // only the fallback for a lost notification, so it need not cost what the sender's does.
        pollIntervalMs: Math.max(config.pollIntervalMs, CALL_PLACER_POLL_FLOOR_MS),
        leaseMs: config.sendLeaseMs,
        connectUrl: (call) => callBackConnectUrl(config.publicBaseUrl, call),
      });
      await calls.start();
      stops.push(() => calls.stop());
      const engine = options.qualificationEngine ?? chooseQualificationEngine(config.llm);
      logger.info({ engine: engine.description }, 'qualifying assistant engine');
      const assessor = new Assessor({
        url: db.url,
        pool: db.pool,
        log,
        engine,
        clock,
        logger: logger.child({ component: 'assessor' }),
        pollIntervalMs: Math.max(config.pollIntervalMs, CALL_PLACER_POLL_FLOOR_MS),
        leaseMs: ASSESSOR_LEASE_MS,
      });
      await assessor.start();
      stops.push(() => assessor.stop());
      const timers = new TimerRunner({
        url: db.url,
        pool: db.pool,
        log,
        clock,
        logger: logger.child({ component: 'timers' }),
        pollIntervalMs: config.pollIntervalMs,
      });
      await timers.start();
      stops.push(() => timers.stop());
    }

    // The webhook path (api and all): facts go to the log, or to the local spool while the
    // log is unreachable; routing and call steps answer from memory while PostgreSQL is.
    const webhooks =
      role === 'worker'
        ? undefined
        : await openWebhookIntake(config, db, log, logger, clock, metrics);
    if (webhooks) {
      stops.push(() => webhooks.intake.stop());
      stops.push(() => webhooks.stop());
      intakeStatus = () => webhooks.intake.status();
    }

    let address: string | undefined;
    {
      // Every role listens: api and all for webhooks and the read API, worker for its
      // health checks only.
      const dashboardChanges =
        role === 'worker' ? undefined : new Wakeups(db.url, DASHBOARD_CHANNEL, logger);
      if (dashboardChanges) {
        await dashboardChanges.start();
        stops.push(() => dashboardChanges.close());
      }
      const app: FastifyInstance = await buildServer({
        dashboardChanges,
        log,
        db: db.pool,
        clock,
        logger,
        publicBaseUrl: config.publicBaseUrl,
        webhookAuthToken: secrets.webhookAuthToken,
        operatorApiKey: secrets.operatorApiKey,
        publicRoutes: role !== 'worker',
        metrics,
        webhooks: webhooks?.deps,
        intakeStatus: webhooks && (() => webhooks.intake.status()),
        trustProxy: config.trustProxy,
        authFailures: config.authFailures,
        recordings:
          config.sendMode === 'live'
            ? twilioRecordings({
                accountSid: config.twilio.accountSid!,
                authToken: config.twilio.authToken!,
                apiUrl: config.twilio.apiUrl,
              })
            : undefined,
      });
      address = await app.listen({ port: config.port, host: config.host });
      stops.push(() => app.close());
    }
    logger.info(
      {
        role,
        sendMode: config.sendMode,
        database: db.kind,
        logBackend: log.about.kind,
        address,
      },
      'leadline started',
    );
    return { db, log, secrets, address, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The webhook path's intake: the spool under the data directory and its drain, tenant
 * routing warmed from the database, call steps, and the database policy they share.
 */
async function openWebhookIntake(
  config: Config,
  db: Database,
  log: EventLog,
  logger: Logger,
  clock: Clock,
  metrics: LeadlineMetrics,
): Promise<{ intake: Intake; stop: () => Promise<void>; deps: WebhookDeps }> {
  const reach = new DatabaseReach({ logger });
  const callSteps = new CallSteps(db.pool, reach);
  const spool = await Spool.open(config.spool.dir, { maxBytes: config.spool.maxBytes });
  const intake = new Intake({
    log,
    spool,
    appendDeadlineMs: config.appendDeadlineMs,
    logger: logger.child({ component: 'intake' }),
    afterAppend: async (events) => {
      for (const event of events) await applyConsentChange(db.pool, event);
    },
    recordStatus: (entry) =>
      recordSmsStatus(entry.status, {
        log,
        db: db.pool,
        clock,
        traceparent: entry.traceparent,
      }),
    relayStaffText: async (entry) => {
      const tenant = await tenantDirectory.get(db.pool, entry.tenantId);
      if (!tenant) return false;
      await receiveStaffText(tenant, entry.text, {
        log,
        db: db.pool,
        clock,
        callSteps,
        traceparent: entry.traceparent,
      });
      return true;
    },
    onSpooled: (kind) => metrics.recordSpooled(kind),
    onRejected: (kind) => metrics.recordSpoolRejected(kind),
  });
  if (spool.pending() > 0) {
    logger.warn(
      { entries: spool.pending() },
      'webhooks spooled by an earlier run are waiting; recording them in the log',
    );
  }
  intake.start();
  const tenants = new TenantRouting(db.pool, reach);
  const tenantChanges = new Wakeups(db.url, TENANTS_CHANNEL, logger);
  await tenantChanges.start();
  await tenants.warm();
  tenants.follow(tenantChanges);
  const consentGate = new ConsentGateMemory({ db: db.pool, reach, clock });
  const gateChanges = new Wakeups(db.url, CONSENT_GATE_CHANNEL, logger);
  consentGate.follow(gateChanges);
  await gateChanges.start();
  return {
    intake,
    stop: async () => {
      tenants.stop();
      consentGate.stop();
      await tenantChanges.close();
      await gateChanges.close();
    },
    deps: {
      log: intake.log,
      accountSid: config.twilio.accountSid,
      unsignedPerMinute: config.unsignedWebhooksPerMinute,
      tenants,
      consentGate,
      callSteps,
      reach,
      defer: (entry) => intake.defer(entry),
    },
  };
}
