import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.ts';

/**
 * Secrets Leadline generates for itself when the operator has not set them, kept in
 * `<dataDir>/secrets.json` (mode 0600) so they survive restarts and `leadline simulate`
 * can read them.
 */
export interface LocalSecrets {
  /** Signs and validates webhooks when `TWILIO_AUTH_TOKEN` is absent (32 hex digits, like Twilio's). */
  twilioAuthToken: string;
  /** Bearer key of the operator API when `OPERATOR_API_KEY` is absent. */
  operatorApiKey: string;
  /** Password of the embedded PostgreSQL's superuser (it listens on 127.0.0.1 only). */
  postgresPassword: string;
  /** HMAC key of one-click unsubscribe links when `LEADLINE_LINK_SECRET` is absent. */
  linkSecret: string;
}

/** The secrets a running service actually uses: the configured ones win over generated ones. */
export interface EffectiveSecrets {
  /** Token that validates `X-Twilio-Signature`. Never switched off. */
  webhookAuthToken: string;
  webhookAuthTokenSource: 'TWILIO_AUTH_TOKEN' | 'data-dir';
  operatorApiKey: string;
  operatorApiKeySource: 'OPERATOR_API_KEY' | 'data-dir';
  /** HMAC key of one-click unsubscribe links. */
  linkSecret: string;
}

const FILE = 'secrets.json';

/**
 * Loads `<dataDir>/secrets.json`, creating it with fresh random values on first use.
 *
 * @throws if the data directory cannot be created or the file is not valid JSON.
 */
export async function loadOrCreateLocalSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = path.join(dataDir, FILE);
  let existing: Partial<LocalSecrets> = {};
  try {
    existing = JSON.parse(await readFile(file, 'utf8')) as Partial<LocalSecrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secrets: LocalSecrets = {
    twilioAuthToken: existing.twilioAuthToken ?? randomBytes(16).toString('hex'),
    operatorApiKey: existing.operatorApiKey ?? `llop_${randomBytes(24).toString('base64url')}`,
    postgresPassword: existing.postgresPassword ?? randomBytes(18).toString('base64url'),
    linkSecret: existing.linkSecret ?? randomBytes(32).toString('base64url'),
  };
  const complete = Object.keys(secrets).every((k) => k in existing);
  if (!complete) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  }
  return secrets;
}

/** Resolves the secrets in force: configuration first, then the data directory's. */
export async function resolveSecrets(config: Config): Promise<EffectiveSecrets> {
  const needLocal = !config.twilio.authToken || !config.operatorApiKey || !config.linkSecret;
  const local = needLocal ? await loadOrCreateLocalSecrets(config.dataDir) : undefined;
  return {
    webhookAuthToken: config.twilio.authToken ?? local!.twilioAuthToken,
    webhookAuthTokenSource: config.twilio.authToken ? 'TWILIO_AUTH_TOKEN' : 'data-dir',
    operatorApiKey: config.operatorApiKey ?? local!.operatorApiKey,
    operatorApiKeySource: config.operatorApiKey ? 'OPERATOR_API_KEY' : 'data-dir',
    linkSecret: config.linkSecret ?? local!.linkSecret,
  };
}
