#!/usr/bin/env node
/* global process, console, setTimeout */
// Starts a single-node Apache Kafka (KRaft, combined broker+controller) for dev/tests,
// without Docker: jars come from Maven (see pom.xml), the broker runs under `java`.
//
//   node deploy/kafka/start.mjs [--port N] [--controller-port N] [--dir PATH]
//
// Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DIR (deploy/kafka/run),
//      KAFKA_START_TIMEOUT_MS (90000), KAFKA_HEAP_OPTS ("-Xmx512m -Xms512m"),
//      KAFKA_JVM_OPTS (extra JVM flags, appended).
// Progress goes to stderr; stdout gets exactly one line: the bootstrap address.
// Exit codes: 0 ready (broker left running), 3 java/mvn missing (callers may skip),
//             1 anything else (log tail printed).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const POM = path.join(HERE, 'pom.xml');
const HOST = '127.0.0.1';

export const EXIT_TOOLS_MISSING = 3;

const T0 = Date.now();
function log(msg) {
  const s = ((Date.now() - T0) / 1000).toFixed(1);
  process.stderr.write(`[kafka +${s}s] ${msg}\n`);
}

function fail(msg, code = 1) {
  log(msg);
  process.exit(code);
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--port') out.port = value();
    else if (flag === '--controller-port') out.controllerPort = value();
    else if (flag === '--dir') out.dir = value();
    else if (flag === '-h' || flag === '--help') {
      console.log(
        'usage: node deploy/kafka/start.mjs [--port N] [--controller-port N] [--dir PATH]',
      );
      process.exit(0);
    } else fail(`unknown argument: ${argv[i]}`, 2);
  }
  return out;
}

function toPort(v, name) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`invalid ${name}: ${v}`, 2);
  return n;
}

export function resolveConfig(argv = process.argv.slice(2), env = process.env) {
  const args = parseArgs(argv);
  const port = toPort(args.port ?? env.KAFKA_PORT ?? 9092, 'KAFKA_PORT');
  const controllerPort = toPort(
    args.controllerPort ?? env.KAFKA_CONTROLLER_PORT ?? 9093,
    'KAFKA_CONTROLLER_PORT',
  );
  if (port === controllerPort) fail('KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ', 2);
  const dirArg = args.dir ?? env.KAFKA_DIR;
  const runDir = dirArg ? path.resolve(dirArg) : path.join(HERE, 'run');
  const timeoutMs = Number(env.KAFKA_START_TIMEOUT_MS ?? 90_000);
  const words = (s) => (s ?? '').split(/\s+/).filter(Boolean);
  const heapOpts = words(env.KAFKA_HEAP_OPTS ?? '-Xmx512m -Xms512m');
  const jvmOpts = words(env.KAFKA_JVM_OPTS);
  const cacheDir = path.resolve(env.KAFKA_CACHE_DIR ?? path.join(HERE, 'target', 'cache'));
  return {
    port,
    controllerPort,
    runDir,
    cacheDir,
    cds: env.KAFKA_CDS !== '0',
    timeoutMs,
    heapOpts,
    jvmOpts,
    bootstrap: `${HOST}:${port}`,
  };
}

// ---------------------------------------------------------------- tools

