import path from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from '../shared/errors.ts';
import { LOG_KINDS, type LogKind } from '../log/log-kinds.ts';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const httpUrl = (name: string) =>
  optionalString.pipe(
    z
      .url({ protocol: /^https?$/, message: `${name} must be an http(s) URL` })
      .transform((v) => v.replace(/\/+$/, ''))
      .optional(),
  );

const positiveInt = (name: string, fallback: number) =>
  optionalString.pipe(
    z.coerce
      .number<string | undefined>({ message: `${name} must be a number` })
      .int(`${name} must be a whole number`)
      .positive(`${name} must be greater than 0`)
      .default(fallback),
  );

/**
 * The environment variables Leadline reads, each validated with a message that names it.
 * The README's configuration table lists the same variables (a test checks they agree).
 */
export const environmentSchema = z.object({
  /** PostgreSQL connection string. Absent: an embedded PostgreSQL under `LEADLINE_DATA_DIR/pg`. */
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must start with postgres:// or postgresql://')
      .optional(),
  ),
  /** Where the embedded PostgreSQL and local secrets live. Default `./.leadline`. */
  LEADLINE_DATA_DIR: optionalString.pipe(z.string().default('./.leadline')),
  /** HTTP port for webhooks and the API. Default 3000. */
  PORT: optionalString.pipe(
    z.coerce
      .number<string | undefined>({ message: 'PORT must be a number' })
      .int('PORT must be a whole number')
      .min(0, 'PORT must be between 0 and 65535')
      .max(65535, 'PORT must be between 0 and 65535')
      .default(3000),
  ),
  /** Interface to listen on. Default `0.0.0.0` (all). */
  HOST: optionalString.pipe(z.string().default('0.0.0.0')),
  /** The base URL Twilio calls; signatures are computed over it. Default `http://localhost:$PORT`. */
  PUBLIC_BASE_URL: httpUrl('PUBLIC_BASE_URL'),
  /** Twilio Account SID (`AC` + 32 hex digits). */
  TWILIO_ACCOUNT_SID: optionalString.pipe(
    z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'TWILIO_ACCOUNT_SID must be "AC" followed by 32 hex digits')
      .optional(),
  ),
  /** Twilio Auth Token: signs webhooks and authenticates REST calls. */
  TWILIO_AUTH_TOKEN: optionalString.pipe(
    z.string().min(16, 'TWILIO_AUTH_TOKEN looks too short to be a Twilio auth token').optional(),
  ),
  /** Overrides Twilio's REST base URL (tests and demos point it at a local Twilio-compatible server). */
  TWILIO_API_URL: httpUrl('TWILIO_API_URL'),
  /** `live` sends through Twilio; `dry-run` records what would be sent. Default: live with credentials. */
  SEND_MODE: optionalString.pipe(
    z.enum(['live', 'dry-run'], { message: 'SEND_MODE must be "live" or "dry-run"' }).optional(),
  ),
  /** Bearer key for the operator API. Absent: one is generated and kept in the data directory. */
  OPERATOR_API_KEY: optionalString.pipe(
    z.string().min(16, 'OPERATOR_API_KEY must be at least 16 characters').optional(),
  ),
  /** Which log holds the events: `postgres` (default) or `kafka`. */
  LOG_BACKEND: optionalString.pipe(
    z
      .enum(LOG_KINDS, {
        message: `LOG_BACKEND must be ${LOG_KINDS.map((k) => `"${k}"`).join(' or ')}`,
      })
      .default('postgres'),
  ),
  /** Kafka bootstrap servers, comma-separated `host:port` (with LOG_BACKEND=kafka). */
  KAFKA_BROKERS: optionalString,
  /** Prefix of the Kafka topics and consumer groups. Default `leadline`. */
  KAFKA_TOPIC_PREFIX: optionalString.pipe(
    z
      .string()
      .regex(
        /^[a-zA-Z0-9._-]+$/,
        'KAFKA_TOPIC_PREFIX may hold only letters, digits, ".", "_" and "-"',
      )
      .default('leadline'),
  ),
  /** Partitions per topic when Leadline creates the topics. Default 6. */
  KAFKA_PARTITIONS: positiveInt('KAFKA_PARTITIONS', 6),
  /** Replication factor when Leadline creates the topics. Default 1; use 3 on a real cluster. */
  KAFKA_REPLICATION_FACTOR: positiveInt('KAFKA_REPLICATION_FACTOR', 1),
  /** pino level: fatal, error, warn, info, debug, trace, silent. Default `info`. */
  LOG_LEVEL: optionalString.pipe(
    z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
  ),
  /** How long (ms) a sender owns a claimed outbound message before another may recover it. Default 30000. */
  LEADLINE_SEND_LEASE_MS: positiveInt('LEADLINE_SEND_LEASE_MS', 30_000),
  /**
   * Key of the HMAC that makes one-click unsubscribe links (`/u/<token>`); give every worker
   * the same. Absent: generated into the data directory.
   */
  LEADLINE_LINK_SECRET: optionalString.pipe(
    z.string().min(16, 'LEADLINE_LINK_SECRET must be at least 16 characters').optional(),
  ),
  /** Attempts at a text before a transient failure (429, 5xx, timeout) is final. Default 8. */
  LEADLINE_SEND_MAX_ATTEMPTS: positiveInt('LEADLINE_SEND_MAX_ATTEMPTS', 8),
  /** Fallback poll interval (ms) of log readers when no notification arrives. Default 1000. */
  LEADLINE_POLL_INTERVAL_MS: positiveInt('LEADLINE_POLL_INTERVAL_MS', 1_000),
  /**
   * Attempts at handling one event (backoff 100 ms doubling) before a consumer dead-letters it:
   * a projection stops there, a processor parks the event's stream. Default 5.
   */
  LEADLINE_CONSUMER_MAX_ATTEMPTS: positiveInt('LEADLINE_CONSUMER_MAX_ATTEMPTS', 5),
  /**
   * Which peers may name the client in `X-Forwarded-For` (rate limits key on the client
   * address): `true`, `false`, or comma-separated addresses, CIDRs and the names `loopback`,
   * `linklocal`, `uniquelocal`. Default `loopback` (a proxy or tunnel on the same machine).
   */
  LEADLINE_TRUST_PROXY: optionalString.pipe(
    z
      .string()
      .regex(
        /^[\w.:/,\s-]+$/,
        'LEADLINE_TRUST_PROXY must be true, false, or addresses / CIDRs / loopback',
      )
      .default('loopback')
      .transform((v) => (v === 'true' ? true : v === 'false' ? false : v)),
  ),
  /**
   * Most bytes of webhook facts kept in the local spool (`$LEADLINE_DATA_DIR/spool`) while the
   * log is unreachable; beyond it webhooks are answered 503. Default 268435456 (256 MiB).
   */
  LEADLINE_SPOOL_MAX_BYTES: positiveInt('LEADLINE_SPOOL_MAX_BYTES', 256 * 1024 * 1024),
  /**
   * Longest (ms) a webhook waits for the log to take its facts before it spools them on local
   * disk instead (Twilio gives up on a webhook after 15 s). Default 3000.
   */
  LEADLINE_APPEND_DEADLINE_MS: positiveInt('LEADLINE_APPEND_DEADLINE_MS', 3_000),
  /**
   * Unsigned (or wrongly signed) webhook requests allowed per client address per minute before
   * they are answered 429; correctly signed requests are never limited. Default 30.
   */
  LEADLINE_WEBHOOK_UNSIGNED_LIMIT: positiveInt('LEADLINE_WEBHOOK_UNSIGNED_LIMIT', 30),
  /**
   * Wrong API keys one client address may present to `/api/v1` and `/metrics` per window;
   * then every attempt from it is 429 until the window ends (`auth/auth-failure-limiter.ts`).
   * Default 20.
   */
  LEADLINE_AUTH_FAILURE_LIMIT: positiveInt('LEADLINE_AUTH_FAILURE_LIMIT', 20),
  /** The window (ms) of `LEADLINE_AUTH_FAILURE_LIMIT`, from an address's first failure. Default 60000. */
  LEADLINE_AUTH_FAILURE_WINDOW_MS: positiveInt('LEADLINE_AUTH_FAILURE_WINDOW_MS', 60_000),
  /**
   * An OpenAI-compatible chat-completions endpoint for the qualifying assistant (OpenAI, or a
   * local server such as Ollama or vLLM), e.g. `https://api.openai.com/v1`. Absent: the
   * deterministic engine alone (no customer text leaves the machine).
   */
  LLM_BASE_URL: httpUrl('LLM_BASE_URL'),
  /** The endpoint's API key (never logged). Local servers often need none. */
  LLM_API_KEY: optionalString,
  /** The model to ask, e.g. `gpt-4o-mini` or `llama3.1:8b`; required with LLM_BASE_URL. */
  LLM_MODEL: optionalString.pipe(z.string().max(200).optional()),
  /**
   * How long (ms) one assessment waits for the model before the rules answer. Default 8000; at
   * most 30000 (the assessor's 60 s claim must outlast it).
   */
  LLM_TIMEOUT_MS: positiveInt('LLM_TIMEOUT_MS', 8_000).pipe(
    z.number().max(30_000, 'LLM_TIMEOUT_MS must be at most 30000 (30 s)'),
  ),
});

