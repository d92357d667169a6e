import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { silentLogger } from '../src/shared/logger.ts';
import { FakeTwilio } from './fake-twilio.ts';
import { freePort, runCli, ServiceProcess } from './service-process.ts';

/** The benches' Twilio account: the stand-in accepts it, the service signs with its token. */
export const BENCH_ACCOUNT_SID = 'AC' + 'b'.repeat(32);
export const BENCH_AUTH_TOKEN = 'c'.repeat(32);
/** The benches' tenant's Twilio number (E.164). */
export const BENCH_NUMBER = '+14165550100';

/** `leadline serve` as the benches run it, with what it stands on. */
export interface BenchService {
  /** The service's environment (`PUBLIC_BASE_URL`, keys, the database). */
  env: Record<string, string>;
  service: ServiceProcess;
  /** The Twilio-compatible server the service sends its texts to. */
  twilio: FakeTwilio;
  /** Stops the service, the stand-in and the database, and removes the data directory. */
  close(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL in a temporary directory, the Twilio stand-in, and `leadline
 * serve` (`role`, every role by default, logging errors only) on a free port, then adds the tenant "Bench
 * Plumbing" on {@link BENCH_NUMBER}, open around the clock in UTC; `tenantFlags` adds flags to
 * `leadline tenants add` (e.g. `--daily-quota`).
 * @throws Error with the CLI's stderr when the tenant is refused (everything started is stopped).
 */
export async function startBenchService(
  tenantFlags: string[] = [],
  role: 'all' | 'api' | 'worker' = 'all',
): Promise<BenchService> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'leadline-bench-'));
  const pg = await startEmbeddedPostgres(dir, 'bench', silentLogger);
  const twilio = await new FakeTwilio(BENCH_ACCOUNT_SID, BENCH_AUTH_TOKEN).start();
  const port = await freePort();
  const env = {
    DATABASE_URL: pg.url,
    LEADLINE_DATA_DIR: dir,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    TWILIO_ACCOUNT_SID: BENCH_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: BENCH_AUTH_TOKEN,
    TWILIO_API_URL: twilio.url,
    OPERATOR_API_KEY: 'bench-operator-key-000000',
    LOG_LEVEL: 'error',
  };
  const service = new ServiceProcess(env, ['serve', '--role', role]);
  const close = async () => {
    await service.kill('SIGTERM');
    await twilio.stop();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await service.start();
    const added = await runCli(
      [
        'tenants',
        'add',
        '--name',
        'Bench Plumbing',
        '--twilio-number',
        BENCH_NUMBER,
        '--owner-phone',
        '+14165550199',
        '--timezone',
        'UTC',
        '--business-hours',
        '00:00-24:00',
        ...tenantFlags,
      ],
      env,
    );
    if (added.code !== 0) throw new Error(added.stderr);
  } catch (error) {
    await close();
    throw error;
  }
  return { env, service, twilio, close };
}