function onPath(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

function checkTools() {
  const missing = ['java', 'mvn'].filter((c) => !onPath(c));
  if (missing.length) {
    fail(
      `${missing.join(' and ')} not found on PATH: the dev Kafka broker needs a JDK (17+) ` +
        'and Maven. Install them (e.g. apt-get install openjdk-17-jdk-headless maven) or skip ' +
        'the Kafka-backed tests.',
      EXIT_TOOLS_MISSING,
    );
  }
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  let major = m ? Number(m[1]) : NaN;
  if (major === 1 && m[2]) major = Number(m[2]);
  if (r.status !== 0 || !(major >= 17)) {
    fail(
      `java on PATH is not a usable JDK 17+ (Kafka 4 needs Java 17): ${(r.stderr || r.error || '').toString().trim()}`,
      EXIT_TOOLS_MISSING,
    );
  }
  return `${r.stderr}${r.stdout}`;
}

// ---------------------------------------------------------------- classpath

const sha = (data) => createHash('sha256').update(data).digest('hex').slice(0, 16);

function readCachedClasspath(file) {
  try {
    const cp = fs.readFileSync(file, 'utf8').trim();
    // ~/.m2 may have been wiped since the cache was written: re-resolve if so.
    if (cp && cp.split(path.delimiter).every((jar) => fs.existsSync(jar))) return cp;
  } catch {
    // not cached
  }
  return null;
}

function writeAtomic(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * The broker's classpath, cached as classpath-<pom hash>.txt in the run dir and in the shared
 * cache dir (so a fresh KAFKA_DIR needs no mvn either); mvn runs only when neither has it.
 */
function resolveClasspath(cfg) {
  const name = `classpath-${sha(fs.readFileSync(POM))}.txt`;
  const runFile = path.join(cfg.runDir, name);
  const cacheFile = path.join(cfg.cacheDir, name);
  let cp = readCachedClasspath(runFile);
  if (cp) return cp;
  cp = readCachedClasspath(cacheFile);
  if (!cp) {
    log('resolving the Kafka classpath with mvn (first run downloads jars into ~/.m2)...');
    const tmp = path.join(os.tmpdir(), `leadline-kafka-cp-${process.pid}.txt`);
    const r = spawnSync(
      'mvn',
      ['-B', '-q', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${tmp}`],
      { encoding: 'utf8', cwd: HERE, maxBuffer: 64 * 1024 * 1024 },
    );
    if (r.status !== 0 || !fs.existsSync(tmp)) {
      fail(`mvn failed to resolve the Kafka jars (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    }
    cp = fs.readFileSync(tmp, 'utf8').trim();
    fs.rmSync(tmp, { force: true });
    writeAtomic(cacheFile, `${cp}\n`);
  }
  for (const f of fs.readdirSync(cfg.runDir)) {
    if (/^classpath-[0-9a-f]+\.txt$/.test(f)) fs.rmSync(path.join(cfg.runDir, f), { force: true });
  }
  writeAtomic(runFile, `${cp}\n`);
  return cp;
}

/**
 * JVM flags for an AppCDS archive of Kafka's classes (JDK 17 dynamic archive), which cuts
 * broker startup roughly in half on this 2-core box. The first start records the archive at
 * JVM exit into a temp file that stop.mjs renames into the cache after a clean stop; later
 * starts map it. Keyed by classpath + JDK build; a stale or unusable archive is ignored by the
 * JVM (-Xshare:auto). KAFKA_CDS=0 turns this off.
 */
function cdsOptions(cfg, cp, javaVersion) {
  if (!cfg.cds) return { opts: [], pending: null };
  const archive = path.join(cfg.cacheDir, `kafka-${sha(`${cp}\n${javaVersion}`)}.jsa`);
  const quiet = '-Xlog:cds*=off';
  if (fs.existsSync(archive))
    return { opts: [`-XX:SharedArchiveFile=${archive}`, quiet], pending: null };
  fs.mkdirSync(cfg.cacheDir, { recursive: true });
  const dayAgo = Date.now() - 86_400_000;
  for (const f of fs.readdirSync(cfg.cacheDir)) {
    const p = path.join(cfg.cacheDir, f);
    if (f.endsWith('.jsa.tmp') && fs.statSync(p).mtimeMs < dayAgo) fs.rmSync(p, { force: true });
  }
  const tmp = `${archive}.${process.pid}.tmp`;
  return { opts: [`-XX:ArchiveClassesAtExit=${tmp}`, quiet], pending: { tmp, archive } };
}

// ---------------------------------------------------------------- config + storage

function writeServerProperties(cfg) {
  const { port, controllerPort, runDir } = cfg;
  const props = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    // Static voter set (kraft.version 0): no --standalone needed at format time, and the
    // controller port may change between runs on the same data dir.
    'controller.quorum.voters': `1@${HOST}:${controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': path.join(runDir, 'data'),
    'auto.create.topics.enable': false,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'log.retention.ms': -1,
    'group.initial.rebalance.delay.ms': 0,
    'offsets.topic.num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Dev-size footprint: the log cleaner otherwise allocates a 128 MiB dedupe buffer.
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
    'num.network.threads': 2,
    'num.io.threads': 4,
  };
  const text =
    '# Generated by deploy/kafka/start.mjs on every start; edits are overwritten.\n' +
    Object.entries(props)
      .map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`)
      .join('\n') +
    '\n';
  const file = path.join(runDir, 'server.properties');
  fs.writeFileSync(file, text);
  return file;
}

function randomClusterId() {
  // Kafka's Uuid.toString(): URL-safe base64 of 16 bytes, no padding (22 chars). Like Kafka's
  // own Uuid.randomUuid(), never one starting with "-": the CLI would read it as an option.
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function formatStorage(cfg, cp, propsFile, cds) {
  const dataDir = path.join(cfg.runDir, 'data');
  if (fs.existsSync(path.join(dataDir, 'meta.properties'))) return;
  const clusterId = randomClusterId();
  log(`formatting ${dataDir} (cluster id ${clusterId})...`);
  const r = spawnSync(
    'java',
    [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      ...(cds.pending ? [] : cds.opts), // map an existing archive; never dump from here
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      propsFile,
      '-g',
    ],
    { encoding: 'utf8', cwd: cfg.runDir },
  );
  if (r.status !== 0)
    fail(`kafka storage format failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

// ---------------------------------------------------------------- process helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function isKafkaPid(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (e.code !== 'EPERM') return false;
  }
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('kafka.Kafka')) {
      // A zombie (exited, not yet reaped) is not a broker.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/^\d+ \(.*\) Z/.test(stat);
    }
    return false;
  } catch {
    return true; // no /proc (non-Linux): trust kill(0)
  }
}

export function readPid(runDir) {
  try {
    return Number(fs.readFileSync(path.join(runDir, 'kafka.pid'), 'utf8').trim());
  } catch {
    return NaN;
  }
}

export function removeState(runDir) {
  fs.rmSync(path.join(runDir, 'kafka.pid'), { force: true });
  fs.rmSync(path.join(runDir, 'broker.json'), { force: true });
}

/** SIGTERM, wait up to `graceMs` for exit, then SIGKILL. Returns true if it had to kill. */
export async function terminate(pid, graceMs) {
  const gone = async (ms) => {
    const deadline = Date.now() + ms;
    while (isKafkaPid(pid)) {
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
    return true;
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return false;
  }
  if (await gone(graceMs)) return false;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await gone(10_000);
  return true;
}

export function readState(runDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, 'broker.json'), 'utf8'));
  } catch {
    return null;
  }
}

/** Last WARN/ERROR lines of the latest start, then the last `lines` lines of the log. */
function tail(file, lines = 40) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return `(no ${file})`;
  }
  const all = text.slice(text.lastIndexOf('\n===== start ')).split('\n');
  const problems = all.filter((l) => / (WARN|ERROR|FATAL) |Exception/.test(l)).slice(-15);
  const last = all.slice(-lines);
  return [
    ...(problems.length ? ['--- WARN/ERROR lines:', ...problems] : []),
    `--- last ${last.length} lines:`,
    ...last,
  ].join('\n');
}

async function withLock(runDir, fn) {
  const lock = path.join(runDir, 'start.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const owner = Number(fs.readFileSync(lock, 'utf8').trim() || NaN);
      let alive = false;
      try {
        process.kill(owner, 0);
        alive = true;
      } catch {
        alive = false;
      }
      if (!alive) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) fail(`timed out waiting for ${lock} (held by pid ${owner})`);
      await sleep(250);
    }
  }
  // fail() exits the process from inside fn(), so release on exit as well.
  const release = () => fs.rmSync(lock, { force: true });
  process.on('exit', release);
  try {
    return await fn();
  } finally {
    release();
    process.off('exit', release);
  }
}

// ---------------------------------------------------------------- readiness

let kafkajs;
async function loadKafkajs() {
  if (!kafkajs) {
    try {
      kafkajs = await import('kafkajs');
    } catch (e) {
      fail(`cannot load kafkajs (run npm ci in the repo root): ${e.message}`);
    }
  }
  return kafkajs;
}

/** Cluster id the data dir was formatted with (null before formatting). */
export function readClusterId(runDir) {
  try {
    const meta = fs.readFileSync(path.join(runDir, 'data', 'meta.properties'), 'utf8');
    return /^cluster\.id=(.+)$/m.exec(meta)?.[1].trim() ?? null;
  } catch {
    return null;
  }
}

/**
 * True when a broker answers describeCluster() on `bootstrap` (and, if given, belongs to
 * `clusterId`, so that some other broker on the same port is not mistaken for ours).
 */
export async function probe(bootstrap, clusterId = null, timeoutMs = 3000) {
  const { Kafka, logLevel } = await loadKafkajs();
  const kafka = new Kafka({
    clientId: 'leadline-kafka-probe',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const info = await admin.describeCluster();
    return info.brokers.length > 0 && (!clusterId || info.clusterId === clusterId);
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: HOST, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Polls until the broker answers. On timeout, a broker this run started (`ownChild`) is
 * killed so no half-started JVM is left holding the ports; an already-running one is left.
 */
async function waitReady(cfg, pid, logFile, ownChild) {
  const deadline = Date.now() + cfg.timeoutMs;
  const clusterId = readClusterId(cfg.runDir);
  while (Date.now() < deadline) {
    if (!isKafkaPid(pid)) {
      removeState(cfg.runDir);
      fail(`broker process ${pid} exited during startup; tail of ${logFile}:\n${tail(logFile)}`);
    }
    if (await probe(cfg.bootstrap, clusterId)) return;
    await sleep(300);
  }
  let what = `pid ${pid} left running; stop it with node deploy/kafka/stop.mjs`;
  if (ownChild) {
    await terminate(pid, 10_000);
    removeState(cfg.runDir);
    what = `pid ${pid} killed`;
  }
  fail(
    `broker not ready within ${cfg.timeoutMs} ms (${what}); tail of ${logFile}:\n${tail(logFile)}`,
  );
}

// ---------------------------------------------------------------- main

async function main() {
  const cfg = resolveConfig();
  fs.mkdirSync(cfg.runDir, { recursive: true });
  const pidFile = path.join(cfg.runDir, 'kafka.pid');
  const logFile = path.join(cfg.runDir, 'kafka.log');

  await withLock(cfg.runDir, async () => {
    const existing = readPid(cfg.runDir);
    if (isKafkaPid(existing)) {
      const running = readState(cfg.runDir);
      if (running && (running.port !== cfg.port || running.controllerPort !== cfg.controllerPort)) {
        fail(
          `the broker in ${cfg.runDir} (pid ${existing}) is already running on ` +
            `${running.bootstrap} (controller port ${running.controllerPort}), not on the requested ` +
            `${cfg.bootstrap} (controller port ${cfg.controllerPort}); stop it first ` +
            `(node deploy/kafka/stop.mjs) or use another KAFKA_DIR`,
        );
      }
      log(`broker already running (pid ${existing}); checking it answers on ${cfg.bootstrap}`);
      await waitReady(cfg, existing, logFile, false);
      return;
    }
    if (fs.existsSync(pidFile)) {
      log(`removing stale pid file (pid ${existing} is not a running broker)`);
      fs.rmSync(pidFile, { force: true });
    }

    const javaVersion = checkTools();
    for (const [name, p] of [
      ['KAFKA_PORT', cfg.port],
      ['KAFKA_CONTROLLER_PORT', cfg.controllerPort],
    ]) {
      if (!(await portFree(p))) {
        fail(
          `${HOST}:${p} (${name}) is already in use by another process; stop it or pick ` +
            `another port (another checkout's broker? see its deploy/kafka/run/kafka.pid)`,
        );
      }
    }
    const cp = resolveClasspath(cfg);
    const propsFile = writeServerProperties(cfg);
    const cds = cdsOptions(cfg, cp, javaVersion);
    formatStorage(cfg, cp, propsFile, cds);
    log('storage ready; launching the broker');

    // Append so earlier runs stay visible; mark each start.
    fs.appendFileSync(logFile, `\n===== start ${new Date().toISOString()} =====\n`);
    const out = fs.openSync(logFile, 'a');
    const child = spawn(
      'java',
      [
        ...cfg.heapOpts,
        '-server',
        // C1 only: much less JIT work at startup on 2 cores; plenty fast for a dev broker.
        '-XX:TieredStopAtLevel=1',
        ...cds.opts,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExplicitGCInvokesConcurrent',
        '-Djava.awt.headless=true',
        '-Dorg.slf4j.simpleLogger.showDateTime=true',
        '-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss,SSS',
        `-Dkafka.logs.dir=${cfg.runDir}`,
        ...cfg.jvmOpts,
        '-cp',
        cp,
        'kafka.Kafka',
        propsFile,
      ],
      { cwd: cfg.runDir, detached: true, stdio: ['ignore', out, out] },
    );
    fs.closeSync(out);
    if (!child.pid) fail('failed to spawn java');
    child.unref();
    fs.writeFileSync(pidFile, `${child.pid}\n`);
    const state = {
      pid: child.pid,
      port: cfg.port,
      controllerPort: cfg.controllerPort,
      bootstrap: cfg.bootstrap,
      cdsPending: cds.pending,
    };
    fs.writeFileSync(path.join(cfg.runDir, 'broker.json'), `${JSON.stringify(state, null, 2)}\n`);
    log(`started broker pid ${child.pid} (log: ${logFile}); waiting for ${cfg.bootstrap}...`);
    await waitReady(cfg, child.pid, logFile, true);
  });

  process.stdout.write(`${cfg.bootstrap}\n`);
  process.exit(0);
}

const invokedDirectly = (() => {
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  main().catch((e) => fail(e.stack ?? String(e)));
}