/** The raw environment after validation. */
export type Environment = z.infer<typeof environmentSchema>;

/** Validated, resolved configuration every component reads. */
export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  /** Without trailing slash, e.g. `https://leads.example.com`. */
  publicBaseUrl: string;
  twilio: {
    accountSid: string | undefined;
    authToken: string | undefined;
    apiUrl: string | undefined;
  };
  sendMode: 'live' | 'dry-run';
  operatorApiKey: string | undefined;
  /** HMAC key of one-click unsubscribe links; absent: the data directory's. */
  linkSecret: string | undefined;
  /** Which log holds the events (`LOG_BACKEND`). */
  logBackend: LogKind;
  kafka: { brokers: string[]; topicPrefix: string; partitions: number; replicationFactor: number };
  logLevel: string;
  sendLeaseMs: number;
  /** Attempts per text before a transient failure is recorded as final. */
  sendMaxAttempts: number;
  /** Attempts at one event before it is dead-lettered (`LEADLINE_CONSUMER_MAX_ATTEMPTS`). */
  consumerMaxAttempts: number;
  pollIntervalMs: number;
  /** `LEADLINE_TRUST_PROXY`: Fastify's `trustProxy`. */
  trustProxy: boolean | string;
  /** The webhook spool's directory and bound. */
  spool: { dir: string; maxBytes: number };
  /** `LEADLINE_APPEND_DEADLINE_MS`. */
  appendDeadlineMs: number;
  /** `LEADLINE_WEBHOOK_UNSIGNED_LIMIT`: unsigned webhook requests per address per minute. */
  unsignedWebhooksPerMinute: number;
  /** Failed API keys per client address and window (`LEADLINE_AUTH_FAILURE_LIMIT`, `_WINDOW_MS`). */
  authFailures: { limit: number; windowMs: number };
  /** The language model of the qualifying assistant; undefined: the deterministic rules only. */
  llm:
    { baseUrl: string; apiKey: string | undefined; model: string; timeoutMs: number } | undefined;
}

/**
 * Reads and validates configuration from `env` (usually `process.env`).
 *
 * @throws ConfigurationError listing every bad variable, one line each, e.g.
 *   `PORT: PORT must be a number (got "abc")`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const got = env[name];
      const shown =
        got === undefined || /TOKEN|KEY|DATABASE_URL/.test(name) ? '' : ` (got "${got}")`;
      return `  ${name}: ${issue.message}${shown}`;
    });
    throw new ConfigurationError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const hasCredentials = Boolean(e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN);
  const sendMode = e.SEND_MODE ?? (hasCredentials ? 'live' : 'dry-run');
  const problems: string[] = [];
  if (sendMode === 'live' && !hasCredentials) {
    problems.push('  SEND_MODE: live needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
  }
  if (Boolean(e.TWILIO_ACCOUNT_SID) !== Boolean(e.TWILIO_AUTH_TOKEN)) {
    problems.push('  TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together');
  }
  if (Boolean(e.LLM_BASE_URL) !== Boolean(e.LLM_MODEL)) {
    problems.push('  LLM_BASE_URL and LLM_MODEL must be set together');
  }
  if (e.LOG_BACKEND === 'kafka' && !e.KAFKA_BROKERS) {
    problems.push('  KAFKA_BROKERS: required when LOG_BACKEND=kafka (e.g. 127.0.0.1:9092)');
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.LEADLINE_DATA_DIR),
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`,
    twilio: {
      accountSid: e.TWILIO_ACCOUNT_SID,
      authToken: e.TWILIO_AUTH_TOKEN,
      apiUrl: e.TWILIO_API_URL,
    },
    sendMode,
    operatorApiKey: e.OPERATOR_API_KEY,
    linkSecret: e.LEADLINE_LINK_SECRET,
    logBackend: e.LOG_BACKEND,
    kafka: {
      brokers: (e.KAFKA_BROKERS ?? '')
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
      partitions: e.KAFKA_PARTITIONS,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
    },
    logLevel: e.LOG_LEVEL,
    sendLeaseMs: e.LEADLINE_SEND_LEASE_MS,
    sendMaxAttempts: e.LEADLINE_SEND_MAX_ATTEMPTS,
    consumerMaxAttempts: e.LEADLINE_CONSUMER_MAX_ATTEMPTS,
    pollIntervalMs: e.LEADLINE_POLL_INTERVAL_MS,
    trustProxy: e.LEADLINE_TRUST_PROXY,
    spool: {
      dir: path.join(path.resolve(e.LEADLINE_DATA_DIR), 'spool'),
      maxBytes: e.LEADLINE_SPOOL_MAX_BYTES,
    },
    appendDeadlineMs: e.LEADLINE_APPEND_DEADLINE_MS,
    unsignedWebhooksPerMinute: e.LEADLINE_WEBHOOK_UNSIGNED_LIMIT,
    authFailures: {
      limit: e.LEADLINE_AUTH_FAILURE_LIMIT,
      windowMs: e.LEADLINE_AUTH_FAILURE_WINDOW_MS,
    },
    llm:
      e.LLM_BASE_URL && e.LLM_MODEL
        ? {
            baseUrl: e.LLM_BASE_URL,
            apiKey: e.LLM_API_KEY,
            model: e.LLM_MODEL,
            timeoutMs: e.LLM_TIMEOUT_MS,
          }
        : undefined,
  };
}
